import {
  ForbiddenError,
  lineText,
  opaqueText,
  RateLimitedError,
  UnauthorizedError,
  type CompanyRow,
  type Principal,
} from '@nembl/core';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { companyJson, companySchema, type CompanyRepository } from '../companies/company-repository.js';
import { expressRoute, reusableBody, type HotRoute } from '../http/hot-route.js';
import { idOut } from '../http/response-schemas.js';
import { parseInput } from '../http/validate.js';
import { authKindOf, principalOf, requestContext } from '../http/request-context.js';
import type { RateLimiter } from '../http/rate-limit.js';
import { emailSchema, passwordSchema, personNameSchema, userJson, userSchema } from '../users/user-types.js';
import type { UserRepository } from '../users/user-repository.js';
import { readCookie, SESSION_COOKIE } from './auth-middleware.js';
import type { AuthService } from './auth-service.js';
import { csrfTokenFor, safeEqual } from './credential-fns.js';
import { SESSION_TTL_MS } from './session-repository.js';

export const signupSchema = z.strictObject({
  companyName: lineText.trim().min(1).max(128),
  email: emailSchema,
  password: passwordSchema,
  name: personNameSchema.optional(),
});

export const loginSchema = z.strictObject({
  email: lineText.trim().min(1).max(254),
  password: opaqueText.min(1).max(256),
});

export const changePasswordSchema = z.strictObject({
  currentPassword: opaqueText.min(1).max(256),
  newPassword: passwordSchema,
});

export const sessionSchema = z.object({ user: userSchema, company: companySchema }).meta({ id: 'Session' });
export const csrfSchema = z.object({ token: z.string() });

export const meSchema = z
  .union([
    z
      .object({ user: userSchema, company: companySchema, roles: z.array(z.string()), groups: z.array(z.string()) })
      .meta({ title: 'Signed-in user' }),
    z
      .object({
        user: z.null(),
        token: z.object({ id: idOut, name: z.string() }),
        company: companySchema,
        roles: z.array(z.string()),
        groups: z.array(z.string()),
      })
      .meta({ title: 'Service token' }),
  ])
  .meta({ id: 'Me' });

export interface AuthRouterDeps {
  auth: AuthService;
  users: Pick<UserRepository, 'find'>;
  companies: Pick<CompanyRepository, 'get'>;
  loginLimiter: RateLimiter;
  sessionSecret: Buffer;
  secureCookies: boolean;
}

/** Public routes: no session needed (signup, login, logout, csrf). */
export const publicAuthRouter = (deps: AuthRouterDeps): Router => {
  const r = Router();
  const setSession = (res: Response, token: string) =>
    res.cookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: deps.secureCookies,
      path: '/',
      maxAge: SESSION_TTL_MS,
    });

  r.post('/auth/signup', async (req, res) => {
    const body = parseInput(signupSchema, req.body);
    const grant = await deps.auth.signup(body, requestContext(req, res));
    setSession(res, grant.sessionToken);
    res.status(201).json({ user: userJson(grant.user), company: companyJson(grant.company) });
  });

  r.post('/auth/login', async (req, res) => {
    const body = parseInput(loginSchema, req.body);
    const wait = await deps.loginLimiter.consume(`${req.ip ?? ''}|${body.email.toLowerCase()}`);
    if (wait > 0) throw new RateLimitedError('Too many login attempts; try again later', wait);
    const grant = await deps.auth.login(body, requestContext(req, res));
    setSession(res, grant.sessionToken);
    res.json({ user: userJson(grant.user), company: companyJson(grant.company) });
  });

  r.post('/auth/logout', async (req, res) => {
    const token = readCookie(req.get('cookie'), SESSION_COOKIE);
    const p = token ? await deps.auth.principalFromSession(token) : null;
    if (token && p?.sessionId) {
      // Logout is a cookie-authenticated write like any other: no forced logouts from other sites.
      const sent = req.get('x-csrf-token') ?? '';
      if (!safeEqual(sent, csrfTokenFor(deps.sessionSecret, p.sessionId))) {
        throw new ForbiddenError('Missing or wrong X-CSRF-Token header');
      }
      await deps.auth.logout(token);
      res.locals.sessionEnded = true;
    }
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: deps.secureCookies, path: '/' });
    res.status(204).end();
  });

  return r;
};

/**
 * `GET /me`: who is calling. Company rows never change once created, so that lookup is cacheable (see company-lookup.ts).
 * A token's answer is built from its principal and company alone: while both are the same cached
 * objects it is the same body (`reusableBody`), serialized once.
 */
export const meRoute = (deps: Pick<AuthRouterDeps, 'users' | 'companies'>): HotRoute => {
  const tokenBodies = new WeakMap<Principal, { company: CompanyRow; body: object }>();
  return {
    method: 'GET',
    path: '/me',
    handle: async ({ principal: p }) => {
      const row = await deps.companies.get(p.companyId);
      const known = p.type === 'user' ? undefined : tokenBodies.get(p);
      if (known?.company === row) return known.body;
      const company = companyJson(row);
      const roles = [...p.roles];
      const groups = [...p.groups];
      if (p.type === 'user') {
        const user = await deps.users.find(p.companyId, p.id);
        if (!user) throw new UnauthorizedError('Session user no longer exists');
        return { user: userJson(user), company, roles, groups };
      }
      const body = reusableBody({ user: null, token: { id: p.id, name: p.label }, company, roles, groups });
      tokenBodies.set(p, { company: row, body });
      return body;
    },
  };
};

/** Routes about the caller, behind authentication. */
export const meRouter = (deps: AuthRouterDeps): Router => {
  const r = Router();

  r.get('/auth/csrf', (_req, res) => {
    const p = principalOf(res);
    if (authKindOf(res) !== 'session' || !p.sessionId) {
      throw new UnauthorizedError('CSRF tokens belong to cookie sessions; bearer tokens need none');
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({ token: csrfTokenFor(deps.sessionSecret, p.sessionId) });
  });

  r.get('/me', expressRoute(meRoute(deps)));

  r.put('/me/password', async (req, res) => {
    const p = principalOf(res);
    const body = parseInput(changePasswordSchema, req.body);
    // Guessing the current password from a stolen session is a login attempt by another route:
    // the same limiter and budget, per user (every session of the user shares it).
    if (p.type === 'user') {
      const wait = await deps.loginLimiter.consume(`password-change|${p.id}`);
      if (wait > 0) throw new RateLimitedError('Too many password change attempts; try again later', wait);
    }
    await deps.auth.changePassword(p, body, requestContext(req, res));
    res.status(204).end();
  });

  return r;
};
