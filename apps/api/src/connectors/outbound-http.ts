import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type BlockList, type LookupFunction } from 'node:net';
import { isBlockedAddress, ValidationError } from '@nembl/core';

export interface OutboundResult {
  status: number;
  latencyMs: number;
}

export class BlockedTargetError extends ValidationError {}

const blocked = (host: string) =>
  new BlockedTargetError(`config.baseUrl: ${host} resolves to a blocked address`, {
    errors: [{ path: 'config.baseUrl', message: 'resolves to an address in NEMBL_CONNECTOR_BLOCKED_CIDRS' }],
  });

/**
 * Resolves a host and refuses it if any address is blocked. Used both to check a URL and as
 * the request's own `lookup`, so the address checked is the address connected to (no DNS
 * rebinding between check and connect).
 */
export const guardedLookup =
  (blockList: BlockList): LookupFunction =>
  (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      if (list.length === 0 || list.some((a) => isBlockedAddress(blockList, a.address))) {
        return callback(blocked(hostname) as unknown as NodeJS.ErrnoException, '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };

/** Checks a base URL's host now; an unresolvable host is accepted (it may resolve later). */
export const assertTargetAllowed = async (url: string, blockList: BlockList): Promise<void> => {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    if (isBlockedAddress(blockList, host)) throw blocked(host);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    guardedLookup(blockList)(host, {}, (err) => {
      if (err instanceof BlockedTargetError) reject(err);
      else resolve();
    });
  });
};

/** How much of a test call's response body is read before the call is answered (the body is discarded). */
export const MAX_TEST_RESPONSE_BYTES = 1024 * 1024;

/**
 * One outbound call: one overall deadline (`timeoutMs`, from the first byte sent to the last byte
 * read, so an upstream dripping a byte at a time cannot hold the request), no redirects followed
 * (Node's http client never follows them), the body discarded and read only up to
 * `maxResponseBytes`: after that the call is answered with the status it got. Never logs or
 * returns the request headers (they carry the credential).
 */
export const callOnce = (
  req: { method: string; url: string; headers: Record<string, string> },
  opts: { blockList: BlockList; timeoutMs: number; maxResponseBytes?: number },
): Promise<OutboundResult> =>
  new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && isBlockedAddress(opts.blockList, host)) return reject(blocked(host));
    const maxBytes = opts.maxResponseBytes ?? MAX_TEST_RESPONSE_BYTES;
    const started = performance.now();
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      fn();
    };
    const r = send(
      url,
      {
        method: req.method,
        headers: { ...req.headers, 'user-agent': 'nembl-secrets-connector-test/1', accept: 'application/json' },
        lookup: guardedLookup(opts.blockList),
        timeout: opts.timeoutMs,
      },
      (res) => {
        const answer = () =>
          settle(() => resolve({ status: res.statusCode ?? 0, latencyMs: Math.round(performance.now() - started) }));
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received <= maxBytes) return;
          answer();
          r.destroy();
        });
        res.on('end', answer);
        res.on('error', (err) => settle(() => reject(err)));
      },
    );
    const deadline = setTimeout(() => r.destroy(new Error(`no complete answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    r.on('timeout', () => r.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    r.on('error', (err) => settle(() => reject(err)));
    if (req.method === 'POST') r.setHeader('content-length', '0');
    r.end();
  });
