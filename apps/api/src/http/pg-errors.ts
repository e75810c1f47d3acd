/** Postgres unique_violation, raised by a concurrent insert that lost the race. */
export const isUniqueViolation = (err: unknown, constraint?: string): boolean => {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e?.code ?? e?.driverError?.code;
  const name = e?.constraint ?? e?.driverError?.constraint;
  return code === '23505' && (constraint === undefined || name === constraint);
};

/** Postgres foreign_key_violation: a row it points at went away (a concurrent delete). */
export const isForeignKeyViolation = (err: unknown, constraint?: string): boolean => {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e?.code ?? e?.driverError?.code;
  const name = e?.constraint ?? e?.driverError?.constraint;
  return code === '23503' && (constraint === undefined || name === constraint);
};

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '53300']);
const UNREACHABLE_MESSAGE = /connection terminated|connection timeout|timeout exceeded when trying to connect|client has encountered a connection error|cannot use a pool after calling end/i;

/**
 * Postgres could not be reached or dropped the connection (as opposed to refusing a query):
 * a temporary condition the client should retry, not an internal error.
 */
export const isDatabaseUnreachable = (err: unknown): boolean => {
  const e = err as { code?: string; message?: string; driverError?: { code?: string; message?: string } };
  const code = e?.driverError?.code ?? e?.code;
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return UNREACHABLE_MESSAGE.test(e?.driverError?.message ?? e?.message ?? '');
};
