import { ADMIN_ROLE, ConflictError, NotFoundError, type Principal, type UserRow } from '@nembl/core';
import type { DataSource } from 'typeorm';
import type { AuditService } from '@nembl/core';
import { allowedEvent, type RequestContext } from '@nembl/core';
import { hashPassword } from '../auth/credential-fns.js';
import type { SessionRepository } from '../auth/session-repository.js';
import type { TokenRepository } from '../tokens/token-repository.js';
import { tokenRevokedEvents } from '../tokens/token-service.js';
import { assertCanGrant, assertMayActOn } from './grant-fns.js';
import { privilegeGuardFactory } from './privilege-guard.js';
import type { UserRepository } from './user-repository.js';

export interface UserServiceDeps {
  dataSource: DataSource;
  users: UserRepository;
  sessions: Pick<SessionRepository, 'deleteForUser'>;
  tokens: Pick<TokenRepository, 'lockLineage' | 'revokeLineage'>;
  audit: Pick<AuditService, 'record'>;
  now: () => Date;
}

const lost = (before: readonly string[], after: readonly string[]) => before.some((x) => !after.includes(x));

export const userServiceFactory = ({ dataSource, users, sessions, tokens, audit, now }: UserServiceDeps) => {
  const event = (caller: Principal, action: string, user: UserRow, reason: string, ctx: RequestContext) =>
    allowedEvent(caller, action, { kind: 'user', name: user.email, id: user.id }, ctx, now(), { reason });
  const mayActOn = privilegeGuardFactory({ audit, now });

  const get = async (caller: Principal, id: string): Promise<UserRow> => {
    const user = await users.find(caller.companyId, id);
    if (!user) throw new NotFoundError('No such user');
    return user;
  };

  return {
    get,

    create: async (
      caller: Principal,
      input: { email: string; name: string; password: string; roles: string[]; groups: string[] },
      ctx: RequestContext,
    ): Promise<UserRow> => {
      assertCanGrant(caller, input);
      const passwordHash = await hashPassword(input.password);
      return dataSource.transaction(async (em) => {
        const user = await users.insert(em, caller.companyId, {
          email: input.email,
          name: input.name,
          passwordHash,
          roles: input.roles,
          groups: input.groups,
        });
        await audit.record(event(caller, 'users:create', user, `roles=${user.roles.join(',')}`, ctx), em);
        return user;
      });
    },

    /**
     * Renames, re-roles or resets a password. Losing a role or group, or a password reset, ends
     * the user's sessions; the last Admin cannot lose the role.
     */
    update: async (
      caller: Principal,
      id: string,
      patch: { name?: string | undefined; roles?: string[] | undefined; groups?: string[] | undefined; password?: string | undefined },
      ctx: RequestContext,
    ): Promise<UserRow> => {
      const current = await get(caller, id);
      await mayActOn(caller, current, 'users:update', { kind: 'user', name: current.email, id: current.id }, ctx);
      const roles = patch.roles ?? current.roles;
      const groups = patch.groups ?? current.groups;
      assertCanGrant(caller, { roles, groups }, current);
      const passwordHash = patch.password ? await hashPassword(patch.password) : undefined;
      return dataSource.transaction(async (em) => {
        // The lineage lock first (before the admin row locks below), as in `remove`.
        await tokens.lockLineage(em, caller.companyId);
        const user = await users.find(caller.companyId, id, em);
        if (!user) throw new NotFoundError('No such user');
        // Again on the row as this transaction reads it, narrowing the race with a concurrent role change.
        assertMayActOn(caller, user, user.email);
        assertCanGrant(caller, { roles, groups }, user);
        if (user.roles.includes(ADMIN_ROLE) && !roles.includes(ADMIN_ROLE)) {
          const admins = await users.lockAdmins(em, caller.companyId);
          if (admins.filter((a) => a !== user.id).length === 0) {
            throw new ConflictError('The last Admin cannot be demoted; make someone else Admin first', {
              errors: [{ path: 'roles', message: 'would leave the company without an Admin' }],
            });
          }
        }
        const updated = await users.update(em, user, {
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          roles,
          groups,
          ...(passwordHash ? { passwordHash } : {}),
        });
        const demoted = lost(user.roles, roles) || lost(user.groups, groups);
        if (demoted || passwordHash) await sessions.deleteForUser(em, user.id);
        // The tokens a demoted user minted (they saw the plaintext) may not keep what the user
        // lost: those carrying a role or group the user no longer holds are revoked, with their
        // children. A user still Admin could mint any token, so theirs stay.
        const revoked =
          demoted && !roles.includes(ADMIN_ROLE)
            ? await tokens.revokeLineage(em, caller.companyId, { createdByUser: user.id, beyond: { roles, groups } }, now())
            : [];
        const reasons = [
          demoted ? 'demoted' : null,
          passwordHash ? 'password_reset' : null,
          patch.roles || patch.groups ? `roles=${roles.join(',')};groups=${groups.join(',')}` : null,
          revoked.length > 0 ? `tokens_revoked=${revoked.length}` : null,
        ].filter(Boolean);
        await audit.record(event(caller, 'users:update', updated, reasons.join(' ') || 'renamed', ctx), em);
        for (const e of tokenRevokedEvents(caller, revoked, () => `creator_demoted:${user.email}`, ctx, now())) await audit.record(e, em);
        return updated;
      });
    },

    remove: async (caller: Principal, id: string, ctx: RequestContext): Promise<void> => {
      const target = await get(caller, id);
      await mayActOn(caller, target, 'users:delete', { kind: 'user', name: target.email, id: target.id }, ctx);
      await dataSource.transaction(async (em) => {
        // The lineage lock first (before the admin row locks below): a token this user is minting
        // meanwhile waits for the removal and is then refused, or commits first and is revoked.
        await tokens.lockLineage(em, caller.companyId);
        const user = await users.find(caller.companyId, id, em);
        if (!user) throw new NotFoundError('No such user');
        assertMayActOn(caller, user, user.email);
        // Removing an Admin revokes Admin, which only an Admin may do.
        assertCanGrant(caller, { roles: [], groups: [] }, { roles: user.roles.filter((r) => r === ADMIN_ROLE), groups: [] });
        if (user.roles.includes(ADMIN_ROLE)) {
          const admins = await users.lockAdmins(em, caller.companyId);
          if (admins.filter((a) => a !== user.id).length === 0) {
            throw new ConflictError('The last Admin cannot be removed; make someone else Admin first');
          }
        }
        // A token's creator saw its plaintext: the tokens a leaver minted (and the tokens those
        // minted) are revoked with them. Sessions go with the user (ON DELETE CASCADE).
        const revoked = await tokens.revokeLineage(em, caller.companyId, { createdByUser: user.id }, now());
        await users.remove(em, caller.companyId, id);
        await audit.record(event(caller, 'users:delete', user, revoked.length > 0 ? `removed;tokens_revoked=${revoked.length}` : 'removed', ctx), em);
        for (const e of tokenRevokedEvents(caller, revoked, () => `creator_removed:${user.email}`, ctx, now())) await audit.record(e, em);
      });
    },
  };
};

export type UserService = ReturnType<typeof userServiceFactory>;
