/** A field-level problem, reported as `errors[]` in problem+json. */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * The few error kinds the whole system uses. The API maps them to problem+json in one
 * middleware; workers map them to retry/no-retry. Messages must never contain a secret value.
 */
export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly kind: string;
  abstract readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(message: string, opts: { errors?: FieldError[]; extra?: Record<string, unknown> } = {}) {
    super(message);
    this.name = new.target.name;
    this.errors = opts.errors;
    this.extra = opts.extra;
  }
}

export class ValidationError extends AppError {
  readonly status = 400;
  readonly kind = 'validation';
  readonly title = 'Invalid request';
  static field(path: string, message: string): ValidationError {
    return new ValidationError(`${path}: ${message}`, { errors: [{ path, message }] });
  }
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly kind = 'unauthorized';
  readonly title = 'Authentication required';
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly kind = 'forbidden';
  readonly title = 'Forbidden';
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly kind = 'not-found';
  readonly title = 'Not found';
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly kind = 'conflict';
  readonly title = 'Conflict';
}

export class GoneError extends AppError {
  readonly status = 410;
  readonly kind = 'gone';
  readonly title = 'Gone';
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly kind = 'payload-too-large';
  readonly title = 'Payload too large';
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly kind = 'unsupported-media-type';
  readonly title = 'Unsupported media type';
}

export class UnprocessableError extends AppError {
  readonly status = 422;
  readonly kind = 'unprocessable';
  readonly title = 'Unprocessable request';
}

export class RateLimitedError extends AppError {
  readonly status = 429;
  readonly kind = 'rate-limited';
  readonly title = 'Too many requests';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export class UnavailableError extends AppError {
  readonly status = 503;
  readonly kind = 'unavailable';
  readonly title = 'Service unavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
  }
}
