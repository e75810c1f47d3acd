// An in-memory stand-in for the few API answers a form needs to render, so component tests can
// check validation messages and the placement of the API's field errors. Answers follow api.md.
import { vi } from 'vitest';

export type Handler = (req: { method: string; path: string; body: unknown }) => { status: number; body?: unknown } | undefined;

export const ME = {
  user: { id: '00000000-0000-4000-8000-000000000001', email: 'ada@acme.test', name: 'Ada', roles: ['Admin'], groups: [], createdAt: '2026-01-01T00:00:00Z' },
  company: { id: '00000000-0000-4000-8000-0000000000c0', name: 'Acme', createdAt: '2026-01-01T00:00:00Z' },
  roles: ['Admin'],
  groups: [],
};

const defaults: Handler = ({ method, path, body }) => {
  if (method === 'GET' && path === '/api/v1/me') return { status: 200, body: ME };
  if (method === 'GET' && path === '/api/v1/auth/csrf') return { status: 200, body: { token: 'csrf' } };
  if (method === 'GET' && path === '/api/v1/users') return { status: 200, body: { items: [ME.user], nextCursor: null } };
  if (method === 'POST' && path === '/api/v1/me/permissions') {
    const checks = (body as { checks: Array<{ action: string }> }).checks;
    return { status: 200, body: { results: checks.map((c) => ({ ...c, allowed: true, reason: 'explicit_allow' })) } };
  }
  return undefined;
};

/** Installs a fetch that answers from `handler` first, then the defaults; records every request. */
export const installFakeApi = (handler: Handler = () => undefined) => {
  const calls: Array<{ method: string; path: string; body: unknown }> = [];
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(req.url);
    const text = req.method === 'GET' ? '' : await req.text();
    const call = { method: req.method, path: url.pathname, body: text ? (JSON.parse(text) as unknown) : undefined };
    calls.push(call);
    const answer = handler(call) ?? defaults(call) ?? { status: 404, body: { title: 'Not Found', status: 404 } };
    const type = answer.status >= 400 ? 'application/problem+json' : 'application/json';
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': type } });
  });
  return calls;
};
