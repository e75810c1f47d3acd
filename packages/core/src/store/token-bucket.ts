export interface TokenBucketOptions {
  ratePerSecond: number;
  /** Tokens available at once after a quiet period; defaults to one second's worth. */
  burst?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface TokenBucket {
  /** Resolves when the caller may proceed; callers are served in arrival order. */
  take(): Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A reserving token bucket: a caller that finds the bucket empty takes a token "on credit"
 * (the level goes negative) and sleeps until that token would have been refilled, so concurrent
 * callers queue up without polling and the long-run rate never exceeds `ratePerSecond`.
 */
export const createTokenBucket = ({
  ratePerSecond,
  burst,
  now = Date.now,
  sleep = defaultSleep,
}: TokenBucketOptions): TokenBucket => {
  if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
  const capacity = Math.max(1, burst ?? ratePerSecond);
  let level = capacity;
  let updatedAt = now();

  const take = async (): Promise<void> => {
    const t = now();
    level = Math.min(capacity, level + ((t - updatedAt) / 1000) * ratePerSecond);
    updatedAt = t;
    level -= 1;
    if (level >= 0) return;
    await sleep(Math.ceil((-level / ratePerSecond) * 1000));
  };

  return { take };
};
