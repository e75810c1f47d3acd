import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http1, parseResponse } from './http1.js';

/** A node:http server that answers per path, so the client meets what a real server sends. */
let server: http.Server;
let base: URL;
const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (req.url === '/chunked') {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.write('{"a":');
        setTimeout(() => res.end('"ü"}'), 5);
      } else if (req.url === '/cookies') {
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
        res.setHeader('x-multi', ['one', 'two']);
        res.end('');
      } else {
        const body = JSON.stringify({ echo: Buffer.concat(chunks).toString(), path: req.url });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('http1', () => {
  it('sends method, path with query, headers and body, and reads a Content-Length answer', async () => {
    const body = Buffer.from(JSON.stringify({ env: { A: 'secret:a' } }));
    const res = await http1(new URL('/api/v1/env/resolve?x=%20y', base), {
      method: 'POST',
      headers: { authorization: 'Bearer t0k', 'content-type': 'application/json' },
      body,
      timeoutMs: 5000,
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ echo: body.toString(), path: '/api/v1/env/resolve?x=%20y' });
    const req = seen.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.headers).toMatchObject({
      authorization: 'Bearer t0k',
      'content-type': 'application/json',
      'content-length': String(body.length),
      host: base.host,
    });
  });

  it('decodes a chunked answer written in pieces', async () => {
    const res = await http1(new URL('/chunked', base), { method: 'GET', headers: {}, timeoutMs: 5000 });
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body.toString('utf8'))).toEqual({ a: 'ü' });
  });

  it('keeps each Set-Cookie apart and joins other repeated headers', async () => {
    const res = await http1(new URL('/cookies', base), { method: 'GET', headers: {}, timeoutMs: 5000 });
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(res.headers['x-multi']).toBe('one, two');
  });

  it('rejects with the transport code when nothing listens, and refuses a header with a line break', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(
      http1(new URL(`http://127.0.0.1:${port}/`), { method: 'GET', headers: {}, timeoutMs: 5000 }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(
      http1(base, { method: 'GET', headers: { authorization: 'Bearer a\r\nx-evil: 1' }, timeoutMs: 5000 }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_CHAR' });
  });

  it('is done at the last byte of a framed answer, even when the server keeps the connection open', async () => {
    const sockets: net.Socket[] = [];
    const lingering = net.createServer((s) => {
      sockets.push(s);
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: keep-alive\r\n\r\n{"a":');
        setTimeout(() => s.write('1}'), 20);
      });
    });
    await new Promise<void>((r) => lingering.listen(0, '127.0.0.1', r));
    const url = new URL(`http://127.0.0.1:${(lingering.address() as AddressInfo).port}/`);
    const started = Date.now();
    const res = await http1(url, { method: 'GET', headers: {}, timeoutMs: 5000 });
    expect(JSON.parse(res.body.toString())).toEqual({ a: 1 });
    expect(Date.now() - started).toBeLessThan(2000);
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((r) => lingering.close(() => r()));
  });

  it('times out on a server that never answers', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = new URL(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`);
    await expect(http1(url, { method: 'GET', headers: {}, timeoutMs: 100 })).rejects.toMatchObject({
      code: 'ETIMEDOUT',
    });
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
  });
});

describe('parseResponse', () => {
  it('skips an interim 100 Continue, and refuses a truncated body or a garbled status line', () => {
    const ok = parseResponse(
      Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}'),
    );
    expect(ok.status).toBe(404);
    expect(ok.body.toString()).toBe('{}');
    expect(() => parseResponse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}'))).toThrow(/truncated/);
    expect(() => parseResponse(Buffer.from('SMTP ready\r\n\r\n'))).toThrow(/status line/);
    expect(() => parseResponse(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'))).toThrow(
      /truncated/,
    );
  });

  it('reads to the close when the answer has no framing', () => {
    const res = parseResponse(Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it'));
    expect(res.body.toString()).toBe('all of it');
    expect(res.headers['content-type']).toBe('text/plain');
  });
});
