import type { Principal } from '@nembl/core';
import type { StoredPolicy } from '@nembl/policy';
import { describe, expect, it } from 'vitest';
import { authzServiceFactory } from './authz-service.js';

const principal: Principal = {
  type: 'token',
  id: 't1',
  companyId: 'c1',
  roles: ['Reader'],
  groups: [],
  label: 'reader',
};
const readers = (allowed: boolean): StoredPolicy[] =>
  allowed
    ? [
        {
          id: 'p1',
          name: 'readers',
          document: {
            name: 'readers',
            statements: [{ effect: 'allow', actions: ['secrets:read'], principals: { roles: ['Reader'] } }],
          },
        } as unknown as StoredPolicy,
      ]
    : [];

describe('authzServiceFactory invalidate', () => {
  it('does not keep a policy load that began before an invalidation (it may predate the change)', async () => {
    let stored = readers(true);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let loads = 0;
    const authz = authzServiceFactory({
      loadPolicies: async () => {
        loads += 1;
        const answer = stored;
        if (loads === 1) await gate; // the first load read the policies, then stalls
        return answer;
      },
      policyVersion: async () => '1',
      audit: { record: async () => undefined },
      now: () => new Date(),
      revalidateAfterMs: 60_000,
    });
    const racing = authz.authorizer(principal, 'secrets:read');
    await new Promise((r) => setTimeout(r, 10));
    stored = readers(false); // a policy write commits…
    authz.invalidate('c1'); // …and its announcement arrives while the old load is in flight
    release();
    expect((await racing)({ kind: 'secret', name: 's', tags: {} }).decision).toBe('allow'); // began before: old set
    const after = await authz.authorizer(principal, 'secrets:read');
    expect(after({ kind: 'secret', name: 's', tags: {} }).decision).toBe('deny');
    expect(loads).toBe(2);
  });
});

describe('authzServiceFactory setTrusted', () => {
  it('re-reads the version stamp on every check while untrusted (unsubscribed), so another process’s change applies at once', async () => {
    let stored = readers(true);
    let version = 1;
    let versionReads = 0;
    const authz = authzServiceFactory({
      loadPolicies: async () => stored,
      policyVersion: async () => {
        versionReads += 1;
        return String(version);
      },
      audit: { record: async () => undefined },
      now: () => new Date(),
      revalidateAfterMs: 60_000,
    });
    const decide = async () =>
      (await authz.authorizer(principal, 'secrets:read'))({ kind: 'secret', name: 's', tags: {} }).decision;
    expect(await decide()).toBe('allow');
    stored = readers(false);
    version = 2; // another process's policy write, not announced here
    expect(await decide()).toBe('allow'); // trusted: within revalidateAfterMs the compiled set stands
    authz.setTrusted(false);
    expect(await decide()).toBe('deny');
    stored = readers(true);
    version = 3;
    const before = versionReads;
    expect(await decide()).toBe('allow');
    expect(versionReads).toBeGreaterThan(before);
  });
});
