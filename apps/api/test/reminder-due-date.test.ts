import { DAY_MS, dueAt, dueAtSql } from '@nembl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

// Every connection of this file (API, worker, test) runs in a time zone with daylight saving
// time, where "30 days" and "30 × 24 hours" differ by an hour across a change. (PGOPTIONS is
// read by node-postgres per connection; vitest runs each file in its own worker.)
process.env.PGOPTIONS = '-c TimeZone=Europe/Berlin';

let t: TestApi;
let admin: ApiClient;

/** Europe switches to summer time on 2027-03-28 and back on 2027-10-31. */
const BEFORE_SPRING = Date.parse('2027-03-20T10:00:00.000Z');

beforeAll(async () => {
  t = await startTestApi();
  t.clock.advance(BEFORE_SPRING - t.clock.now().getTime());
  const console = new ApiClient(t.url);
  await console.signup();
  // A service token: the test moves the clock by months, which would expire a cookie session.
  const token = (await console.post('/api/v1/tokens', { name: 'admin-bot', roles: ['Admin'] })).body.token as string;
  admin = ApiClient.withToken(t.url, token);
}, 60_000);
afterAll(async () => t?.close());

/** The reminder as the API shows it and as the scan will read it. */
const stored = async (name: string) => {
  const res = await admin.get(`/api/v1/secrets/${name}`);
  expect(res.status).toBe(200);
  const [row] = (await t.dataSource.query(
    `SELECT last_rotated_at, reminder_interval_days, reminder_next_due_at, reminder_next_notify_at FROM secrets WHERE name = $1`,
    [name],
  )) as Array<{
    last_rotated_at: Date;
    reminder_interval_days: number;
    reminder_next_due_at: Date;
    reminder_next_notify_at: Date;
  }>;
  return {
    api: res.body.secret as { lastRotatedAt: string; reminder: { intervalDays: number; nextDueAt: string } },
    row: row!,
  };
};

/** The due date is `dueAt(last rotation, interval)` in the API, the column and the scan's schedule. */
const expectDueAtAgrees = async (name: string, intervalDays: number) => {
  const { api, row } = await stored(name);
  const expected = dueAt(new Date(api.lastRotatedAt), intervalDays);
  expect(api.reminder.intervalDays).toBe(intervalDays);
  expect(api.reminder.nextDueAt).toBe(expected.toISOString());
  expect(row.reminder_next_due_at.toISOString()).toBe(expected.toISOString());
  expect(row.reminder_next_notify_at.toISOString()).toBe(expected.toISOString());
  return expected;
};

describe('one reminder due date for every writer', () => {
  it('runs these checks in a time zone with daylight saving time', async () => {
    expect(await t.dataSource.query(`SHOW TimeZone`)).toEqual([{ TimeZone: 'Europe/Berlin' }]);
  });

  it('dueAtSql computes dueAt, across both daylight saving changes and for NULLs', async () => {
    const cases: Array<[string, number]> = [
      ['2027-03-20T10:00:00.000Z', 30],
      ['2027-10-20T10:00:00.123Z', 30],
      ['2027-03-28T00:59:59.999Z', 1],
      ['2027-01-01T00:00:00.000Z', 3650],
    ];
    for (const [rotated, days] of cases) {
      const [row] = (await t.dataSource.query(`SELECT ${dueAtSql('$1::timestamptz', '$2::int')} AS due`, [
        rotated,
        days,
      ])) as Array<{ due: Date }>;
      expect(row!.due.toISOString(), `${rotated} + ${days}d`).toBe(dueAt(new Date(rotated), days).toISOString());
    }
    const nulls = await t.dataSource.query(
      `SELECT ${dueAtSql('$1::timestamptz', '$2::int')} AS a, ${dueAtSql('$3::timestamptz', '$4::int')} AS b`,
      [null, 30, '2027-03-20T10:00:00Z', null],
    );
    expect(nulls).toEqual([{ a: null, b: null }]);
  });

  it('create, setting the reminder and a rotation all store dueAt(last rotation, interval)', async () => {
    // The worker's create: the first rotation.
    const created = await admin.post('/api/v1/secrets', {
      name: 'spring',
      value: 'v1',
      reminder: { intervalDays: 30 },
    });
    expect(created.status).toBe(201);
    const first = await expectDueAtAgrees('spring', 30);
    expect(first.getTime() - new Date(created.body.secret.lastRotatedAt).getTime()).toBe(30 * DAY_MS);

    // The API's reminder update, from the stored last rotation.
    expect((await admin.put('/api/v1/secrets/spring/reminder', { intervalDays: 45 })).status).toBe(200);
    await expectDueAtAgrees('spring', 45);

    // The worker's rotation, across the autumn change.
    t.clock.advance(Date.parse('2027-10-20T10:00:00.000Z') - t.clock.now().getTime());
    expect((await admin.put('/api/v1/secrets/spring/value', { value: 'v2' })).status).toBe(200);
    const rotated = await expectDueAtAgrees('spring', 45);
    expect(rotated.getTime()).toBeGreaterThan(Date.parse('2027-10-31T00:00:00Z'));

    // And back to the API once more: a reminder set on a secret that already has a rotation.
    expect((await admin.put('/api/v1/secrets/spring/reminder', { intervalDays: 11 })).status).toBe(200);
    await expectDueAtAgrees('spring', 11);
  });
});
