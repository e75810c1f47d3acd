import type { ChainedAuditRecord } from '@nembl/core';
import { auditEventJson } from './audit-types.js';

/** The CSV columns of an export: the event's fields, nested ones by dotted path. */
export const AUDIT_CSV_COLUMNS = [
  'id',
  'at',
  'actor.type',
  'actor.id',
  'actor.label',
  'action',
  'resource.kind',
  'resource.name',
  'decision',
  'reason',
  'count',
  'operationId',
  'requestId',
  'ip',
  'userAgent',
  'hash',
  'prevHash',
] as const;

// Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 cell. A cell a spreadsheet would evaluate gets a leading `'` (OWASP's advice), so
 * an actor label such as `=HYPERLINK(…)` stays text; quotes, commas and line breaks are quoted.
 */
export const csvCell = (value: string | number | null | undefined): string => {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

const csvLine = (cells: ReadonlyArray<string | number | null | undefined>): string =>
  `${cells.map(csvCell).join(',')}\r\n`;

export const auditCsvHeader = (): string => csvLine(AUDIT_CSV_COLUMNS);

export const auditCsvRow = (r: ChainedAuditRecord): string => {
  const e = auditEventJson(r);
  return csvLine([
    e.id,
    e.at,
    e.actor.type,
    e.actor.id,
    e.actor.label,
    e.action,
    e.resource.kind,
    e.resource.name,
    e.decision,
    e.reason,
    e.count,
    e.operationId,
    e.requestId,
    e.ip,
    e.userAgent,
    e.hash,
    e.prevHash,
  ]);
};

/** One JSON Lines record: the event exactly as `GET /audit` shows it. */
export const auditJsonLine = (r: ChainedAuditRecord): string => `${JSON.stringify(auditEventJson(r))}\n`;
