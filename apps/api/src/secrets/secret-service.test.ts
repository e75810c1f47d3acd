import type { Principal, RequestContext, SecretRow } from '@nembl/core';
import { describe, expect, it } from 'vitest';
import type { SecretWithRelations } from './secret-repository.js';
import { secretServiceFactory, type SecretServiceDeps } from './secret-service.js';

const principal = {
  type: 'user',
  id: 'u1',
  label: 'u1',
  companyId: 'c1',
  roles: ['Admin'],
  groups: [],
} as unknown as Principal;
const ctx: RequestContext = { requestId: 'r1', ip: null, userAgent: null };
const row = (i: number): SecretWithRelations => ({
  secret: { id: `id-${i}`, name: `s-${String(i).padStart(3, '0')}`, type: 'custom', tags: {} } as SecretRow,
  owners: [],
  bindings: [],
});

/** A service over a repository whose list statement answers after `delayMs`, every row readable. */
const serviceWithSlowList = (delayMs: number, total: number) =>
  secretServiceFactory({
    secrets: {
      listPage: async (_c: string, _f: unknown, after: string | undefined, limit: number) => {
        await new Promise((r) => setTimeout(r, delayMs));
        const all = Array.from({ length: total }, (_, i) => row(i));
        return all.filter((r) => after === undefined || r.secret.name > after).slice(0, limit);
      },
    },
    authz: { authorizer: async () => () => ({ decision: 'allow' }) },
    audit: { record: async () => undefined },
    presentBindings: async () => new Map(),
    now: () => new Date(),
  } as unknown as SecretServiceDeps);

describe('secret list', () => {
  it('fills the page when the statement is slower than the evaluation budget (the budget is for deciding rows)', async () => {
    // 40 ms per statement, past the 25 ms budget, while deciding 11 rows takes microseconds.
    const { page, nextAfter } = await serviceWithSlowList(40, 30).list(principal, {}, undefined, 10, ctx);
    expect(page.map((s) => s.name)).toEqual(Array.from({ length: 10 }, (_, i) => `s-${String(i).padStart(3, '0')}`));
    expect(nextAfter).toBe('s-009');
  });
});
