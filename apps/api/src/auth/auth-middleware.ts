import { ForbiddenError, RateLimitedError, UnauthorizedError, type Principal } from '@nembl/core';
import type { RequestHandler } from 'express';
import { safeEqual, csrfTokenFor } from './credential-fns.js';
import type { AuthService } from './auth-service.js';
import type { PrincipalCache } from './principal-cache.js';
import type { RateLimiter } from '../http/rate-limit.js';
import type { AuthKind } from '../http/request-context.js';

export const SESSION_COOKIE = 'nembl_session';

export const readCookie = (header: string | undefined, name: string): string | undefined => {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
};

/** The token of an `Authorization: Bearer` header: undefined without one, empty when malformed. */
export const bearerOf = (header: string | undefined): string | undefined => {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? '';
};

/**
 * Who the request's credentials stand for: `Authorization: Bearer <service token>` or the session
 * cookie. A present but bad credential is a 401 even if the other one would work: ambiguity helps
 * nobody.
 */
export const authenticateCredentials = async (
  auth: Pick<AuthService, 'principalFromSession' | 'principalFromToken'>,
  authorization: string | undefined,
  cookieHeader: string | undefined,
): Promise<{ principal: Principal; kind: AuthKind }> => {
  const bearer = bearerOf(authorization);
  if (bearer !== undefined) {
    const p = bearer ? await auth.principalFromToken(bearer) : null;
    if (!p) throw new UnauthorizedError('The bearer token is invalid, expired or revoked');
    return { principal: p, kind: 'token' };
  }
  const cookie = readCookie(cookieHeader, SESSION_COOKIE);
  if (cookie) {
    const p = await auth.principalFromSession(cookie);
    if (!p) throw new UnauthorizedError('The session has expired; sign in again');
    return { principal: p, kind: 'session' };
  }
  throw new UnauthorizedError('Authentication required: sign in or send a bearer token');
};

/** Authenticates every request of the router it is mounted on (see `authenticateCredentials`). */
export const authenticate =
  (auth: Pick<AuthService, 'principalFromSession' | 'principalFromToken'>): RequestHandler =>
  async (req, res, next) => {
    const { principal, kind } = await authenticateCredentials(auth, req.get('authorization'), req.get('cookie'));
    res.locals.principal = principal;
    res.locals.authKind = kind;
    next();
  };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Cookie-authenticated writes need the session's CSRF token in `X-CSRF-Token`. */
export const csrfProtect =
  (sessionSecret: Buffer): RequestHandler =>
  (req, res, next) => {
    if (res.locals.authKind !== 'session' || SAFE_METHODS.has(req.method)) return next();
    const sent = req.get('x-csrf-token');
    const sessionId = (res.locals.principal as { sessionId?: string }).sessionId ?? '';
    if (!sent || !safeEqual(sent, csrfTokenFor(sessionSecret, sessionId))) {
      throw new ForbiddenError('Missing or wrong X-CSRF-Token header (get one from GET /api/v1/auth/csrf)');
    }
    next();
  };

/**
 * A write to users, tokens or the caller's password (or a logout) drops the company's cached
 * principals before the answer leaves this process, so the caller's next request (here) sees the
 * change at once; and a successful one waits for the identity barrier (identity-sync.ts), so no
 * other API process still serves the old principal from its cache once the answer is out.
 */
export const invalidatePrincipalsOnWrite =
  (cache: Pick<PrincipalCache, 'invalidateCompany'>, barrier: () => Promise<void>): RequestHandler =>
  (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.end = ((...args: unknown[]) => {
      // Logout is public: its principal, if any, is found by the route itself.
      const companyId = (res.locals.principal as { companyId?: string } | undefined)?.companyId;
      if (companyId) cache.invalidateCompany(companyId);
      // A logout that ended no session changed nothing: no barrier for anonymous callers to trigger.
      if (res.statusCode >= 400 || (!companyId && res.locals.sessionEnded !== true)) return end(...args);
      void barrier().finally(() => {
        if (companyId) cache.invalidateCompany(companyId);
        end(...args);
      });
      return res;
    }) as typeof res.end;
    next();
  };

/** Takes one request from the caller's budget (per session or token); 429 when it is spent. */
export const consumeApiBudget = async (limiter: RateLimiter, p: Principal): Promise<void> => {
  const wait = await limiter.consume(p.sessionId ? `s:${p.sessionId}` : `${p.type}:${p.id}`);
  if (wait > 0) throw new RateLimitedError('Too many requests; slow down', wait);
};

/** Per session or token request budget. */
export const apiRateLimit =
  (limiter: RateLimiter): RequestHandler =>
  async (_req, res, next) => {
    await consumeApiBudget(limiter, res.locals.principal as Principal);
    next();
  };
