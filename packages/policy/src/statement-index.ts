/**
 * Which statements of a list can apply to a principal, as a bit mask. Built once per action at
 * compile time; per decision it costs one map lookup per user/token id, role and group instead of
 * a principal check per statement, and statements for other people are never looked at.
 */
import type { Principal, PrincipalSet } from './policy-types.js';

/** Bits over a statement list: bit i of word i >>> 5 stands for statements[i]. */
type Bits = Uint32Array;

interface PrincipalBits {
  readonly users: ReadonlyMap<string, Bits>;
  readonly tokens: ReadonlyMap<string, Bits>;
  readonly roles: ReadonlyMap<string, Bits>;
  readonly groups: ReadonlyMap<string, Bits>;
}

export interface StatementIndex<T> {
  readonly statements: readonly T[];
  readonly words: number;
  /** Statements for `principals: "*"`. */
  readonly everyone: Bits;
  readonly included: PrincipalBits;
  /** `notPrincipals`, or undefined when no statement has any. */
  readonly excluded: PrincipalBits | undefined;
}

interface Indexable {
  readonly principals: '*' | PrincipalSet;
  readonly notPrincipals: PrincipalSet | undefined;
}

const emptyBits = () => ({
  users: new Map<string, Bits>(),
  tokens: new Map<string, Bits>(),
  roles: new Map<string, Bits>(),
  groups: new Map<string, Bits>(),
});

const setBit = (map: Map<string, Bits>, key: string, i: number, words: number): void => {
  let bits = map.get(key);
  if (bits === undefined) {
    bits = new Uint32Array(words);
    map.set(key, bits);
  }
  bits[i >>> 5] = (bits[i >>> 5] ?? 0) | (1 << (i & 31));
};

const addSet = (target: ReturnType<typeof emptyBits>, set: PrincipalSet, i: number, words: number): void => {
  for (const id of set.users ?? []) setBit(target.users, id, i, words);
  for (const id of set.tokens ?? []) setBit(target.tokens, id, i, words);
  for (const role of set.roles ?? []) setBit(target.roles, role, i, words);
  for (const group of set.groups ?? []) setBit(target.groups, group, i, words);
};

export const buildStatementIndex = <T extends Indexable>(statements: readonly T[]): StatementIndex<T> => {
  const words = Math.max(1, Math.ceil(statements.length / 32));
  const everyone = new Uint32Array(words);
  const included = emptyBits();
  const excluded = emptyBits();
  let anyExcluded = false;
  statements.forEach((st, i) => {
    if (st.principals === '*') everyone[i >>> 5] = (everyone[i >>> 5] ?? 0) | (1 << (i & 31));
    else addSet(included, st.principals, i, words);
    if (st.notPrincipals !== undefined) {
      addSet(excluded, st.notPrincipals, i, words);
      anyExcluded = true;
    }
  });
  return { statements, words, everyone, included, excluded: anyExcluded ? excluded : undefined };
};

const orInto = (mask: Bits, bits: Bits | undefined, words: number): void => {
  if (bits === undefined) return;
  for (let w = 0; w < words; w++) mask[w] = (mask[w] ?? 0) | (bits[w] ?? 0);
};

const clearFrom = (mask: Bits, bits: Bits | undefined, words: number): void => {
  if (bits === undefined) return;
  for (let w = 0; w < words; w++) mask[w] = (mask[w] ?? 0) & ~(bits[w] ?? 0);
};

const visit = (
  maps: PrincipalBits,
  p: Principal,
  apply: (mask: Bits, bits: Bits | undefined, words: number) => void,
  mask: Bits,
  words: number,
): void => {
  apply(mask, (p.type === 'user' ? maps.users : maps.tokens).get(p.id), words);
  if (maps.roles.size > 0) for (const role of p.roles) apply(mask, maps.roles.get(role), words);
  if (maps.groups.size > 0) for (const group of p.groups) apply(mask, maps.groups.get(group), words);
};

/**
 * Writes into `mask` (at least `index.words` long) the statements whose principals include the
 * principal and whose notPrincipals do not exclude it.
 */
export const principalMask = <T>(index: StatementIndex<T>, p: Principal, mask: Bits): void => {
  const { words } = index;
  for (let w = 0; w < words; w++) mask[w] = index.everyone[w] ?? 0;
  visit(index.included, p, orInto, mask, words);
  if (index.excluded !== undefined) visit(index.excluded, p, clearFrom, mask, words);
};
