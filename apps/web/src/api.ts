// A thin client for the parts of /api/v1 the console uses so far. Same origin: the session cookie
// travels on its own, and every cookie-authenticated write carries the CSRF token from /auth/csrf.

const BASE = '/api/v1';

export interface FieldError {
  path: string;
  message: string;
}

/** An `application/problem+json` body, as the API's error middleware writes it. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  requestId?: string;
}

export interface Company {
  id: string;
  name: string;
  createdAt: string;
}

export interface User {
  id: string;
  email: string;
  name: string;
  roles: string[];
  groups: string[];
  createdAt: string;
}

export interface Me {
  /** `null` for a service token; the console only ever sees cookie sessions. */
  user: User | null;
  token?: { id: string; name: string };
  company: Company;
  roles: string[];
  groups: string[];
}

export interface LoginInput {
  email: string;
  password: string;
}

export interface SignupInput {
  companyName: string;
  email: string;
  password: string;
  name?: string;
}

/** Any failed call: a problem from the API, or a synthesized one when the API could not be reached. */
export class ApiError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
    this.problem = problem;
  }

  get status(): number {
    return this.problem.status;
  }
}

const isProblem = (body: unknown): body is Problem =>
  typeof body === 'object' && body !== null && typeof (body as { title?: unknown }).title === 'string';

const problemFrom = async (res: Response): Promise<Problem> => {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body: unknown = await res.json();
      if (isProblem(body)) return { ...body, status: res.status };
    } catch {
      // Fall through: a proxy in front of the API may answer with something that only claims to be JSON.
    }
  }
  return {
    title: res.statusText || 'Request failed',
    status: res.status,
    detail: `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`,
  };
};

interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
}

const request = async <T>(method: 'GET' | 'POST', path: string, options: RequestOptions = {}): Promise<T> => {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';

  let res: Response;
  try {
    res = await fetch(`${BASE}${path}`, {
      method,
      credentials: 'same-origin',
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError({
      title: 'Network error',
      status: 0,
      detail: 'Could not reach the Nembl Secrets API. Check your connection and try again.',
    });
  }

  if (!res.ok) throw new ApiError(await problemFrom(res));
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
};

/** The caller, or `null` when there is no valid session (401). */
export const fetchMe = async (): Promise<Me | null> => {
  try {
    return await request<Me>('GET', '/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
};

export const login = (input: LoginInput): Promise<{ user: User; company: Company }> =>
  request('POST', '/auth/login', { body: input });

export const signup = (input: SignupInput): Promise<{ user: User; company: Company }> =>
  request('POST', '/auth/signup', { body: input });

/** Logout is a cookie-authenticated write, so it needs the session's CSRF token first. */
export const logout = async (): Promise<void> => {
  const { token } = await request<{ token: string }>('GET', '/auth/csrf');
  await request<void>('POST', '/auth/logout', { headers: { 'X-CSRF-Token': token } });
};

/** Splits a problem's field errors into those a form shows next to its fields and the rest. */
export const fieldErrorsOf = (
  problem: Problem | null,
  fields: readonly string[],
): { byField: Partial<Record<string, string>>; other: FieldError[] } => {
  const byField: Partial<Record<string, string>> = {};
  const other: FieldError[] = [];
  for (const e of problem?.errors ?? []) {
    if (fields.includes(e.path)) byField[e.path] = byField[e.path] ? `${byField[e.path]}; ${e.message}` : e.message;
    else other.push(e);
  }
  return { byField, other };
};
