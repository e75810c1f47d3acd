import http from 'node:http';
import { CliError, EXIT } from '../cli-error.js';
import { isObject, type Shape } from './shapes.js';

export type Credentials =
  { kind: 'token'; token: string } | { kind: 'session'; cookie: string; csrf: string } | { kind: 'none' };

export interface ApiResponse<T = unknown> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
}

/** The problem+json fields the CLI reports (detail and field errors never carry a value). */
export interface Problem {
  title?: string;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
  secret?: string;
  action?: string;
}

const REQUEST_TIMEOUT_MS = 30_000;

/** One HTTP exchange with node:http (not fetch: loading undici costs a start-up of ~100 ms). */
const exchange = async (url: URL, method: string, headers: Record<string, string>, payload: Buffer | undefined) => {
  // TLS is loaded only for https URLs: most runs talk to a local or in-cluster http API.
  const lib = url.protocol === 'https:' ? await import('node:https') : http;
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = lib.request(
      url,
      { method, headers: { ...headers, 'content-length': String(payload?.length ?? 0) }, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(payload);
  });
};

/**
 * A URL as messages show it: a user name or password in it is not repeated. Whatever comes
 * before the last `@` (after the scheme) goes, however the URL parses: a password may hold `/`,
 * `?` or `#`, which would make a parser see a port, a path or a fragment there.
 */
export const shownUrl = (url: string): string =>
  url.includes('@') ? url.replace(/^((?:[a-z][a-z0-9+.-]*:)?\/\/)?.*@/is, '$1***@') : url;

/** What an HTTP header can carry (visible ASCII): a token with a stray control character cannot be sent. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

export const problemText = (body: unknown, fallback: string): string => {
  const p = (body && typeof body === 'object' ? body : {}) as Problem;
  const fields = p.errors?.length ? ` (${p.errors.map((e) => `${e.path}: ${e.message}`).join('; ')})` : '';
  return `${p.detail ?? p.title ?? fallback}${fields}`;
};

/**
 * A thin fetch wrapper for `/api/v1`: bearer token or session cookie (+ CSRF header on writes).
 * Transport failures and 503 become exit 5, 401 exit 3, so every command reports them alike.
 */
export const apiClient = (baseUrl: string, credentials: Credentials) => {
  const root = baseUrl.replace(/\/+$/, '');

  /** An answer the API does not give: it came from something else (exit 5). */
  const notTheApi = (method: string, path: string, what = 'JSON the Nembl API does not send') =>
    new CliError(
      EXIT.unavailable,
      `${shownUrl(root)} answered ${method} /api/v1${path.split('?')[0]} with ${what}; is NEMBL_API_URL (or --url) right?`,
    );

  const request = async <T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (credentials.kind === 'token') {
      if (!HEADER_SAFE.test(credentials.token))
        throw new CliError(
          EXIT.auth,
          'the service token is malformed (it holds spaces or control characters); copy it again',
        );
      headers.authorization = `Bearer ${credentials.token}`;
    }
    if (credentials.kind === 'session') {
      headers.cookie = credentials.cookie;
      if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = credentials.csrf;
    }
    let url: URL;
    try {
      url = new URL(`${root}/api/v1${path}`);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new CliError(
        EXIT.usage,
        `not a valid API URL: ${JSON.stringify(shownUrl(root))} (NEMBL_API_URL or nembl login --url)`,
      );
    }
    let res: { status: number; headers: http.IncomingHttpHeaders; text: string };
    try {
      res = await exchange(url, method, headers, body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
    } catch (err) {
      throw new CliError(
        EXIT.unavailable,
        `cannot reach the Nembl API at ${shownUrl(root)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).name})`,
      );
    }
    const text = res.text;
    let parsed: unknown = undefined;
    let json = true;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        json = false;
      }
    }
    // A gateway in front of the API that cannot reach it answers 502 or 504.
    if (res.status === 502 || res.status === 503 || res.status === 504)
      throw new CliError(
        EXIT.unavailable,
        `the Nembl API is unavailable (HTTP ${res.status}): ${problemText(parsed, 'try again shortly')}`,
      );
    // Every 2xx of the API but 204 carries a JSON object: anything else is some other server.
    if ((!json || (res.status !== 204 && !isObject(parsed))) && res.status >= 200 && res.status < 300)
      throw notTheApi(method, path, `HTTP ${res.status} and something that is not the Nembl API's JSON`);
    if (res.status === 401) {
      throw new CliError(
        EXIT.auth,
        credentials.kind === 'none'
          ? 'not logged in: run `nembl login` (or `nembl login --token`) or set NEMBL_TOKEN'
          : `not authenticated: ${problemText(parsed, 'the token or session was refused')}; log in again`,
      );
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  };

  /** The body, if it has the shape the CLI reads; else the answer came from something that is not the API (exit 5). */
  const expectShape = <T>(body: unknown, shape: Shape<T>, method: string, path: string): T => {
    if (shape(body)) return body;
    throw notTheApi(method, path);
  };

  return {
    root,
    credentials,
    request,
    expectShape,
    notTheApi,
    /** The body of a successful answer; anything else becomes the exit code the contract names. */
    ok: async <T>(
      method: string,
      path: string,
      body: unknown,
      context: string | undefined,
      shape: Shape<T>,
    ): Promise<ApiResponse<T>> => {
      const res = await request<unknown>(method, path, body);
      if (res.status < 200 || res.status >= 300) throw errorFor(res.status, res.body, context);
      return { ...res, body: expectShape(res.body, shape, method, path) };
    },
  };
};

export type ApiClient = ReturnType<typeof apiClient>;

/** An API refusal as a CLI failure: 400 usage, 403/404/410/422 denied or not found, else 1. */
export const errorFor = (status: number, body: unknown, context?: string): CliError => {
  const what = problemText(body, `HTTP ${status}`);
  const msg = context ? `${context}: ${what}` : what;
  if (status === 400 || status === 413) return new CliError(EXIT.usage, msg);
  if (status === 403 || status === 404 || status === 410 || status === 422) return new CliError(EXIT.denied, msg);
  return new CliError(EXIT.failure, msg);
};
