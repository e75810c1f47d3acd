import { describe, expect, it } from 'vitest';
import { renderReminderEmail } from './reminder-email.js';

describe('reminder email', () => {
  const base = {
    name: 'github-api-token',
    description: 'CI <token> & more',
    tags: { environment: 'production' },
    dueAt: new Date('2026-12-01T00:00:00Z'),
    publicUrl: 'https://secrets.example.com/',
    companyName: 'Acme',
  };

  it('names the secret, the due date, days overdue and links to the console', () => {
    const m = renderReminderEmail({ ...base, now: new Date('2026-12-04T08:00:00Z') });
    expect(m.subject).toBe('Rotate github-api-token (due 2026-12-01)');
    expect(m.link).toBe('https://secrets.example.com/secrets/github-api-token');
    expect(m.text).toContain('3 days overdue');
    expect(m.text).toContain('Tags: environment=production');
    expect(m.html).toContain('CI &lt;token&gt; &amp; more');
    expect(m.html).toContain('href="https://secrets.example.com/secrets/github-api-token"');
  });

  it('says "due on" on the day itself', () => {
    expect(renderReminderEmail({ ...base, now: new Date('2026-12-01T09:00:00Z') }).text).toContain('is due on 2026-12-01');
  });
});
