/**
 * Condition keys and operators (`policy.md`, "Document"), shared by validation and compilation so
 * the two can never disagree about what a key means.
 */
import { compileGlobs, type StringMatcher } from './glob-fns.js';
import type { AuthzRequest, ConditionOperator, ConditionValue } from './policy-types.js';
import { CONDITION_OPERATORS } from './policy-types.js';

/** How a key reads its value(s) from a request. Single-valued keys may be missing (undefined). */
export type ConditionKey =
  | { readonly multi: false; readonly read: (req: AuthzRequest) => string | undefined }
  | { readonly multi: true; readonly read: (req: AuthzRequest) => readonly string[] };

export type ConditionTest = (req: AuthzRequest) => boolean;

export const RESOURCE_TAG_PREFIX = 'resource.tag/';
export const REQUEST_TAG_PREFIX = 'request.tag/';

export const CONDITION_KEY_NAMES = [
  'resource.kind',
  'resource.name',
  'resource.secretType',
  `${RESOURCE_TAG_PREFIX}<key>`,
  'principal.id',
  'principal.type',
  'principal.roles',
  'principal.groups',
  `${REQUEST_TAG_PREFIX}<key>`,
] as const;

// Own properties only: a tag named `constructor` must not find Object.prototype.constructor.
// Most lookups miss, so the cheaper read goes first.
const ownTag = (tags: Readonly<Record<string, string>> | undefined, key: string): string | undefined => {
  if (tags === undefined) return undefined;
  const value = tags[key];
  return value !== undefined && Object.hasOwn(tags, key) ? value : undefined;
};

const FIXED_KEYS: ReadonlyMap<string, ConditionKey> = new Map<string, ConditionKey>([
  ['resource.kind', { multi: false, read: (req) => req.resource.kind }],
  ['resource.name', { multi: false, read: (req) => req.resource.name }],
  ['resource.secretType', { multi: false, read: (req) => req.resource.secretType }],
  ['principal.id', { multi: false, read: (req) => req.principal.id }],
  ['principal.type', { multi: false, read: (req) => req.principal.type }],
  ['principal.roles', { multi: true, read: (req) => req.principal.roles }],
  ['principal.groups', { multi: true, read: (req) => req.principal.groups }],
]);

/** Resolves a condition key such as `resource.tag/environment`; undefined when it is not a key. */
export const parseConditionKey = (key: string): ConditionKey | undefined => {
  const fixed = FIXED_KEYS.get(key);
  if (fixed !== undefined) return fixed;
  if (key.startsWith(RESOURCE_TAG_PREFIX) && key.length > RESOURCE_TAG_PREFIX.length) {
    const tag = key.slice(RESOURCE_TAG_PREFIX.length);
    return { multi: false, read: (req) => ownTag(req.resource.tags, tag) };
  }
  if (key.startsWith(REQUEST_TAG_PREFIX) && key.length > REQUEST_TAG_PREFIX.length) {
    const tag = key.slice(REQUEST_TAG_PREFIX.length);
    return { multi: false, read: (req) => ownTag(req.requestTags, tag) };
  }
  return undefined;
};

const OPERATOR_SET: ReadonlySet<string> = new Set(CONDITION_OPERATORS);

export const isConditionOperator = (op: string): op is ConditionOperator => OPERATOR_SET.has(op);

/** `Null` takes a boolean; the strings "true"/"false" are accepted because IAM documents use them. */
export const nullOperand = (value: ConditionValue): boolean | undefined => {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
};

const anyMatch = (values: readonly string[], m: StringMatcher): boolean => {
  for (const v of values) if (m(v)) return true;
  return false;
};

const allMatch = (values: readonly string[], m: StringMatcher): boolean => {
  for (const v of values) if (!m(v)) return false;
  return true;
};

const equalsAny = (operands: readonly string[]): StringMatcher => {
  if (operands.length === 1) {
    const only = operands[0];
    return (v) => v === only;
  }
  const set = new Set(operands);
  return (v) => set.has(v);
};

const likeAny = (operands: readonly string[]): StringMatcher => compileGlobs(operands);

/**
 * "Holds for the key": on a single-valued key, the value is present and matches; on a multi-valued
 * key, any value matches (`policy.md`). Missing single values and empty sets therefore never match.
 */
const positive = (key: ConditionKey, m: StringMatcher): ConditionTest => {
  if (key.multi) {
    const read = key.read;
    return (req) => anyMatch(read(req), m);
  }
  const read = key.read;
  return (req) => {
    const v = read(req);
    return v !== undefined && m(v);
  };
};

/** The key's values as a set: a single-valued key is a set of zero or one value. */
const forAll = (key: ConditionKey, m: StringMatcher): ConditionTest => {
  if (key.multi) {
    const read = key.read;
    return (req) => allMatch(read(req), m);
  }
  const read = key.read;
  return (req) => {
    const v = read(req);
    return v === undefined || m(v);
  };
};

/**
 * Compiles one `Operator: { key: value }` entry. The caller has validated the operator, key and
 * value shape (see policy-parse.ts); here they are trusted.
 *
 * Negated plain operators are the exact negation of their positive form. On a missing key that
 * makes them true (rule 4, "fails closed" for denies); on a multi-valued key it means "none of the
 * values matches" — IAM's ForAllValues:StringNotEquals, and what `policy.md` asks of negated
 * operators ("none may match"). So `StringNotEquals principal.roles Contractor` excludes anyone
 * holding that role, whatever else they hold.
 */
export const compileCondition = (
  operator: ConditionOperator,
  key: ConditionKey,
  value: ConditionValue,
): ConditionTest => {
  if (operator === 'Null') {
    const wantAbsent = nullOperand(value) ?? true;
    if (key.multi) {
      // A multi-valued key with no values carries nothing, so it counts as absent.
      const read = key.read;
      return (req) => (read(req).length === 0) === wantAbsent;
    }
    const read = key.read;
    return (req) => (read(req) === undefined) === wantAbsent;
  }
  const operands = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  switch (operator) {
    case 'StringEquals':
      return positive(key, equalsAny(operands));
    case 'StringNotEquals': {
      const holds = positive(key, equalsAny(operands));
      return (req) => !holds(req);
    }
    case 'StringLike':
      return positive(key, likeAny(operands));
    case 'StringNotLike': {
      const holds = positive(key, likeAny(operands));
      return (req) => !holds(req);
    }
    // ForAnyValue on a single value is the same as the plain operator: false when missing.
    case 'ForAnyValue:StringEquals':
      return positive(key, equalsAny(operands));
    case 'ForAnyValue:StringLike':
      return positive(key, likeAny(operands));
    case 'ForAllValues:StringEquals':
      return forAll(key, equalsAny(operands));
    case 'ForAllValues:StringLike':
      return forAll(key, likeAny(operands));
  }
};
