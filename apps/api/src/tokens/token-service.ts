import { NotFoundError, ValidationError, type Principal, type ServiceTokenRow } from '@nembl/core';
import type { DataSource } from 'typeorm';
import type { AuditService } from '@nembl/core';
import { allowedEvent, type RequestContext } from '@nembl/core';
import { mintCredential, SERVICE_TOKEN_PREFIX } from '../auth/credential-fns.js';
import { assertCanGrant } from '../users/grant-fns.js';
import type { TokenRepository } from './token-repository.js';

export const tokenServiceFactory = ({
  dataSource,
  tokens,
  audit,
  now,
}: {
  dataSource: DataSource;
  tokens: TokenRepository;
  audit: Pick<AuditService, 'record'>;
  now: () => Date;
}) => {
  const event = (caller: Principal, action: string, t: Pick<ServiceTokenRow, 'id' | 'name'>, reason: string, ctx: RequestContext) =>
    allowedEvent(caller, action, { kind: 'token', name: t.name, id: t.id }, ctx, now(), { reason });

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
        const created = await tokens.insert(em, {
          companyId: caller.companyId,
          name: input.name,
          tokenHash: hash,
          roles: input.roles,
          groups: input.groups,
          createdBy: caller.type === 'user' ? caller.id : null,
          expiresAt: input.expiresAt ?? null,
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

    revoke: async (caller: Principal, row: ServiceTokenRow, ctx: RequestContext): Promise<void> => {
      await dataSource.transaction(async (em) => {
        if (!(await tokens.revoke(em, caller.companyId, row.id, now()))) throw new NotFoundError('No such token');
        await audit.record(event(caller, 'tokens:revoke', row, 'revoked', ctx), em);
      });
    },
  };
};

export type TokenService = ReturnType<typeof tokenServiceFactory>;
