import { startSmtpSink, type SmtpSink } from '@nembl/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

const DAY = 86_400_000;
let sink: SmtpSink;
let t: TestApi;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApi(
    { SMTP_URL: sink.url, NEMBL_PUBLIC_URL: 'https://console.example.com', NEMBL_REMINDER_REPEAT_DAYS: '7' },
    // The scheduled scan is slowed right down: tests run scans themselves, with the test clock.
    { workerTiming: { reminderScanEveryMs: 3_600_000, emailBackoffMs: 200, reminderSweepAfterMs: 1000 } },
  );
}, 60_000);
afterAll(async () => {
  await t?.close();
  await sink?.close();
});
beforeEach(() => {
  sink.mails.length = 0;
  sink.rejectRecipients([]);
});

const scan = () => t.worker!.composed.reminders.scan(t.clock.now());
const settle = (ms = 700) => new Promise((r) => setTimeout(r, ms));
const mailsFor = (name: string) => sink.mails.filter((m) => m.subject.startsWith(`Rotate ${name} `));
/** Waits for `n` mails about one secret (other companies' secrets may be due at the same time). */
const waitForMails = async (name: string, n: number, timeoutMs = 15_000) => {
  const end = Date.now() + timeoutMs;
  while (mailsFor(name).length < n) {
    if (Date.now() > end) throw new Error(`expected ${n} mails about ${name}, got ${mailsFor(name).length}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/**
 * A company driven through an Admin service token: the tests move the clock by days, which
 * would expire cookie sessions. Secrets name the signed-up admin as their owner.
 */
const company = async () => {
  const console = new ApiClient(t.url);
  const s = await console.signup();
  const token = (await console.post('/api/v1/tokens', { name: 'admin-bot', roles: ['Admin'] })).body.token as string;
  const bot = ApiClient.withToken(t.url, token);
  const admin = Object.assign(bot, {
    post: (path: string, body?: unknown) =>
      path === '/api/v1/secrets' && body && typeof body === 'object' && !('owners' in body)
        ? bot.request('POST', path, { ...body, owners: [s.user.id] })
        : bot.request('POST', path, body ?? {}),
  });
  return { admin, s };
};

describe('setting reminders', () => {
  it('sets a reminder on create and via PUT/DELETE; the due date follows the interval', async () => {
    const { admin } = await company();
    const created = await admin.post('/api/v1/secrets', { name: 'r1', value: 'x', reminder: { intervalDays: 30 } });
    const rotated = new Date(created.body.secret.lastRotatedAt).getTime();
    expect(created.body.secret.reminder).toEqual({ intervalDays: 30, nextDueAt: new Date(rotated + 30 * DAY).toISOString(), lastSentAt: null, lastError: null });
    const put = await admin.put('/api/v1/secrets/r1/reminder', { intervalDays: 90 });
    expect(put.status).toBe(200);
    expect(put.body.secret.reminder.nextDueAt).toBe(new Date(rotated + 90 * DAY).toISOString());
    const custom = await admin.put('/api/v1/secrets/r1/reminder', { intervalDays: 45 });
    expect(custom.body.secret.reminder.intervalDays).toBe(45);
    const del = await admin.delete('/api/v1/secrets/r1/reminder');
    expect(del.status).toBe(200);
    expect(del.body.secret.reminder).toBeNull();
    for (const bad of [0, 3651, 1.5, '30']) {
      const res = await admin.put('/api/v1/secrets/r1/reminder', { intervalDays: bad });
      expect(res.status, String(bad)).toBe(400);
      expect(res.body.errors[0].path).toBe('intervalDays');
    }
  });

  it('moves the due date when a new value is saved', async () => {
    const { admin } = await company();
    await admin.post('/api/v1/secrets', { name: 'r2', value: 'x', reminder: { intervalDays: 30 } });
    t.clock.advance(10 * DAY);
    const rotated = await admin.put('/api/v1/secrets/r2/value', { value: 'y' });
    expect(rotated.body.secret.reminder.nextDueAt).toBe(new Date(new Date(rotated.body.secret.lastRotatedAt).getTime() + 30 * DAY).toISOString());
  });

  it('filters the list by due window', async () => {
    const { admin } = await company();
    await admin.post('/api/v1/secrets', { name: 'soon', value: 'x', reminder: { intervalDays: 5 } });
    await admin.post('/api/v1/secrets', { name: 'later', value: 'x', reminder: { intervalDays: 20 } });
    await admin.post('/api/v1/secrets', { name: 'never', value: 'x' });
    const names = async (due: string) => (await admin.get(`/api/v1/secrets?due=${due}`)).body.items.map((s: { name: string }) => s.name);
    expect(await names('overdue')).toEqual([]);
    expect(await names('7d')).toEqual(['soon']);
    expect(await names('30d')).toEqual(['later', 'soon']);
    t.clock.advance(6 * DAY);
    expect(await names('overdue')).toEqual(['soon']);
    t.clock.advance(-6 * DAY);
  });
});

describe('reminder emails', () => {
  it('emails the owner once per occurrence, with name, due date and link, never the value', async () => {
    const { admin, s } = await company();
    const canary = 'reminder-canary-value-4c1d';
    await admin.post('/api/v1/secrets', {
      name: 'github-api-token',
      value: canary,
      description: 'CI token',
      tags: { environment: 'production' },
      reminder: { intervalDays: 30 },
    });
    t.clock.advance(31 * DAY);
    try {
      // Cached just before the scan (list and detail, for 2 s): the worker's bookkeeping must show at once.
      const shown = async () => [
        (await admin.get('/api/v1/secrets?q=github-api-token')).body.items[0].reminder.lastSentAt,
        (await admin.get('/api/v1/secrets/github-api-token')).body.secret.reminder.lastSentAt,
      ];
      expect(await shown()).toEqual([null, null]);
      await scan();
      await waitForMails('github-api-token', 1);
      await vi.waitFor(async () => expect(await shown()).toEqual([expect.any(String), expect.any(String)]), {
        timeout: 1000,
        interval: 20,
      });
      await settle();
      await scan(); // a second scan owes nothing new
      await settle();
      const mails = mailsFor('github-api-token');
      expect(mails).toHaveLength(1);
      const m = mails[0]!;
      expect(m.to).toEqual([s.email]);
      expect(m.subject).toMatch(/^Rotate github-api-token \(due \d{4}-\d{2}-\d{2}\)$/);
      expect(m.text).toContain('https://console.example.com/secrets/github-api-token');
      expect(m.text).toContain('CI token');
      expect(m.text).toContain('environment=production');
      expect(m.text).toContain('Days overdue: 1');
      expect(m.raw).not.toContain(canary);
      expect(m.html).not.toContain(canary);
      const detail = await admin.get('/api/v1/secrets/github-api-token');
      expect(detail.body.secret.reminder.lastSentAt).toEqual(expect.any(String));
      const audited = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM (SELECT event->>'action' AS action FROM audit_outbox UNION ALL SELECT action FROM audit_events) e WHERE action = 'secrets:reminder_sent'`,
      );
      expect(audited[0].n).toBeGreaterThanOrEqual(1);
    } finally {
      t.clock.advance(-31 * DAY);
    }
  });

  it('sends one email when two scans run at once, and when two worker processes scan', async () => {
    const { admin } = await company();
    await admin.post('/api/v1/secrets', { name: 'contended', value: 'x', reminder: { intervalDays: 1 } });
    t.clock.advance(2 * DAY);
    const second = await t.startWorker();
    try {
      await Promise.all([scan(), scan(), second.composed.reminders.scan(t.clock.now()), second.composed.reminders.scan(t.clock.now())]);
      await waitForMails('contended', 1);
      await settle(1000);
      expect(mailsFor('contended')).toHaveLength(1);
    } finally {
      await second.stop();
      t.clock.advance(-2 * DAY);
    }
  });

  it('sends once when a scan crashed between claiming and enqueueing (the sweep finishes it)', async () => {
    const { admin } = await company();
    await admin.post('/api/v1/secrets', { name: 'crashed-scan', value: 'x', reminder: { intervalDays: 1 } });
    t.clock.advance(2 * DAY);
    try {
      const claimed = await t.worker!.composed.reminders.claimBatch(t.clock.now()); // claimed and recorded, never enqueued
      expect(claimed.recorded.length).toBeGreaterThanOrEqual(1);
      await scan(); // the occurrence is already recorded: nothing new is claimed
      await settle(300);
      expect(mailsFor('crashed-scan')).toHaveLength(0);
      await new Promise((r) => setTimeout(r, 1100)); // older than the sweep threshold
      await t.worker!.composed.reminders.sweep(new Date());
      await t.worker!.composed.reminders.sweep(new Date()); // a repeated sweep adds the same job id
      await waitForMails('crashed-scan', 1);
      await settle();
      expect(mailsFor('crashed-scan')).toHaveLength(1);
    } finally {
      t.clock.advance(-2 * DAY);
    }
  });

  it('sends nothing when the secret was rotated between its due date and the scan, or after the claim', async () => {
    const { admin } = await company();
    await admin.post('/api/v1/secrets', { name: 'rotated-in-time', value: 'x', reminder: { intervalDays: 1 } });
    await admin.post('/api/v1/secrets', { name: 'rotated-late', value: 'x', reminder: { intervalDays: 1 } });
    t.clock.advance(2 * DAY);
    try {
      await admin.put('/api/v1/secrets/rotated-in-time/value', { value: 'y' });
      await t.worker!.composed.reminders.claimBatch(t.clock.now());
      await admin.put('/api/v1/secrets/rotated-late/value', { value: 'y' });
      await new Promise((r) => setTimeout(r, 1100));
      await t.worker!.composed.reminders.sweep(new Date());
      await scan();
      await settle(1000);
      expect(mailsFor('rotated-in-time')).toHaveLength(0);
      expect(mailsFor('rotated-late')).toHaveLength(0);
    } finally {
      t.clock.advance(-2 * DAY);
    }
  });

  it('follows an interval change: nothing at the old due date, one email at the new one', async () => {
    const { admin } = await company();
    await admin.post('/api/v1/secrets', { name: 'stretched', value: 'x', reminder: { intervalDays: 2 } });
    await admin.put('/api/v1/secrets/stretched/reminder', { intervalDays: 10 });
    t.clock.advance(3 * DAY);
    try {
      await scan();
      await settle(500);
      expect(mailsFor('stretched')).toHaveLength(0);
      t.clock.advance(8 * DAY);
      await scan();
      await waitForMails('stretched', 1);
      expect(mailsFor('stretched')).toHaveLength(1);
    } finally {
      t.clock.advance(-11 * DAY);
    }
  });

  it('sends to the company’s admins when the owner was removed — never to another company', async () => {
    const { admin, s } = await company();
    const other = await company();
    const dev = await admin.post('/api/v1/users', { email: `owner-${Date.now()}@example.com`, name: 'Owner', password: 'owner password 12', roles: ['Developer'] });
    await admin.post('/api/v1/secrets', { name: 'orphaned', value: 'x', owners: [dev.body.user.id], reminder: { intervalDays: 1 } });
    expect((await admin.delete(`/api/v1/users/${dev.body.user.id}`)).status).toBe(204);
    t.clock.advance(2 * DAY);
    try {
      await scan();
      await waitForMails('orphaned', 1);
      await settle();
      const mails = mailsFor('orphaned');
      expect(mails).toHaveLength(1);
      expect(mails[0]!.to).toEqual([s.email]);
      expect(mails[0]!.to).not.toContain(other.s.email);
    } finally {
      t.clock.advance(-2 * DAY);
    }
  });

  it('repeats every NEMBL_REMINDER_REPEAT_DAYS while unrotated, and sends only the latest occurrence after an outage', async () => {
    const { admin } = await company();
    await admin.post('/api/v1/secrets', { name: 'neglected', value: 'x', reminder: { intervalDays: 1 } });
    t.clock.advance(2 * DAY);
    try {
      await scan();
      await waitForMails('neglected', 1);
      t.clock.advance(7 * DAY);
      await scan();
      await waitForMails('neglected', 2);
      t.clock.advance(40 * DAY); // no scan ran for 40 days
      await scan();
      await waitForMails('neglected', 3);
      await scan();
      await settle();
      expect(mailsFor('neglected')).toHaveLength(3);
    } finally {
      t.clock.advance(-49 * DAY);
    }
  });

  it('sends once after the SMTP server comes back', async () => {
    const { admin } = await company();
    await admin.post('/api/v1/secrets', { name: 'smtp-outage', value: 'x', reminder: { intervalDays: 1 } });
    t.clock.advance(2 * DAY);
    await sink.stop();
    try {
      await scan();
      await settle(800); // a few attempts fail against the stopped server
      expect(mailsFor('smtp-outage')).toHaveLength(0);
      await sink.start();
      await waitForMails('smtp-outage', 1, 20_000);
      await settle(1000);
      expect(mailsFor('smtp-outage')).toHaveLength(1);
    } finally {
      if (sink.mails.length === 0) await sink.start().catch(() => undefined);
      t.clock.advance(-2 * DAY);
    }
  });

  it('records a permanently failing address on the secret instead of retrying forever', async () => {
    const { admin, s } = await company();
    await admin.post('/api/v1/secrets', { name: 'bounced', value: 'x', reminder: { intervalDays: 1 } });
    sink.rejectRecipients([s.email]);
    t.clock.advance(2 * DAY);
    try {
      await scan();
      let reminder: { lastError: string | null } | undefined;
      for (let i = 0; i < 50 && !reminder?.lastError; i++) {
        await settle(100);
        reminder = (await admin.get('/api/v1/secrets/bounced')).body.secret.reminder;
      }
      expect(reminder?.lastError).toMatch(/550/);
      const rows = await t.dataSource.query(`SELECT d.status FROM reminder_deliveries d JOIN secrets s ON s.id = d.secret_id WHERE s.name = 'bounced'`);
      expect(rows.map((r: { status: string }) => r.status)).toEqual(['failed']);
      expect(mailsFor('bounced')).toHaveLength(0);
    } finally {
      t.clock.advance(-2 * DAY);
    }
  });
});
