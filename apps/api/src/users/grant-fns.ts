import { ADMIN_ROLE, ForbiddenError, isAdmin, type Principal } from '@nembl/core';

/**
 * A caller may hand out only roles and groups it holds itself, and only an Admin grants Admin
 * (an Admin may grant any role or group). `previous` is what the grantee already has: keeping
 * those is not a grant.
 */
export const assertCanGrant = (
  caller: Pick<Principal, 'roles' | 'groups'>,
  requested: { roles: readonly string[]; groups: readonly string[] },
  previous: { roles: readonly string[]; groups: readonly string[] } = { roles: [], groups: [] },
): void => {
  const addedRoles = requested.roles.filter((r) => !previous.roles.includes(r));
  const addedGroups = requested.groups.filter((g) => !previous.groups.includes(g));
  const removedAdmin = previous.roles.includes(ADMIN_ROLE) && !requested.roles.includes(ADMIN_ROLE);
  if (isAdmin(caller)) return;
  if (addedRoles.includes(ADMIN_ROLE) || removedAdmin) {
    throw new ForbiddenError('Only an Admin can grant or revoke the Admin role', {
      errors: [{ path: 'roles', message: 'Admin can be granted only by an Admin' }],
    });
  }
  const missingRoles = addedRoles.filter((r) => !caller.roles.includes(r));
  const missingGroups = addedGroups.filter((g) => !caller.groups.includes(g));
  if (missingRoles.length > 0 || missingGroups.length > 0) {
    throw new ForbiddenError('You can grant only roles and groups you hold yourself', {
      errors: [
        ...missingRoles.map((r) => ({ path: 'roles', message: `you do not hold role ${r}` })),
        ...missingGroups.map((g) => ({ path: 'groups', message: `you are not in group ${g}` })),
      ],
    });
  }
};

/**
 * A caller may change or remove another principal (a user's password, name, roles or groups; a
 * user; a token) only when it is an Admin or already holds every role and group the target
 * holds: nobody acts on someone more privileged than itself (a password reset of an Admin would
 * otherwise be a takeover). `what` names the target in the message.
 */
export const assertMayActOn = (
  caller: Pick<Principal, 'roles' | 'groups'>,
  target: { roles: readonly string[]; groups: readonly string[] },
  what: string,
): void => {
  if (isAdmin(caller)) return;
  const missingRoles = target.roles.filter((r) => !caller.roles.includes(r));
  const missingGroups = target.groups.filter((g) => !caller.groups.includes(g));
  if (missingRoles.length === 0 && missingGroups.length === 0) return;
  const lacking = [...missingRoles.map((r) => `role ${r}`), ...missingGroups.map((g) => `group ${g}`)];
  throw new ForbiddenError(
    `You may change or remove only principals whose roles and groups you hold yourself; ${what} holds ${lacking.join(', ')}, which you do not`,
    { extra: { reason: 'target_more_privileged', lacking } },
  );
};
