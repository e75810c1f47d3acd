import { daysOverdue, formatDay } from '@nembl/core';

export interface ReminderEmailInput {
  name: string;
  description: string;
  tags: Record<string, string>;
  dueAt: Date;
  now: Date;
  publicUrl: string;
  companyName: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The reminder email: what is due, when, and where to rotate it. It never holds the value. */
export const renderReminderEmail = (m: ReminderEmailInput) => {
  const due = formatDay(m.dueAt);
  const overdue = daysOverdue(m.dueAt, m.now);
  const link = `${m.publicUrl.replace(/\/+$/, '')}/secrets/${encodeURIComponent(m.name)}`;
  const status = overdue === 0 ? `due on ${due}` : `${overdue} day${overdue === 1 ? '' : 's'} overdue (due ${due})`;
  const tags = Object.entries(m.tags);
  const subject = `Rotate ${m.name} (due ${due})`;
  const text = [
    `The secret ${m.name} in ${m.companyName} is ${status}.`,
    '',
    m.description ? `Description: ${m.description}` : undefined,
    tags.length > 0 ? `Tags: ${tags.map(([k, v]) => `${k}=${v}`).join(', ')}` : undefined,
    `Due date: ${due}`,
    `Days overdue: ${overdue}`,
    '',
    `Rotate it in the console: ${link}`,
    '',
    'You get this email because you own this secret (or administer its company). It repeats until the secret is rotated.',
  ]
    .filter((l) => l !== undefined)
    .join('\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif">
<p>The secret <strong>${escapeHtml(m.name)}</strong> in ${escapeHtml(m.companyName)} is ${escapeHtml(status)}.</p>
<table cellpadding="4">
${m.description ? `<tr><th align="left">Description</th><td>${escapeHtml(m.description)}</td></tr>` : ''}
${tags.length > 0 ? `<tr><th align="left">Tags</th><td>${tags.map(([k, v]) => `${escapeHtml(k)}=${escapeHtml(v)}`).join(', ')}</td></tr>` : ''}
<tr><th align="left">Due date</th><td>${due}</td></tr>
<tr><th align="left">Days overdue</th><td>${overdue}</td></tr>
</table>
<p><a href="${escapeHtml(link)}">Rotate ${escapeHtml(m.name)} in the console</a></p>
<p style="color:#666">You get this email because you own this secret (or administer its company). It repeats until the secret is rotated.</p>
</body></html>`;
  return { subject, text, html, link };
};
