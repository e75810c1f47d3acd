import { useQuery, type QueryClient } from '@tanstack/react-query';
import { api, forgetCsrf, type Me } from '../api/client';
import { ApiError } from '../api/problem';

export const ME_KEY = ['me'] as const;

/** The caller, or `null` when there is no valid session (401). */
export const fetchMe = async (): Promise<Me | null> => {
  try {
    const { data } = await api.GET('/me');
    return (data as Me | undefined) ?? null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
};

export const useMe = () => useQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: Infinity, retry: false });

/** After sign-in/up: a new session, so a new CSRF token and a fresh cache. */
/** Everything cached but the session itself (whose observers must see it change, not vanish). */
const notMe = { predicate: (q: { queryKey: readonly unknown[] }) => q.queryKey[0] !== ME_KEY[0] };

export const startSession = async (qc: QueryClient): Promise<Me | null> => {
  forgetCsrf();
  qc.removeQueries(notMe);
  const me = await fetchMe();
  qc.setQueryData(ME_KEY, me);
  return me;
};

export const endSession = (qc: QueryClient) => {
  forgetCsrf();
  qc.setQueryData(ME_KEY, null);
  qc.removeQueries(notMe);
};

/** Only same-origin paths are accepted as a return address (no `//host` or `https:` open redirect). */
export const safeReturnTo = (raw: string | null): string => {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\') || raw.startsWith('/sign-')) return '/settings/secrets';
  return raw;
};
