import { describe, expect, it } from 'vitest';
import { DAY_MS, daysOverdue, dueAt, dueWindowEnd, nextNotifyAfter, occurrenceAt, reminderJobId } from './reminder-fns.js';

const d = (s: string) => new Date(s);

describe('reminder date maths', () => {
  it('puts the due date one interval after the last rotation', () => {
    expect(dueAt(d('2026-01-01T10:00:00Z'), 90)).toEqual(d('2026-04-01T10:00:00Z'));
  });

  it('owes nothing before the due date, occurrence 0 on it, and n after n repeat intervals', () => {
    const due = d('2026-03-01T00:00:00Z');
    expect(occurrenceAt(due, d('2026-02-28T23:59:59Z'), 7)).toBeNull();
    expect(occurrenceAt(due, due, 7)).toBe(0);
    expect(occurrenceAt(due, d('2026-03-07T23:59:59Z'), 7)).toBe(0);
    expect(occurrenceAt(due, d('2026-03-08T00:00:00Z'), 7)).toBe(1);
    expect(occurrenceAt(due, d('2026-03-22T12:00:00Z'), 7)).toBe(3);
  });

  it('keeps the reminder schedule anchored to the due date when the scan runs late', () => {
    const due = d('2026-03-01T00:00:00Z');
    const late = new Date(due.getTime() + 10 * DAY_MS + 5 * 3_600_000); // scan ran 10 days late
    const n = occurrenceAt(due, late, 7)!;
    expect(n).toBe(1); // only the latest occurrence, not one per missed repeat
    expect(nextNotifyAfter(due, n, 7)).toEqual(d('2026-03-15T00:00:00Z'));
  });

  it('counts whole days overdue', () => {
    const due = d('2026-03-01T00:00:00Z');
    expect(daysOverdue(due, d('2026-02-20T00:00:00Z'))).toBe(0);
    expect(daysOverdue(due, d('2026-03-03T01:00:00Z'))).toBe(2);
  });

  it('makes job ids without colons, the same for the same occurrence', () => {
    const id = reminderJobId('0b8a4e9e-0000-4000-8000-000000000001', d('2026-03-01T00:00:00Z'), 2);
    expect(id).not.toContain(':');
    expect(id).toBe(reminderJobId('0b8a4e9e-0000-4000-8000-000000000001', d('2026-03-01T00:00:00Z'), 2));
  });

  it('computes the due windows of the list filter', () => {
    const now = d('2026-03-01T00:00:00Z');
    expect(dueWindowEnd('overdue', now)).toEqual(now);
    expect(dueWindowEnd('7d', now)).toEqual(d('2026-03-08T00:00:00Z'));
  });
});
