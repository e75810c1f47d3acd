import { createLogger, type OperationOutcome } from '@nembl/core';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { operationWaiterFactory, type OutcomeFeedFactory } from './operation-waiter.js';

const logger = createLogger({
  level: 'silent',
  name: 'waiter-test',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

const outcome = (id: string): OperationOutcome => ({
  id,
  status: 'succeeded',
  finishedAt: new Date(1_000),
  errorCode: null,
  errorMessage: null,
  secret: {
    status: 'active',
    version: 1,
    updatedAt: new Date(1_000),
    lastRotatedAt: new Date(1_000),
    deletedAt: null,
    reminderNextDueAt: null,
    reminderNotifiedDueAt: null,
    reminderNotifiedN: null,
    reminderLastError: null,
  },
});

/** What the worker would publish (epoch ms on the wire). */
const wire = (o: OperationOutcome) =>
  JSON.stringify({
    ...o,
    finishedAt: o.finishedAt.getTime(),
    secret: {
      ...o.secret,
      updatedAt: o.secret.updatedAt.getTime(),
      lastRotatedAt: o.secret.lastRotatedAt?.getTime() ?? null,
    },
  });

/** A feed the test drives: `announce` is a published outcome, `setListening` a (re)subscription. */
const fakeFeed = (listening = true) => {
  let handlers: Parameters<OutcomeFeedFactory>[0] | undefined;
  let up = listening;
  const factory: OutcomeFeedFactory = (h) => {
    handlers = h;
    return { start: async () => undefined, listening: () => up, close: async () => undefined };
  };
  return {
    factory,
    announce: (o: OperationOutcome) => handlers!.onOutcome(wire(o)),
    setListening: (next: boolean) => {
      up = next;
      handlers!.onState(next);
    },
  };
};

const setup = (opts: { listening?: boolean; stored?: OperationOutcome[] } = {}) => {
  const feed = fakeFeed(opts.listening ?? true);
  const stored = new Map((opts.stored ?? []).map((o) => [o.id, o]));
  const findOutcomes = vi.fn(async (ids: string[]) => ids.flatMap((id) => (stored.has(id) ? [stored.get(id)!] : [])));
  const waiter = operationWaiterFactory({ feed: feed.factory, logger, operations: { findOutcomes }, pollMs: 20 });
  return { feed, waiter, findOutcomes, store: (o: OperationOutcome) => stored.set(o.id, o) };
};

afterEach(() => {
  vi.useRealTimers();
});

describe('waiting for an operation', () => {
  it('answers with the announced outcome, without reading it', async () => {
    const { feed, waiter, findOutcomes } = setup();
    const pending = waiter.expect('op-1').within(3000);
    feed.announce(outcome('op-2'));
    feed.announce(outcome('op-1'));
    await expect(pending).resolves.toEqual(outcome('op-1'));
    expect(findOutcomes).not.toHaveBeenCalled();
  });

  it('keeps an outcome announced between expecting and waiting (a fast worker)', async () => {
    const { feed, waiter, findOutcomes } = setup();
    const expected = waiter.expect('op-1');
    feed.announce(outcome('op-1'));
    await expect(expected.within(3000)).resolves.toEqual(outcome('op-1'));
    expect(findOutcomes).not.toHaveBeenCalled();
  });

  it('reads the outcome once when the wait ends without an announcement (one was missed)', async () => {
    const { waiter, findOutcomes, store } = setup();
    store(outcome('op-1'));
    await expect(waiter.expect('op-1').within(30)).resolves.toEqual(outcome('op-1'));
    expect(findOutcomes).toHaveBeenCalledTimes(1);
  });

  it('answers null when the operation has not finished by the end of the wait', async () => {
    const { waiter } = setup();
    await expect(waiter.expect('op-1').within(30)).resolves.toBeNull();
  });

  it('looks at every waiting request once the subscription is back', async () => {
    const { feed, waiter, findOutcomes, store } = setup();
    const pending = waiter.expect('op-1').within(5000);
    feed.setListening(false);
    store(outcome('op-1'));
    feed.setListening(true);
    await expect(pending).resolves.toEqual(outcome('op-1'));
    expect(findOutcomes).toHaveBeenCalledWith(['op-1']);
  });

  it('looks now and then while there is no subscription at all', async () => {
    const { waiter, store } = setup({ listening: false });
    const pending = waiter.expect('op-1').within(5000);
    setTimeout(() => store(outcome('op-1')), 50);
    const started = Date.now();
    await expect(pending).resolves.toEqual(outcome('op-1'));
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('forgets a cancelled expectation', async () => {
    const { feed, waiter } = setup();
    const expected = waiter.expect('op-1');
    expected.cancel();
    feed.announce(outcome('op-1'));
    await expect(expected.within(20)).resolves.toBeNull();
  });
});
