import { ForbiddenError } from '@nembl/core';
import { describe, expect, it } from 'vitest';
import { assertCanGrant, assertMayActOn } from './grant-fns.js';

const dev = { roles: ['Developer'], groups: ['payments'] };
const admin = { roles: ['Admin'], groups: [] };

describe('assertCanGrant', () => {
  it('lets a caller grant roles and groups it holds', () => {
    expect(() => assertCanGrant(dev, { roles: ['Developer'], groups: ['payments'] })).not.toThrow();
  });
  it('refuses roles or groups the caller lacks, naming them', () => {
    expect(() => assertCanGrant(dev, { roles: ['Runner'], groups: [] })).toThrow(/grant only roles/);
    expect(() => assertCanGrant(dev, { roles: [], groups: ['ops'] })).toThrow(ForbiddenError);
  });
  it('lets only an Admin grant or revoke Admin', () => {
    expect(() => assertCanGrant({ roles: ['Developer', 'Runner'], groups: [] }, { roles: ['Admin'], groups: [] })).toThrow(/Only an Admin/);
    expect(() => assertCanGrant(dev, { roles: [], groups: [] }, { roles: ['Admin'], groups: [] })).toThrow(/Only an Admin/);
    expect(() => assertCanGrant(admin, { roles: ['Admin', 'Runner'], groups: ['anything'] })).not.toThrow();
  });
  it('does not count roles the grantee already has as grants', () => {
    expect(() =>
      assertCanGrant(dev, { roles: ['Viewer', 'Developer'], groups: [] }, { roles: ['Viewer'], groups: [] }),
    ).not.toThrow();
  });
});

describe('assertMayActOn', () => {
  it('lets a caller act on principals whose roles and groups it all holds', () => {
    expect(() => assertMayActOn(dev, { roles: ['Developer'], groups: [] }, 'x')).not.toThrow();
    expect(() => assertMayActOn(dev, { roles: [], groups: [] }, 'x')).not.toThrow();
  });
  it('refuses a target holding a role or group the caller lacks, naming each', () => {
    expect(() => assertMayActOn(dev, { roles: ['Admin'], groups: [] }, 'boss@example.com')).toThrow(/boss@example.com holds role Admin/);
    expect(() => assertMayActOn(dev, { roles: ['Developer'], groups: ['payments', 'ops'] }, 'x')).toThrow(/group ops/);
    expect(() => assertMayActOn(dev, { roles: ['Runner'], groups: [] }, 'x')).toThrow(ForbiddenError);
  });
  it('lets an Admin act on anyone', () => {
    expect(() => assertMayActOn(admin, { roles: ['Admin', 'Runner'], groups: ['ops'] }, 'x')).not.toThrow();
  });
});
