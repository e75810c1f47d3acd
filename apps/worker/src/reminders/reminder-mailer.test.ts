import { startSmtpSink } from '@nembl/testkit';
import { describe, expect, it } from 'vitest';
import { isPermanentSmtpError, smtpMailerFactory } from './reminder-mailer.js';

describe('smtp mailer', () => {
  it('delivers over a pool of reused connections', async () => {
    const sink = await startSmtpSink();
    const mailer = smtpMailerFactory({ url: sink.url, from: 'Nembl <no-reply@nembl.test>', maxConnections: 3 });
    try {
      const sent = await Promise.all(
        Array.from({ length: 30 }, (_, i) => mailer.send({ to: [`o${i}@example.com`], subject: `m${i}`, text: 't', html: '<p>t</p>' })),
      );
      expect(sent.every((s) => s.accepted.length === 1)).toBe(true);
      expect(sink.mails).toHaveLength(30);
      expect(sink.connections).toBeLessThanOrEqual(3);
      expect(sink.mails[0]!.from).toBe('no-reply@nembl.test');
    } finally {
      mailer.close();
      await sink.close();
    }
  });

  it('reports a refused mailbox as a permanent (5xx) failure', async () => {
    const sink = await startSmtpSink();
    sink.rejectRecipients(['gone@example.com']);
    const mailer = smtpMailerFactory({ url: sink.url, from: 'x@nembl.test' });
    try {
      const err = await mailer.send({ to: ['gone@example.com'], subject: 's', text: 't', html: 'h' }).catch((e: unknown) => e);
      expect(isPermanentSmtpError(err)).toBe(true);
    } finally {
      mailer.close();
      await sink.close();
    }
  });
});
