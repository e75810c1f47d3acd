import { NotFoundError, UnauthorizedError, ValidationError, type Principal, type ServiceTokenRow } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditService } from '@nembl/core';
import { allowedEvent, type RequestContext } from '@nembl/core';
import { mintCredential, SERVICE_TOKEN_PREFIX } from '../auth/credential-fns.js';
import { assertCanGrant } from '../users/grant-fns.js';
import { privilegeGuardFactory } from '../users/privilege-guard.js';
import type { UserRepository } from '../users/user-repository.js';
import type { RevokedToken, TokenRepository } from './token-repository.js';

/** One `tokens:revoke` event per token revoked, saying why (the caller's own target, or a cascade). */
export const tokenRevokedEvents = (caller: Principal, revoked: RevokedToken[], reason: (t: RevokedToken) => string, ctx: RequestContext, at: Date) =>
  revoked.map((t) => allowedEvent(caller, 'tokens:revoke', { kind: 'token', name: t.name, id: t.id }, ctx, at, { reason: reason(t) }));

export const tokenServiceFactory = ({
  dataSource,
  tokens,
  users,
  audit,
  now,
}: {
  dataSource: DataSource;
  tokens: TokenRepository;
  users: Pick<UserRepository, 'find'>;
  audit: Pick<AuditService, 'record'>;
  now: () => Date;
}) => {
  const event = (caller: Principal, action: string, t: Pick<ServiceTokenRow, 'id' | 'name'>, reason: string, ctx: RequestContext) =>
    allowedEvent(caller, action, { kind: 'token', name: t.name, id: t.id }, ctx, now(), { reason });

  const mayActOn = privilegeGuardFactory({ audit, now });

  /**
   * A token minted by a token lives no longer than its parent: no expiry given → the parent's;
   * a later one → 400 naming `expiresAt` (silently shortening what was asked for would surprise).
   * Read inside the minting transaction, under the lineage lock: a creator revoked, expired or
   * removed since it authenticated (the request raced its revocation) mints nothing (401), and a
   * user grants only what they hold as the transaction reads them.
   */
  const cappedExpiry = async (
    em: EntityManager,
    caller: Principal,
    input: { roles: string[]; groups: string[]; expiresAt?: Date | undefined },
  ): Promise<Date | null> => {
    const requested = input.expiresAt;
    if (caller.type !== 'token') {
      const user = await users.find(caller.companyId, caller.id, em);
      if (!user) throw new UnauthorizedError('Session user no longer exists');
      // Against the roles the user holds now: a demotion that committed meanwhile counts.
      assertCanGrant(user, input);
      return requested ?? null;
    }
    const parent = await tokens.findLiveById(em, caller.companyId, caller.id, now());
    if (!parent) throw new UnauthorizedError('The bearer token is invalid, expired or revoked');
    const limit = parent.expiresAt;
    if (!limit) return requested ?? null;
    if (requested && requested.getTime() > limit.getTime()) {
      throw ValidationError.field('expiresAt', `must not be later than the expiry of the token creating it (${limit.toISOString()})`);
    }
    return requested ?? limit;
  };

  return {
    /** Creates a token; the plaintext is returned once and only its hash is stored. */
    create: async (
      caller: Principal,
      input: { name: string; roles: string[]; groups: string[]; expiresAt?: Date | undefined },
      ctx: RequestContext,
    ): Promise<{ row: ServiceTokenRow; token: string }> => {
      if (input.expiresAt && input.expiresAt.getTime() <= now().getTime()) {
        throw ValidationError.field('expiresAt', 'must be in the future');
      }
      assertCanGrant(caller, input);
      const { token, hash } = mintCredential(SERVICE_TOKEN_PREFIX);
      const row = await dataSource.transaction(async (em) => {
        // Serialized with revocations of lineages (a revoked parent, a removed creator), so the
        // new token is either refused or seen, and revoked, by a revocation running meanwhile.
        await tokens.lockLineage(em, caller.companyId);
        const expiresAt = await cappedExpiry(em, caller, input);
        const created = await tokens.insert(em, {
          companyId: caller.companyId,
          name: input.name,
          tokenHash: hash,
          roles: input.roles,
          groups: input.groups,
          createdBy: caller.type === 'user' ? caller.id : null,
          createdByToken: caller.type === 'token' ? caller.id : null,
          expiresAt,
        });
        await audit.record(event(caller, 'tokens:create', created, `roles=${created.roles.join(',')}`, ctx), em);
        return created;
      });
      return { row, token };
    },

    get: async (caller: Principal, id: string): Promise<ServiceTokenRow> => {
      const row = await tokens.find(caller.companyId, id);
      if (!row) throw new NotFoundError('No such token');
      return row;
    },

    /** Revokes a token and every token it minted, transitively (each audited). */
    revoke: async (caller: Principal, row: ServiceTokenRow, ctx: RequestContext): Promise<void> => {
      await mayActOn(caller, row, 'tokens:revoke', { kind: 'token', name: row.name, id: row.id }, ctx);
      await dataSource.transaction(async (em) => {
        const revoked = await tokens.revokeLineage(em, caller.companyId, { tokenId: row.id }, now());
        if (!revoked.some((t) => t.id === row.id)) throw new NotFoundError('No such token');
        const events = tokenRevokedEvents(caller, revoked, (t) => (t.id === row.id ? 'revoked' : `parent_revoked:${row.name}`), ctx, now());
        for (const e of events) await audit.record(e, em);
      });
    },
  };
};

export type TokenService = ReturnType<typeof tokenServiceFactory>;
