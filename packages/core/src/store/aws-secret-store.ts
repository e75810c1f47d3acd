import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import { backoffDelayMs, validateRef, validateVersionToken, validateWrite, type RetryPolicy } from './store-fns.js';
import { StoreError, storePath, type SecretRef, type SecretStore, type StoreErrorCode } from './store-types.js';
import { createTokenBucket, type TokenBucket } from './token-bucket.js';

export interface AwsSecretStoreOptions {
  /** A ready client (tests, custom middleware). Without it one is built from the options below. */
  client?: SecretsManagerClient;
  region: string;
  /** Endpoint override, for emulators such as moto only. */
  endpoint?: string;
  /** Explicit credentials; by default the SDK's standard chain (env, profile, IMDS, …). */
  credentials?: SecretsManagerClientConfig['credentials'];
  /** Per-attempt limit for one HTTP call (default 10 s). A timed-out attempt is retried. */
  requestTimeoutMs?: number;
  /** TCP connect limit (default 3 s). */
  connectTimeoutMs?: number;
  /**
   * Paces write calls (create/putValue/delete attempts). The worker passes one shared through Redis
   * by every process writing to the region (`createSharedTokenBucket`); without it, a bucket of
   * this process only at `writesPerSecond`.
   */
  writeLimiter?: TokenBucket;
  /** Rate of the per-process bucket used when no `writeLimiter` is given (default 45). */
  writesPerSecond?: number;
  /** In-driver retries of throttling and transient failures (default 4 attempts, 100 ms base, 2 s cap). */
  retry?: Partial<RetryPolicy>;
  /** How long `create` keeps retrying a name AWS is still force-deleting (default 30 s). */
  recreateWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseMs: 100, capMs: 2000 };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A StoreError that also remembers what AWS said, for the driver's own decisions. */
class AwsStoreError extends StoreError {
  constructor(
    code: StoreErrorCode,
    message: string,
    retryable: boolean,
    readonly awsName: string,
    /** AWS refused because the secret is (being) deleted: see `create`, `getValue`, `delete`. */
    readonly pendingDeletion: boolean,
  ) {
    super(code, message, retryable);
  }
}

const THROTTLED = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
const UNAVAILABLE = new Set([
  'InternalServiceError',
  'InternalServiceErrorException',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'PriorRequestNotComplete',
]);
const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'ExpiredTokenException',
  'ExpiredToken',
  'NotAuthorized',
  'CredentialsProviderError',
  // KMS refused to decrypt/encrypt the secret: a key policy problem, not a transient one.
  'DecryptionFailure',
  'EncryptionFailure',
]);
const INVALID = new Set([
  'InvalidParameterException',
  'InvalidRequestException',
  'ValidationException',
  'SerializationException',
  'MalformedPolicyDocumentException',
  'PreconditionNotMetException',
  // A Secrets Manager quota (versions per secret, secrets per account): waiting does not help.
  'LimitExceededException',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// AWS: "…already scheduled for deletion" (CreateSecret) and "…it was marked for deletion" (others);
// moto: "…currently marked deleted".
const PENDING_DELETION = /(scheduled|marked) (for )?delet/i;

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

const classify = (err: unknown): { code: StoreErrorCode; retryable: boolean } => {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const status = e.$metadata?.httpStatusCode;
  const message = typeof e.message === 'string' ? e.message : '';
  if (name === 'ResourceNotFoundException') return { code: 'NotFound', retryable: false };
  if (name === 'ResourceExistsException') return { code: 'AlreadyExists', retryable: false };
  if (THROTTLED.has(name) || status === 429 || /rate exceeded/i.test(message))
    return { code: 'Throttled', retryable: true };
  if (UNAVAILABLE.has(name)) return { code: 'Unavailable', retryable: true };
  if (ACCESS_DENIED.has(name) || status === 401 || status === 403) return { code: 'AccessDenied', retryable: false };
  if (INVALID.has(name)) return { code: 'Invalid', retryable: false };
  if (status !== undefined && status >= 500) return { code: 'Unavailable', retryable: true };
  if (status !== undefined && status >= 400) return { code: 'Invalid', retryable: false };
  // No HTTP answer at all: connection refused/reset, DNS, aborted or timed-out request.
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return { code: 'Unavailable', retryable: true };
  return { code: 'Unavailable', retryable: true };
};

/**
 * Turns an SDK failure into an AwsStoreError. The message names the operation, the secret path
 * and what AWS reported (error name, status, request id) but never AWS's own message text or the
 * request parameters: a validation message may echo the input, which can be the value.
 */
const toStoreError = (op: string, path: string, err: unknown): AwsStoreError => {
  if (err instanceof AwsStoreError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const { code, retryable } = classify(err);
  const awsName = typeof e.name === 'string' && e.name !== '' ? e.name : 'Error';
  const detail = [
    typeof e.code === 'string' ? e.code : awsName,
    e.$metadata?.httpStatusCode !== undefined ? `HTTP ${e.$metadata.httpStatusCode}` : undefined,
    e.$metadata?.requestId ? `request ${e.$metadata.requestId}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const pendingDeletion =
    awsName === 'InvalidRequestException' && typeof e.message === 'string' && PENDING_DELETION.test(e.message);
  return new AwsStoreError(
    code,
    `AWS Secrets Manager ${op} failed for ${path}: ${code} (${detail})`,
    retryable,
    awsName,
    pendingDeletion,
  );
};

const pendingDeletion = (err: unknown): err is AwsStoreError => err instanceof AwsStoreError && err.pendingDeletion;

export const awsSecretStoreFactory = (opts: AwsSecretStoreOptions): SecretStore => {
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const recreateWaitMs = opts.recreateWaitMs ?? 30_000;
  const client =
    opts.client ??
    new SecretsManagerClient({
      region: opts.region,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      // The driver retries itself (bounded, jittered, rate-limited); SDK retries would multiply it.
      maxAttempts: 1,
      requestHandler: {
        requestTimeout: opts.requestTimeoutMs ?? 10_000,
        connectionTimeout: opts.connectTimeoutMs ?? 3000,
        throwOnRequestTimeout: true,
      },
    });

  // AWS allows ~50 write TPS per account and region, whatever the number of processes: the worker
  // hands in a limiter shared through Redis. Every attempt takes a token, retries included,
  // because AWS counts those too.
  const writes = opts.writeLimiter ?? createTokenBucket({ ratePerSecond: opts.writesPerSecond ?? 45, now, sleep });

  /** One AWS call with in-driver retries of throttling and transient failures. */
  const call = async <T>(op: string, path: string, kind: 'read' | 'write', send: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      if (kind === 'write') await writes.take();
      try {
        return await send();
      } catch (err) {
        const mapped = toStoreError(op, path, err);
        if (!mapped.retryable || attempt >= retry.attempts) throw mapped;
        await sleep(backoffDelayMs(attempt - 1, retry, random));
      }
    }
  };

  const putVersion = async (op: string, input: SecretRef & { value: string; clientToken: string }) => {
    const path = storePath(input);
    try {
      const out = await call(op, path, 'write', () =>
        client.send(
          new PutSecretValueCommand({
            SecretId: path,
            SecretString: input.value,
            ClientRequestToken: input.clientToken,
          }),
        ),
      );
      return { versionId: out.VersionId ?? input.clientToken };
    } catch (err) {
      // The token names an existing version whose value differs: a retry can never succeed.
      if (err instanceof StoreError && err.code === 'AlreadyExists') {
        throw new StoreError('Invalid', `clientToken was already used for a different value of ${path}`, false);
      }
      if (pendingDeletion(err)) throw new StoreError('NotFound', `secret ${path} was deleted`, false);
      throw err;
    }
  };

  const create: SecretStore['create'] = async (input) => {
    validateWrite(input);
    const path = storePath(input);
    const deadline = now() + recreateWaitMs;
    for (let retryNo = 0; ; retryNo++) {
      try {
        const out = await call('CreateSecret', path, 'write', () =>
          client.send(
            new CreateSecretCommand({
              Name: path,
              SecretString: input.value,
              ClientRequestToken: input.clientToken,
              ...(input.description !== undefined ? { Description: input.description } : {}),
              // System tags only, so IAM can scope by company; user tags live in Postgres.
              Tags: [
                { Key: 'nembl:company-id', Value: input.companyId },
                { Key: 'nembl:secret-name', Value: input.name },
                { Key: 'managed-by', Value: 'nembl' },
              ],
            }),
          ),
        );
        return { versionId: out.VersionId ?? input.clientToken };
      } catch (err) {
        // Our own earlier attempt (or a leftover of a failed create): write the value as a version
        // with the same token, which is a no-op when that version already holds this value.
        if (err instanceof StoreError && err.code === 'AlreadyExists') return putVersion('CreateSecret', input);
        // ForceDeleteWithoutRecovery finishes asynchronously; until it does, the name is taken.
        if (pendingDeletion(err)) {
          const left = deadline - now();
          if (left <= 0) {
            throw new StoreError(
              'Unavailable',
              `AWS Secrets Manager is still deleting an earlier secret named ${path}`,
              true,
            );
          }
          await sleep(Math.min(left, Math.max(retry.baseMs, backoffDelayMs(retryNo, retry, random))));
          continue;
        }
        throw err;
      }
    }
  };

  const putValue: SecretStore['putValue'] = async (input) => {
    validateWrite(input);
    return putVersion('PutSecretValue', input);
  };

  const getValue: SecretStore['getValue'] = async (input) => {
    validateRef(input);
    if (input.versionId !== undefined) validateVersionToken(input.versionId, 'versionId');
    const path = storePath(input);
    try {
      const out = await call('GetSecretValue', path, 'read', () =>
        client.send(
          new GetSecretValueCommand({ SecretId: path, ...(input.versionId ? { VersionId: input.versionId } : {}) }),
        ),
      );
      if (out.SecretString === undefined || out.VersionId === undefined) {
        throw new StoreError('Invalid', `secret ${path} holds no text value`, false);
      }
      return { value: out.SecretString, versionId: out.VersionId };
    } catch (err) {
      if (pendingDeletion(err)) throw new StoreError('NotFound', `secret ${path} was deleted`, false);
      throw err;
    }
  };

  const del: SecretStore['delete'] = async (ref) => {
    validateRef(ref);
    const path = storePath(ref);
    try {
      await call('DeleteSecret', path, 'write', () =>
        client.send(new DeleteSecretCommand({ SecretId: path, ForceDeleteWithoutRecovery: true })),
      );
    } catch (err) {
      // Already gone, or already on its way out: either way the delete has happened.
      if (err instanceof StoreError && err.code === 'NotFound') return;
      if (pendingDeletion(err)) return;
      throw err;
    }
  };

  const ping: SecretStore['ping'] = async () => {
    try {
      await client.send(new ListSecretsCommand({ MaxResults: 1 }));
    } catch (err) {
      throw toStoreError('ListSecrets', 'nembl/', err);
    }
  };

  return { driver: 'aws', create, putValue, getValue, delete: del, ping };
};

export type TAwsSecretStore = ReturnType<typeof awsSecretStoreFactory>;
