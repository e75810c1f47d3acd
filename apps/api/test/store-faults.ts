import { StoreError, type SecretStore } from '@nembl/core';

/**
 * Fault injection around a real store (the local driver or moto), for paths no real store
 * produces on demand: a permanent refusal, or a call that hangs until released.
 */
export const faultyStore = (inner: SecretStore) => {
  let refuse: StoreError | undefined;
  let readsDown = false;
  let gate: { entered: () => void; release: Promise<void> } | undefined;
  let enteredResolve: (() => void) | undefined;
  const entered = new Promise<void>((r) => (enteredResolve = r));

  const before = async () => {
    if (refuse) throw refuse;
    if (gate) {
      const g = gate;
      gate = undefined;
      g.entered();
      await g.release;
    }
  };

  const store: SecretStore = {
    driver: inner.driver,
    create: async (ref) => (await before(), inner.create(ref)),
    putValue: async (ref) => (await before(), inner.putValue(ref)),
    getValue: async (ref) => {
      if (readsDown) throw new StoreError('Unavailable', 'store unreachable (injected)', true);
      return inner.getValue(ref);
    },
    delete: async (ref) => (await before(), inner.delete(ref)),
    ping: () => inner.ping(),
  };

  return {
    store,
    refuseWrites: (code: 'AccessDenied' | 'Invalid') => {
      refuse = new StoreError(code, `store refused the write (${code})`, false);
    },
    heal: () => {
      refuse = undefined;
      readsDown = false;
    },
    failReads: () => {
      readsDown = true;
    },
    /** The next write blocks until `release` is called; `entered` resolves once it is blocked. */
    holdNextWrite: () => {
      let release!: () => void;
      gate = { entered: enteredResolve!, release: new Promise<void>((r) => (release = r)) };
      return { entered, release: () => release() };
    },
  };
};
