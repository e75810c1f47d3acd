import { parseEnvSource } from '@nembl/core';
import { z } from 'zod';
import type { BoundResource } from '../secrets/secret-types.js';

/** What a reference the caller may not read shows instead of its name. */
export interface HiddenReference<K extends string = string> {
  kind: K;
  hidden: true;
}

export const hiddenReference = <K extends string>(kind: K): HiddenReference<K> => ({ kind, hidden: true });

/** A secret reference the caller may not read (a connector's `authSecret`, a workflow env value). */
export const hiddenSecretSchema = z
  .object({ kind: z.enum(['secret']), hidden: z.literal(true) })
  .meta({ title: 'Hidden', description: 'A secret the caller may not `secrets:read`: its name is not shown.' });

/** A secret named in a response: its name, or hidden. */
export const secretReferenceSchema = z.union([z.string(), hiddenSecretSchema]);

export type BoundResourceView = BoundResource | HiddenReference<BoundResource['kind']>;

/**
 * The bound resources the caller may read, in their order, then one hidden item per resource it
 * may not read (after the named ones, so their position does not hint at their names).
 */
export const presentBindings = (
  list: readonly BoundResource[],
  mayRead: (b: BoundResource) => boolean,
): BoundResourceView[] => {
  const shown: BoundResourceView[] = [];
  const hidden = new Map<string, HiddenReference<BoundResource['kind']>>();
  for (const b of list) {
    if (mayRead(b)) shown.push(b);
    else if (!hidden.has(b.id)) hidden.set(b.id, hiddenReference(b.kind));
  }
  return [...shown, ...hidden.values()];
};

/** A workflow env map with every `secret:` reference the caller may not read hidden. */
export const presentEnv = (env: Readonly<Record<string, string>>, mayReadSecret: (name: string) => boolean) =>
  Object.fromEntries(
    Object.entries(env).map(([key, raw]) => {
      const src = parseEnvSource(raw);
      return [key, src.kind === 'secret' && !mayReadSecret(src.name) ? hiddenReference('secret') : raw];
    }),
  ) as Record<string, string | HiddenReference<'secret'>>;
