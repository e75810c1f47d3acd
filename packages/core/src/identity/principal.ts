/**
 * Who is calling, resolved once per request from a session cookie or a service token. Every
 * query takes the company from here, never from the request.
 */
export interface Principal {
  type: 'user' | 'token';
  id: string;
  companyId: string;
  roles: readonly string[];
  groups: readonly string[];
  /** Human label for audit: a user's email or a token's name. */
  label: string;
  /** Set for cookie sessions only. */
  sessionId?: string;
}

export const ADMIN_ROLE = 'Admin';

export const isAdmin = (p: Pick<Principal, 'roles'>): boolean => p.roles.includes(ADMIN_ROLE);

/** Role and group names: what policies and grants refer to. */
export const ROLE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/;
