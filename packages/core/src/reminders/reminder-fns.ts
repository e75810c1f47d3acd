/** Date maths for rotation reminders: pure, `now` always passed in. */

export const DAY_MS = 86_400_000;

/** Due date: last rotation plus the interval. */
export const dueAt = (lastRotatedAt: Date, intervalDays: number): Date => new Date(lastRotatedAt.getTime() + intervalDays * DAY_MS);

/**
 * `dueAt` as a SQL expression, for the statements that move the due date (setting a reminder,
 * a rotation): every writer uses this, so the stored `reminder_next_due_at` is always
 * `dueAt(last_rotated_at, reminder_interval_days)`. Both arguments are SQL expressions (columns
 * or parameters); the result is NULL when either is. The interval is whole 24-hour days, like
 * `DAY_MS`: `make_interval(days => …)` would follow the session TimeZone across DST and land an
 * hour off.
 */
export const dueAtSql = (lastRotatedAt: string, intervalDays: string): string =>
  `(${lastRotatedAt} + make_interval(hours => 24 * ${intervalDays}))`;

/**
 * The occurrence owed at `now` for a secret due at `due`: n = how many repeat intervals have
 * fully passed since the due date. After an outage this is the latest occurrence only, so a
 * scan that did not run for weeks sends one email, not one per missed repeat.
 */
export const occurrenceAt = (due: Date, now: Date, repeatDays: number): number | null => {
  const late = now.getTime() - due.getTime();
  if (late < 0) return null;
  return Math.floor(late / (repeatDays * DAY_MS));
};

/** When occurrence n + 1 is owed. */
export const nextNotifyAfter = (due: Date, n: number, repeatDays: number): Date => new Date(due.getTime() + (n + 1) * repeatDays * DAY_MS);

/** Whole days past the due date (0 on the due day itself, never negative). */
export const daysOverdue = (due: Date, now: Date): number => Math.max(0, Math.floor((now.getTime() - due.getTime()) / DAY_MS));

/** A BullMQ-safe, deterministic job id for one occurrence: ids may not contain ':'. */
export const reminderJobId = (secretId: string, due: Date, n: number): string => `reminder-${secretId}-${due.getTime()}-${n}`;

/** `due=` list windows: overdue → due now or earlier; 7d/30d → due within that many days. */
export const dueWindowEnd = (window: 'overdue' | '7d' | '30d', now: Date): Date =>
  new Date(now.getTime() + { overdue: 0, '7d': 7, '30d': 30 }[window] * DAY_MS);

export const formatDay = (d: Date): string => d.toISOString().slice(0, 10);
