import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export interface AwsProxiedRequest {
  /** The `X-Amz-Target` header, e.g. `secretsmanager.CreateSecret`. */
  target: string;
  /** Answered ThrottlingException by this proxy (either fault). */
  throttled?: true;
}

export interface AwsFaultProxy {
  /** Point the SDK's `endpoint` here instead of at moto. */
  endpoint: string;
  /** The next `n` requests answer 400 ThrottlingException "Rate exceeded". */
  throttleNext(n: number): void;
  /**
   * From now on, each write (CreateSecret, PutSecretValue) answers ThrottlingException with
   * probability `p`, as AWS does above the region's write quota. 0 turns it off.
   */
  throttleWrites(p: number): void;
  /** How many requests were throttled so far. */
  throttled(): number;
  /** The next `n` requests answer `status` (default 500) with an AWS error body. */
  failNext(n: number, status?: number): void;
  /**
   * Like AWS's per-region write quota: write calls (create, put value, delete, update, tag) beyond
   * `ratePerSecond` (a token bucket holding `burst`, default one second's worth) answer
   * ThrottlingException. 0 turns it off.
   */
  throttleWritesAbove(ratePerSecond: number, burst?: number): void;
  /** The next `n` requests are held for `ms` before being forwarded. */
  delayNext(n: number, ms: number): void;
  /**
   * Mimics AWS's asynchronous force delete: after a DeleteSecret, a CreateSecret of that name
   * answers InvalidRequestException "…scheduled for deletion" until `ms` have passed. 0 turns it off.
   */
  delayDeletes(ms: number): void;
  /** Every request seen so far, faulted or forwarded, in arrival order. */
  requests(): AwsProxiedRequest[];
  /** Forgets pending faults and the request log. */
  reset(): void;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const sendAwsError = (res: ServerResponse, status: number, type: string, message: string) => {
  if (res.destroyed || res.headersSent) return;
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': type,
    'x-amzn-requestid': `fault-${Date.now().toString(36)}`,
  });
  res.end(body);
};

const secretIdOf = (body: Buffer): string | undefined => {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { Name?: unknown; SecretId?: unknown };
    const id = parsed.Name ?? parsed.SecretId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
};

/**
 * An HTTP proxy in front of moto (AWS JSON protocol) that injects the failures moto never
 * produces: throttling, 5xx, slow answers, and the delayed completion of a force delete.
 */
export const startAwsFaultProxy = async (target: string): Promise<AwsFaultProxy> => {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  let throttle = 0;
  let throttleWriteShare = 0;
  let throttledCount = 0;
  let fail = { n: 0, status: 500 };
  let slow = { n: 0, ms: 0 };
  let deleteDelayMs = 0;
  const deleting = new Map<string, number>();
  let log: AwsProxiedRequest[] = [];
  let quota: { rate: number; burst: number; level: number; at: number } | undefined;
  const WRITES = /\.(CreateSecret|PutSecretValue|DeleteSecret|UpdateSecret|TagResource|UntagResource)$/;
  const overQuota = (op: string): boolean => {
    if (!quota || !WRITES.test(op)) return false;
    const t = performance.now();
    quota.level = Math.min(quota.burst, quota.level + ((t - quota.at) / 1000) * quota.rate);
    quota.at = t;
    if (quota.level < 1) return true;
    quota.level -= 1;
    return false;
  };

  const forward = (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const out = request(
        {
          protocol: upstream.protocol,
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host, 'content-length': String(body.length) },
          agent,
        },
        (answer) => {
          readBody(answer).then(
            (b) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: b }),
            reject,
          );
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const targetHeader = req.headers['x-amz-target'];
    const op = (Array.isArray(targetHeader) ? targetHeader[0] : targetHeader) ?? '';
    const entry: AwsProxiedRequest = { target: op };
    log.push(entry);

    if (slow.n > 0) {
      slow.n -= 1;
      // Forwarded even if the client gave up meanwhile: like AWS, the call may still take effect.
      await delay(slow.ms);
    }
    const isWrite = op.endsWith('.CreateSecret') || op.endsWith('.PutSecretValue');
    if (throttle > 0 || overQuota(op) || (isWrite && throttleWriteShare > 0 && Math.random() < throttleWriteShare)) {
      if (throttle > 0) throttle -= 1;
      entry.throttled = true;
      throttledCount += 1;
      return sendAwsError(res, 400, 'ThrottlingException', 'Rate exceeded');
    }
    if (fail.n > 0) {
      fail.n -= 1;
      const type =
        fail.status === 503 ? 'ServiceUnavailable' : fail.status >= 500 ? 'InternalServiceError' : 'InjectedFault';
      return sendAwsError(res, fail.status, type, 'injected failure');
    }
    const secretId = secretIdOf(body);
    if (op.endsWith('.CreateSecret') && secretId !== undefined) {
      const until = deleting.get(secretId);
      if (until !== undefined && Date.now() < until) {
        return sendAwsError(
          res,
          400,
          'InvalidRequestException',
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      }
      deleting.delete(secretId);
    }

    const answer = await forward(req, body);
    if (op.endsWith('.DeleteSecret') && secretId !== undefined && deleteDelayMs > 0 && answer.status < 300) {
      deleting.set(secretId, Date.now() + deleteDelayMs);
    }
    if (res.destroyed) return;
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    headers['content-length'] = String(answer.body.length);
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      sendAwsError(res, 502, 'ProxyError', err instanceof Error ? err.message : 'proxy error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    throttleNext: (n) => {
      throttle = n;
    },
    throttleWrites: (p) => {
      throttleWriteShare = p;
    },
    throttled: () => throttledCount,
    failNext: (n, status = 500) => {
      fail = { n, status };
    },
    throttleWritesAbove: (ratePerSecond, burst = ratePerSecond) => {
      quota = ratePerSecond > 0 ? { rate: ratePerSecond, burst, level: burst, at: performance.now() } : undefined;
    },
    delayNext: (n, ms) => {
      slow = { n, ms };
    },
    delayDeletes: (ms) => {
      deleteDelayMs = ms;
      if (ms === 0) deleting.clear();
    },
    requests: () => [...log],
    reset: () => {
      throttle = 0;
      throttleWriteShare = 0;
      throttledCount = 0;
      fail = { n: 0, status: 500 };
      slow = { n: 0, ms: 0 };
      deleteDelayMs = 0;
      deleting.clear();
      quota = undefined;
      log = [];
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
};
