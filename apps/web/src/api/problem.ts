// Problems (`application/problem+json`) as the console sees them: from the API, or synthesized when
// the API could not be reached.
export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  requestId?: string;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
    this.problem = problem;
  }

  get status(): number {
    return this.problem.status;
  }
}

export const NETWORK_PROBLEM: Problem = {
  title: 'Network error',
  status: 0,
  detail: 'Could not reach the Nembl Secrets API. Check your connection and try again.',
};

export const problemOf = (err: unknown): Problem =>
  err instanceof ApiError
    ? err.problem
    : { title: 'Unexpected error', status: 0, detail: 'Something went wrong in the console. Reload the page and try again.' };

/** 503 (a dependency is down) and network failures are worth retrying; the rest are not. */
export const isRetryable = (p: Problem): boolean => p.status === 0 || p.status === 503;

/** Splits a problem's field errors into those a form shows next to its fields and the rest. */
export const splitFieldErrors = (
  problem: Problem | null,
  isField: (path: string) => boolean,
): { byField: Array<FieldError>; other: FieldError[] } => {
  const byField: FieldError[] = [];
  const other: FieldError[] = [];
  for (const e of problem?.errors ?? []) (isField(e.path) ? byField : other).push(e);
  return { byField, other };
};
