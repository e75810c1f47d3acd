export const SECRET_TYPE_LABELS = {
  api_key: 'API Key',
  oauth_token: 'OAuth Token',
  password: 'Password',
  certificate: 'Certificate',
  custom: 'Custom',
} as const;

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export const formatDate = (iso: string | null | undefined): string => (iso ? dateFmt.format(new Date(iso)) : '—');
export const formatDateTime = (iso: string | null | undefined): string => (iso ? dateTimeFmt.format(new Date(iso)) : '—');

export const isOverdue = (iso: string | null | undefined, now = Date.now()): boolean => !!iso && new Date(iso).getTime() <= now;

/** Comma-separated names (roles, groups) to a clean list. */
export const splitList = (raw: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
