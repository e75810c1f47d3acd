// The typed client for /api/v1: openapi-fetch over the types generated from the API's OpenAPI
// document (schema.gen.ts). Same origin, so the session cookie travels on its own; every
// cookie-authenticated write carries the CSRF token from /auth/csrf.
import createClient, { type Middleware } from 'openapi-fetch';
import { ApiError, NETWORK_PROBLEM, type Problem } from './problem';
import type { components, paths } from './schema.gen';

export type Schemas = components['schemas'];
export type Secret = Schemas['Secret'];
export type Operation = Schemas['Operation'];
export type Me = Schemas['Me'];

export const BASE = '/api/v1';

let csrfToken: Promise<string> | null = null;
const SAFE = new Set(['GET', 'HEAD']);
const NO_CSRF = new Set([`${BASE}/auth/login`, `${BASE}/auth/signup`]);

const fetchCsrf = async (): Promise<string> => {
  const res = await fetch(new URL(`${BASE}/auth/csrf`, window.location.origin), { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (res.status === 401) onSessionExpired();
  if (!res.ok) throw new ApiError(await problemFrom(res));
  return ((await res.json()) as { token: string }).token;
};

/** The token is bound to the session: forget it whenever the session changes. */
export const forgetCsrf = () => {
  csrfToken = null;
};

let onSessionExpired: () => void = () => undefined;
/** Called on a 401 from any call other than the session probe and sign-in itself. */
export const setSessionExpiredHandler = (fn: () => void) => {
  onSessionExpired = fn;
};

const problemFrom = async (res: Response): Promise<Problem> => {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body = (await res.clone().json()) as Partial<Problem>;
      if (typeof body.title === 'string') return { ...body, title: body.title, status: res.status };
    } catch {
      // A proxy in front of the API may answer with something that only claims to be JSON.
    }
  }
  return {
    title: res.statusText || 'Request failed',
    status: res.status,
    detail: `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`,
  };
};

const csrf: Middleware = {
  async onRequest({ request }) {
    const path = new URL(request.url).pathname;
    if (SAFE.has(request.method) || NO_CSRF.has(path)) return request;
    csrfToken ??= fetchCsrf().catch((err: unknown) => {
      csrfToken = null;
      throw err;
    });
    request.headers.set('X-CSRF-Token', await csrfToken);
    return request;
  },
};

const PROBE_PATHS = new Set([`${BASE}/me`, `${BASE}/auth/login`, `${BASE}/auth/signup`, `${BASE}/auth/logout`]);

const errors: Middleware = {
  async onResponse({ request, response }) {
    if (response.ok) return response;
    const problem = await problemFrom(response);
    const path = new URL(request.url).pathname;
    if (response.status === 401 && !PROBE_PATHS.has(path)) onSessionExpired();
    throw new ApiError(problem);
  },
  onError() {
    return Promise.reject(new ApiError(NETWORK_PROBLEM));
  },
};

// Absolute (this origin), so the same client also runs where Request needs a full URL (jsdom tests).
export const api = createClient<paths>({
  baseUrl: new URL(BASE, window.location.origin).href,
  credentials: 'same-origin',
  // Looked up per call rather than captured once, so whatever `fetch` the page has is the one used.
  fetch: (request) => globalThis.fetch(request),
});
api.use(csrf, errors);

/** Unwraps an openapi-fetch result: errors were already thrown by the middleware. */
export const unwrap = async <T,>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> => {
  const { data } = await p;
  return data as T;
};

/** The full result, for writes whose status matters (201 done vs 202 still running). */
export const withStatus = async <T,>(p: Promise<{ data?: T; error?: unknown; response: Response }>) => {
  const { data, response } = await p;
  return { data: data as T, status: response.status };
};
