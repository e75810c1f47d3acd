import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';

/**
 * One HTTP/1.1 exchange over a fresh connection (`Connection: close`), on node:net (node:tls for
 * https). The CLI makes one or two requests per run; node:http costs more than that: loading it
 * (its agent, client, server and parser modules) and its first request through ClientRequest and
 * the agent measured ~8 ms of a ~40 ms start-up over bare Node (`nembl run -- true`, 50
 * references). The answer is a status line, headers, and a body framed by Content-Length or
 * chunked transfer coding (done at its last byte), or else by the close of the connection.
 */

export interface Http1Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class Http1Error extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const malformed = (what: string) => new Http1Error(`malformed HTTP response (${what})`, 'EPROTO');

/** Header names whose repeats are joined (a list) rather than kept apart (`set-cookie`). */
const headerInto = (headers: IncomingHttpHeaders, name: string, value: string) => {
  const h = headers as Record<string, string | string[] | undefined>;
  const prev = h[name];
  if (name === 'set-cookie') h[name] = [...((prev as string[] | undefined) ?? []), value];
  else h[name] = prev === undefined ? value : `${prev as string}, ${value}`;
};

/** Thrown while a response is still arriving; at the close of the connection it means truncated. */
class Incomplete extends Error {}

/** The body of a chunked message (trailers ignored). */
const dechunk = (data: Buffer, from: number): Buffer => {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol === -1) throw new Incomplete('truncated chunk size');
    const size = Number.parseInt(data.toString('latin1', at, eol).split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) throw malformed('bad chunk size');
    if (size === 0) return Buffer.concat(parts);
    const start = eol + 2;
    if (start + size + 2 > data.length) throw new Incomplete('truncated chunk');
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
};

/**
 * Parses a response: the whole of it once the connection closed (`atClose`), else what has
 * arrived so far, which is undefined until a framed response (Content-Length, chunked) is complete.
 */
const parse = (data: Buffer, atClose: boolean): Http1Response | undefined => {
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end === -1) throw new Incomplete('no end of headers');
    const lines = data.toString('latin1', at, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]!);
    if (!m) throw malformed('bad status line');
    const status = Number(m[1]);
    at = end + 4;
    // An interim answer (100 Continue, 103 Early Hints) comes before the real one.
    if (status >= 100 && status < 200) continue;
    const headers: IncomingHttpHeaders = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw malformed('bad header line');
      headerInto(headers, line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const te = headers['transfer-encoding'];
    if (te !== undefined && te.toLowerCase().split(',').pop()!.trim() === 'chunked')
      return { status, headers, body: dechunk(data, at) };
    const length = headers['content-length'];
    if (length !== undefined) {
      const n = Number(length);
      if (!Number.isInteger(n) || n < 0) throw malformed('bad Content-Length');
      if (data.length - at < n) throw new Incomplete('truncated body');
      return { status, headers, body: data.subarray(at, at + n) };
    }
    return atClose ? { status, headers, body: data.subarray(at) } : undefined;
  }
};

const parseSoFar = (data: Buffer): Http1Response | undefined => {
  try {
    return parse(data, false);
  } catch (err) {
    if (err instanceof Incomplete) return undefined;
    throw err;
  }
};

/** Parses a whole response as read up to the close of the connection. */
export const parseResponse = (data: Buffer): Http1Response => {
  try {
    return parse(data, true)!;
  } catch (err) {
    throw err instanceof Incomplete ? malformed(err.message) : err;
  }
};

export interface Http1Request {
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
}

/** Sends one request to `url` and resolves with the parsed answer; rejects with a `code` (ECONNREFUSED, ETIMEDOUT, …). */
export const http1 = async (url: URL, req: Http1Request): Promise<Http1Response> => {
  for (const [k, v] of Object.entries(req.headers))
    // A token or cookie with a line break in it would add headers of its own (node:http refuses it too).
    if (/[\r\n\0]/.test(v)) throw new Http1Error(`header ${k} holds a line break`, 'ERR_INVALID_CHAR');
  const tlsOn = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = Number(url.port || (tlsOn ? 443 : 80));
  // TLS is loaded only for https URLs: most runs talk to a local or in-cluster http API.
  const socket: net.Socket = tlsOn
    ? (await import('node:tls')).connect({ host, port, servername: net.isIP(host) ? undefined : host })
    : net.connect({ host, port });
  const head = [
    `${req.method} ${url.pathname}${url.search} HTTP/1.1`,
    `host: ${url.host}`,
    ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`),
    `content-length: ${req.body?.length ?? 0}`,
    'connection: close',
    '',
    '',
  ].join('\r\n');
  return new Promise<Http1Response>((resolve, reject) => {
    let data: Buffer = Buffer.alloc(0);
    let settled = false;
    const settle = (f: () => Http1Response | undefined) => {
      if (settled) return;
      try {
        const res = f();
        if (!res) return;
        settled = true;
        resolve(res);
      } catch (err) {
        settled = true;
        reject(err as Error);
      }
      socket.destroy();
    };
    socket.setTimeout(req.timeoutMs, () => socket.destroy(new Http1Error('timed out', 'ETIMEDOUT')));
    // A framed answer is done when its last byte is in, even if the server keeps the connection open.
    socket.on('data', (c: Buffer) => {
      data = data.length === 0 ? c : Buffer.concat([data, c]);
      settle(() => parseSoFar(data));
    });
    socket.once('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    socket.once('end', () => settle(() => parseResponse(data)));
    // Not end(): a half-closed request is an aborted one to some servers (Node's among them).
    socket.write(req.body ? Buffer.concat([Buffer.from(head, 'latin1'), req.body]) : Buffer.from(head, 'latin1'));
  });
};
