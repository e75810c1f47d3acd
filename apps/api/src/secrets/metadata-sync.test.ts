import { describe, expect, it, vi } from 'vitest';
import { metadataSyncFactory } from './metadata-sync.js';

const logger = { warn: vi.fn() };

/** N processes on one in-memory channel; `deliver` hands every published message to every subscriber, in order. */
const bus = () => {
  const subscribers: Array<{ onMessage: (m: string) => void; subscribed: boolean }> = [];
  const queue: string[] = [];
  const published: string[] = [];
  const publish = async (m: string) => {
    queue.push(m);
    published.push(m);
    return subscribers.filter((s) => s.subscribed).length;
  };
  const deliver = () => {
    while (queue.length) {
      const m = queue.shift()!;
      for (const s of subscribers) if (s.subscribed) s.onMessage(m);
    }
  };
  const join = (subscribed = true) => {
    const dropped: string[] = [];
    const policiesDropped: string[] = [];
    const entry = { onMessage: (_m: string) => undefined as void, subscribed };
    const sync = metadataSyncFactory({
      publish,
      listening: () => entry.subscribed,
      onInvalidate: (c, policies) => {
        dropped.push(c);
        if (policies) policiesDropped.push(c);
      },
      logger,
      timeoutMs: 200,
    });
    entry.onMessage = sync.onMessage;
    subscribers.push(entry);
    return { sync, dropped, policiesDropped, entry };
  };
  return { join, deliver, published };
};

describe('metadata sync', () => {
  it('answers only once every other subscribed process dropped the company', async () => {
    const b = bus();
    const writer = b.join();
    const other = b.join();
    let answered = false;
    const announced = writer.sync.announce('c1').then(() => (answered = true));
    expect(writer.dropped).toEqual(['c1']); // at once, before anything is published
    await new Promise((r) => setTimeout(r, 10));
    expect(answered).toBe(false);
    b.deliver(); // the invalidation, then the other's ack
    await new Promise((r) => setTimeout(r, 0));
    b.deliver();
    await announced;
    expect(other.dropped).toEqual(['c1']);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('drops compiled policies everywhere for a policy write only, also when it shares a barrier', async () => {
    const b = bus();
    const writer = b.join();
    const other = b.join();
    const settle = async (p: Promise<unknown>) => {
      for (let i = 0; i < 6; i++) {
        b.deliver();
        await new Promise((r) => setTimeout(r, 0));
      }
      await p;
    };
    await settle(writer.sync.announce('c1'));
    expect(other.dropped).toEqual(['c1']);
    expect(other.policiesDropped).toEqual([]);
    const policyWrite = writer.sync.announce('c1', { policies: true });
    expect(writer.policiesDropped).toEqual(['c1']); // locally at once
    await settle(policyWrite);
    expect(other.policiesDropped).toEqual(['c1']);
    // A policy write that comes while a plain write of its company waits for the next barrier.
    const first = writer.sync.announce('c2');
    await new Promise((r) => setTimeout(r, 0));
    const both = Promise.all([writer.sync.announce('c3'), writer.sync.announce('c3', { policies: true })]);
    await settle(Promise.all([first, both]));
    expect(other.policiesDropped).toEqual(['c1', 'c3']);
    expect(b.published.filter((m) => m.startsWith('inv ') && m.endsWith(' policies'))).toHaveLength(2);
  });

  it('lets writes that announce during a barrier share the next one per company, published after they asked', async () => {
    const b = bus();
    const writer = b.join();
    const other = b.join();
    const settled: string[] = [];
    const first = writer.sync.announce('c1').then(() => settled.push('first'));
    await new Promise((r) => setTimeout(r, 0));
    expect(b.published.filter((m) => m.startsWith('inv '))).toHaveLength(1);
    // Two barriers may be in flight; these come while a second one is already out.
    const second = writer.sync.announce('c1').then(() => settled.push('second'));
    await new Promise((r) => setTimeout(r, 0));
    const later = ['c1', 'c1', 'c2'].map((c, i) => writer.sync.announce(c).then(() => settled.push(`later-${i}`)));
    await new Promise((r) => setTimeout(r, 0));
    // Nothing for the later ones yet: a barrier sent before they asked would not cover their change.
    expect(b.published.filter((m) => m.startsWith('inv '))).toHaveLength(2);
    expect(writer.dropped).toEqual(['c1', 'c1', 'c1', 'c1', 'c2']); // locally at once, all the same
    for (let i = 0; i < 6; i++) {
      b.deliver();
      await new Promise((r) => setTimeout(r, 0));
    }
    await Promise.all([first, second, ...later]);
    // One barrier per company for the three later writes, acknowledged by the other process.
    const invs = b.published.filter((m) => m.startsWith('inv ')).map((m) => m.split(' ')[1]);
    expect(invs).toEqual(['c1', 'c1', 'c1', 'c2']);
    expect(other.dropped).toEqual(['c1', 'c1', 'c1', 'c2']);
    expect(settled.slice(0, 2).sort()).toEqual(['first', 'second']);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('does not wait for itself, nor for a process that is not subscribed (it serves nothing cached)', async () => {
    const b = bus();
    const writer = b.join();
    b.join(false);
    await writer.sync.announce('c1');
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('gives up after the timeout and says so', async () => {
    const b = bus();
    const writer = b.join();
    b.join(); // never delivered to
    await writer.sync.announce('c1');
    expect(logger.warn).toHaveBeenCalledWith(
      { need: 1, got: 0 },
      'Not every API process acknowledged a metadata change in time',
    );
  });

  it('does not hold the answer on a Redis that takes the PUBLISH and never answers', async () => {
    const warn = vi.fn();
    const dropped: string[] = [];
    const sync = metadataSyncFactory({
      publish: () => new Promise<number>(() => undefined),
      listening: () => true,
      onInvalidate: (c) => void dropped.push(c),
      logger: { warn },
      timeoutMs: 100,
    });
    const started = Date.now();
    await sync.announce('c1');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(dropped).toEqual(['c1']);
    expect(warn).toHaveBeenCalledWith(
      { need: Infinity, got: 0 },
      'Not every API process acknowledged a metadata change in time',
    );
  });
});
