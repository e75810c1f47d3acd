import {
  ADMIN_ROLE,
  ForbiddenError,
  UnauthorizedError,
  ValidationError,
  type CompanyRow,
  type Principal,
  type UserRow,
} from '@nembl/core';
import { sessionCacheKey, tokenCacheKey, type PrincipalCache } from './principal-cache.js';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditService } from '@nembl/core';
import { actorOf, type RequestContext } from '@nembl/core';
import type { CompanyRepository } from '../companies/company-repository.js';
import type { TokenRepository } from '../tokens/token-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import {
  burnPasswordCheck,
  hashCredential,
  hashPassword,
  mintCredential,
  SERVICE_TOKEN_PREFIX,
  verifyPassword,
} from './credential-fns.js';
import type { SessionRepository } from './session-repository.js';

export interface AuthDeps {
  dataSource: DataSource;
  users: UserRepository;
  sessions: SessionRepository;
  tokens: TokenRepository;
  companies: CompanyRepository;
  audit: Pick<AuditService, 'record'>;
  /** Seeds a new company (starter policies) inside its creating transaction. */
  onCompanyCreated: (em: EntityManager, companyId: string) => Promise<void>;
  allowSignup: boolean;
  /** Short-lived cache of authenticated principals (see principal-cache.ts); none = every request asks Postgres. */
  principalCache?: PrincipalCache;
  now: () => Date;
}

export interface SessionGrant {
  user: UserRow;
  company: CompanyRow;
  sessionToken: string;
  sessionId: string;
}

const userPrincipal = (u: UserRow, sessionId?: string): Principal => ({
  type: 'user',
  id: u.id,
  companyId: u.companyId,
  roles: u.roles,
  groups: u.groups,
  label: u.email,
  ...(sessionId ? { sessionId } : {}),
});

// Touch "last seen/used" at most this often, so reads do not turn into writes.
const TOUCH_EVERY_MS = 60_000;

export const authServiceFactory = (deps: AuthDeps) => {
  const { dataSource, users, sessions, tokens, companies, audit, now } = deps;
  const cache = deps.principalCache;

  const openSession = async (em: EntityManager | undefined, user: UserRow, ctx: RequestContext) => {
    const { token, hash } = mintCredential();
    await sessions.purgeExpiredForUser(em, user.id, now());
    const session = await sessions.create(
      em,
      { tokenHash: hash, userId: user.id, companyId: user.companyId, ip: ctx.ip, userAgent: ctx.userAgent },
      now(),
    );
    return { sessionToken: token, sessionId: session.id };
  };

  return {
    signup: async (
      input: { companyName: string; email: string; password: string; name?: string | undefined },
      ctx: RequestContext,
    ): Promise<SessionGrant> => {
      if (!deps.allowSignup) throw new ForbiddenError('Self-service signup is disabled on this installation');
      const passwordHash = await hashPassword(input.password);
      return dataSource.transaction(async (em) => {
        const company = await companies.create(em, input.companyName);
        const user = await users.insert(em, company.id, {
          email: input.email,
          name: input.name ?? input.email.split('@')[0] ?? input.email,
          passwordHash,
          roles: [ADMIN_ROLE],
          groups: [],
        });
        await deps.onCompanyCreated(em, company.id);
        const s = await openSession(em, user, ctx);
        await audit.record(
          {
            companyId: company.id,
            actor: { type: 'user', id: user.id, label: user.email },
            action: 'auth:signup',
            resource: { kind: 'company', name: company.name, id: company.id },
            decision: 'allow',
            reason: 'signup',
            context: ctx,
            at: now(),
          },
          em,
        );
        return { user, company, ...s };
      });
    },

    /** Same 401 for an unknown email and a wrong password, at the same cost. */
    login: async (input: { email: string; password: string }, ctx: RequestContext): Promise<SessionGrant> => {
      const user = await users.findByEmail(input.email);
      if (!user) {
        await burnPasswordCheck(input.password);
        throw new UnauthorizedError('Wrong email or password');
      }
      const ok = await verifyPassword(user.passwordHash, input.password);
      const event = {
        companyId: user.companyId,
        actor: { type: 'user' as const, id: user.id, label: user.email },
        resource: { kind: 'user', name: user.email, id: user.id },
        context: ctx,
        at: now(),
      };
      if (!ok) {
        await audit.record({ ...event, action: 'auth:login_failed', decision: 'deny', reason: 'wrong_password' });
        throw new UnauthorizedError('Wrong email or password');
      }
      const s = await openSession(undefined, user, ctx);
      await audit.record({ ...event, action: 'auth:login', decision: 'allow', reason: 'password' });
      return { user, company: await companies.get(user.companyId), ...s };
    },

    logout: async (sessionToken: string) => {
      const hash = hashCredential(sessionToken);
      await sessions.deleteByHash(hash);
      cache?.forget(sessionCacheKey(hash));
    },

    principalFromSession: async (sessionToken: string): Promise<Principal | null> => {
      const t = now();
      const hash = hashCredential(sessionToken);
      const key = sessionCacheKey(hash);
      const hit = cache?.get(key, t.getTime());
      if (hit) {
        if (t.getTime() - (hit.touchedAt ?? 0) > TOUCH_EVERY_MS) {
          await sessions.touch(hit.principal.sessionId ?? '', t);
          cache?.touched(key, t.getTime());
        }
        return hit.principal;
      }
      const generation = cache?.generation() ?? 0;
      const found = await sessions.findLive(hash, t);
      if (!found) return null;
      let touchedAt = found.session.lastSeenAt.getTime();
      if (t.getTime() - touchedAt > TOUCH_EVERY_MS) {
        await sessions.touch(found.session.id, t);
        touchedAt = t.getTime();
      }
      const principal = userPrincipal(found.user, found.session.id);
      cache?.set(
        key,
        { principal, credentialExpiresAt: found.session.expiresAt.getTime(), touchedAt },
        generation,
        t.getTime(),
      );
      return principal;
    },

    principalFromToken: async (bearer: string): Promise<Principal | null> => {
      if (!bearer.startsWith(SERVICE_TOKEN_PREFIX) || bearer.length > 200) return null;
      const t = now();
      const hash = hashCredential(bearer);
      const key = tokenCacheKey(hash);
      const hit = cache?.get(key, t.getTime());
      if (hit) {
        if (t.getTime() - (hit.touchedAt ?? 0) > TOUCH_EVERY_MS) {
          await tokens.touch(hit.principal.id, t);
          cache?.touched(key, t.getTime());
        }
        return hit.principal;
      }
      const generation = cache?.generation() ?? 0;
      const row = await tokens.findLive(hash, t);
      if (!row) return null;
      let touchedAt = row.lastUsedAt?.getTime() ?? null;
      if (touchedAt === null || t.getTime() - touchedAt > TOUCH_EVERY_MS) {
        await tokens.touch(row.id, t);
        touchedAt = t.getTime();
      }
      const principal: Principal = {
        type: 'token',
        id: row.id,
        companyId: row.companyId,
        roles: row.roles,
        groups: row.groups,
        label: row.name,
      };
      cache?.set(
        key,
        { principal, credentialExpiresAt: row.expiresAt?.getTime() ?? null, touchedAt },
        generation,
        t.getTime(),
      );
      return principal;
    },

    /** Changes the caller's password and ends their other sessions. */
    changePassword: async (
      principal: Principal,
      input: { currentPassword: string; newPassword: string },
      ctx: RequestContext,
    ): Promise<void> => {
      if (principal.type !== 'user') throw new ForbiddenError('Service tokens have no password');
      const user = await users.find(principal.companyId, principal.id);
      if (!user) throw new UnauthorizedError('Session user no longer exists');
      if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
        await audit.record({
          companyId: user.companyId,
          actor: actorOf(principal),
          action: 'users:change_password',
          resource: { kind: 'user', name: user.email, id: user.id },
          decision: 'deny',
          reason: 'wrong_current_password',
          context: ctx,
          at: now(),
        });
        throw ValidationError.field('currentPassword', 'is not your current password');
      }
      const passwordHash = await hashPassword(input.newPassword);
      await dataSource.transaction(async (em) => {
        await users.update(em, user, { passwordHash });
        await sessions.deleteForUser(em, user.id, principal.sessionId);
        await audit.record(
          {
            companyId: user.companyId,
            actor: actorOf(principal),
            action: 'users:change_password',
            resource: { kind: 'user', name: user.email, id: user.id },
            decision: 'allow',
            reason: 'self',
            context: ctx,
            at: now(),
          },
          em,
        );
      });
    },
  };
};

export type AuthService = ReturnType<typeof authServiceFactory>;
