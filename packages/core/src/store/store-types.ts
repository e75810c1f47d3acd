export type StoreErrorCode = 'NotFound' | 'AlreadyExists' | 'Throttled' | 'Unavailable' | 'Invalid' | 'AccessDenied';

/**
 * The one error a store driver throws. `retryable` tells the worker whether trying again later
 * can help (throttling, network, 5xx) or the operation must end `failed`.
 * The message never contains a secret value.
 */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export const isStoreError = (err: unknown, code?: StoreErrorCode): err is StoreError =>
  err instanceof StoreError && (code === undefined || err.code === code);

export interface SecretRef {
  companyId: string;
  name: string;
}

export type StoreDriver = 'aws' | 'local';

export interface SecretStore {
  readonly driver: StoreDriver;
  /**
   * Creates the secret with its first version. Idempotent per clientToken: re-running after a
   * success (same token, same value) returns the same versionId and creates no second version.
   * If the name exists already (e.g. leftover of a failed create), writes the value as a new
   * version with the same token (idempotent too).
   */
  create(ref: SecretRef & { value: string; clientToken: string; description?: string }): Promise<{ versionId: string }>;
  /**
   * New current version; idempotent per clientToken (same token + same value = no-op returning
   * the same versionId; same token + different value = StoreError Invalid, not retryable).
   */
  putValue(ref: SecretRef & { value: string; clientToken: string }): Promise<{ versionId: string }>;
  /** Current value, or a given version. */
  getValue(ref: SecretRef & { versionId?: string }): Promise<{ value: string; versionId: string }>;
  /** Permanent delete, no recovery. Deleting a missing secret succeeds (idempotent). */
  delete(ref: SecretRef): Promise<void>;
  /** Cheap reachability check for /readyz. */
  ping(): Promise<void>;
}

/** The store-side name of a secret; also the AWS Secrets Manager secret name. */
export const storePath = (ref: SecretRef): string => `nembl/${ref.companyId}/${ref.name}`;
