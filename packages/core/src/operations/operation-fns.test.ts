import { describe, expect, it } from 'vitest';
import type { SecretRow } from '../secrets/secret-entities.js';
import { SECRET_STATUSES } from '../secrets/secret-fns.js';
import { OPERATION_KINDS, OPERATION_STATUSES, type OperationRow } from './operation-entities.js';
import {
  admitsWrite,
  canMoveOperation,
  isFinishedOperation,
  OPEN_OPERATION_STATUSES,
  operationStatusesBefore,
  operationWithOutcome,
  parseOperationOutcome,
  secretStatusesAdmitting,
  secretStatusOnAccept,
  secretStatusOnFinish,
  secretWithOutcome,
  writeConflictMessage,
  type SecretWrite,
} from './operation-fns.js';

describe('operation lifecycle', () => {
  it('moves queued → running → succeeded or failed, and nowhere from a finished status', () => {
    expect(canMoveOperation('queued', 'running')).toBe(true);
    expect(canMoveOperation('running', 'succeeded')).toBe(true);
    expect(canMoveOperation('running', 'failed')).toBe(true);
    for (const to of OPERATION_STATUSES) {
      expect(canMoveOperation('succeeded', to)).toBe(false);
      expect(canMoveOperation('failed', to)).toBe(false);
    }
  });

  it('lets another worker claim a running operation again (its lease ran out), but not finish one it never claimed', () => {
    expect(operationStatusesBefore('running')).toEqual(['queued', 'running']);
    expect(operationStatusesBefore('succeeded')).toEqual(['running']);
    expect(operationStatusesBefore('failed')).toEqual(['running']);
    expect(canMoveOperation('queued', 'succeeded')).toBe(false);
  });

  it('calls succeeded and failed finished and the others open', () => {
    expect(OPERATION_STATUSES.filter(isFinishedOperation)).toEqual(['succeeded', 'failed']);
    expect(OPEN_OPERATION_STATUSES).toEqual(['queued', 'running']);
  });
});

describe('secret status', () => {
  it('is pending while a create is in flight and deleting while a delete is', () => {
    expect(secretStatusOnAccept('create')).toBe('pending');
    expect(secretStatusOnAccept('delete')).toBe('deleting');
    expect(secretStatusOnAccept('update_value')).toBeNull();
  });

  it('follows the outcome of a create or a delete, guarded by the status the operation set', () => {
    expect(secretStatusOnFinish('create', 'succeeded')).toEqual({ from: 'pending', to: 'active' });
    expect(secretStatusOnFinish('create', 'failed')).toEqual({ from: 'pending', to: 'failed' });
    expect(secretStatusOnFinish('delete', 'succeeded')).toEqual({ from: 'deleting', to: 'deleted' });
    // The store still has it: usable again rather than stuck.
    expect(secretStatusOnFinish('delete', 'failed')).toEqual({ from: 'deleting', to: 'active' });
  });

  it('never changes on a value update, so a delete accepted behind it stays visible as deleting', () => {
    expect(secretStatusOnFinish('update_value', 'succeeded')).toBeNull();
    expect(secretStatusOnFinish('update_value', 'failed')).toBeNull();
  });

  it('guards every finish with the status its own acceptance set', () => {
    for (const kind of OPERATION_KINDS) {
      for (const outcome of ['succeeded', 'failed'] as const) {
        const change = secretStatusOnFinish(kind, outcome);
        if (change) expect(change.from).toBe(secretStatusOnAccept(kind));
      }
    }
  });

  it.each<[SecretWrite, string[]]>([
    ['replace', ['failed']],
    ['update_value', ['active']],
    ['delete', ['active', 'failed']],
    ['update_metadata', ['active', 'failed']],
    ['set_reminder', ['pending', 'active', 'failed']],
  ])('admits %s on a secret that is %j', (write, statuses) => {
    expect(secretStatusesAdmitting(write)).toEqual(statuses);
    for (const s of SECRET_STATUSES) expect(admitsWrite(s, write)).toBe(statuses.includes(s));
  });

  it('explains a refused write without naming anything but the secret and its status', () => {
    expect(writeConflictMessage('db', 'active', 'replace')).toBe('A secret named db already exists');
    expect(writeConflictMessage('db', 'failed', 'update_value')).toBe(
      'Secret db failed to be created; delete it or create it again',
    );
    expect(writeConflictMessage('db', 'pending', 'delete')).toBe(
      'Secret db is pending; try again when the operation in progress has finished',
    );
    expect(writeConflictMessage('db', 'deleting', 'set_reminder')).toBe('Secret db is being deleted');
  });
});

describe('operation outcomes', () => {
  const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  const notice = {
    id: '6f1c2b8e-2f55-4d43-9a4e-0c5e7a1d9b10',
    status: 'succeeded',
    finishedAt: at,
    errorCode: null,
    errorMessage: null,
    secret: {
      status: 'active',
      version: 1,
      updatedAt: at,
      lastRotatedAt: at,
      deletedAt: null,
      reminderNextDueAt: at + 90 * 86_400_000,
      reminderNotifiedDueAt: null,
      reminderNotifiedN: null,
      reminderLastError: null,
    },
  };

  it('parses what the worker sends, with dates', () => {
    const parsed = parseOperationOutcome(JSON.stringify(notice));
    expect(parsed).toMatchObject({ id: notice.id, status: 'succeeded', finishedAt: new Date(at) });
    expect(parsed?.secret.reminderNextDueAt).toEqual(new Date(at + 90 * 86_400_000));
  });

  it('ignores anything else', () => {
    expect(parseOperationOutcome('')).toBeNull();
    expect(parseOperationOutcome(notice.id)).toBeNull();
    expect(parseOperationOutcome('{"id":1}')).toBeNull();
    expect(parseOperationOutcome('not json')).toBeNull();
  });

  it('applies an outcome to the rows the request already holds', () => {
    const outcome = parseOperationOutcome(JSON.stringify(notice));
    if (!outcome) throw new Error('expected an outcome');
    const op = {
      id: notice.id,
      status: 'queued',
      sealedPayload: Buffer.from('sealed'),
      finishedAt: null,
      errorCode: null,
      errorMessage: null,
      leaseUntil: null,
    } as unknown as OperationRow;
    const secret = { name: 'db', status: 'pending', version: 0, description: 'kept' } as unknown as SecretRow;
    expect(operationWithOutcome(op, outcome)).toMatchObject({
      status: 'succeeded',
      finishedAt: new Date(at),
      sealedPayload: null,
    });
    expect(secretWithOutcome(secret, outcome)).toMatchObject({
      name: 'db',
      description: 'kept',
      status: 'active',
      version: 1,
      lastRotatedAt: new Date(at),
    });
  });
});
