// JSON over HTTP for the benches: every call answers { status, headers, json, text } and is aborted
// by the bench's stop signal (Ctrl-C, budget) or its own timeout.
import http from 'node:http';
import { stop } from './run.mjs';

const parse = (text, contentType) => {
  if (!text || !/json/.test(contentType ?? '')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * A `request(base, method, path, { headers, body, timeoutMs })` over one node:http keep-alive agent
 * of `maxSockets` connections (timed calls reuse their connection, so no TCP set-up is measured).
 */
export const keepAliveClient = ({ maxSockets = 16, timeoutMs: defaultTimeoutMs = 30_000 } = {}) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const request = (base, method, path, { headers = {}, body, timeoutMs = defaultTimeoutMs } = {}) =>
    new Promise((resolve, reject) => {
      const payload = body !== undefined ? Buffer.from(JSON.stringify(body)) : undefined;
      const req = http.request(
        `${base}${path}`,
        {
          method,
          agent,
          headers: {
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : { 'content-length': 0 }),
            ...headers,
          },
          signal: AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]),
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode, headers: res.headers, json: parse(text, res.headers['content-type']), text });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return { agent, request };
};

/** The same answer shape through fetch (what a browser or the CLI would use). */
export const fetchJson = async (base, method, path, { headers = {}, body, timeoutMs = 20_000 } = {}) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: parse(text, 'json'), text };
};
