/**
 * Validates an untrusted policy document (`policy.md`, "Validation") and returns a clean copy.
 *
 * Hand-written rather than zod: every error must name the statement and say in plain words what is
 * wrong (`statements[2].conditions: unknown operator "StringEqual"`), and the `"*" | object` and
 * `{ Operator: { key: value } }` shapes produce vague union errors in a schema library. All
 * problems are collected, not just the first, so an editor can show them together.
 */
import { compileGlob, hasWildcard } from './glob-fns.js';
import { CONDITION_KEY_NAMES, isConditionOperator, nullOperand, parseConditionKey } from './policy-conditions.js';
import { parseResourcePattern } from './policy-resources.js';
import type {
  ConditionValue,
  Conditions,
  ParseResult,
  PolicyDocument,
  PolicyIssue,
  PolicyStatement,
  PrincipalSet,
} from './policy-types.js';
import { ACTION_NAMES, ACTIONS, CONDITION_OPERATORS } from './policy-types.js';

export const MAX_STATEMENTS = 100;
export const MAX_NAME_LENGTH = 128;
export const MAX_DESCRIPTION_LENGTH = 1024;
export const MAX_SID_LENGTH = 128;
// Generous bounds that keep one document from making every later decision slow.
export const MAX_LIST_LENGTH = 1000;
export const MAX_STRING_LENGTH = 1024;

const SID_PATTERN = /^[A-Za-z0-9_-]+$/;

type PathPart = string | number;
type Path = readonly PathPart[];

/** `['statements', 2, 'conditions']` → `statements[2].conditions` */
export const formatPath = (path: Path): string => {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
};

class Issues {
  readonly list: PolicyIssue[] = [];
  add(path: Path, message: string): void {
    this.list.push({ path: formatPath(path), message });
  }
  get count(): number {
    return this.list.length;
  }
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');

const describe = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
};

const quoteList = (items: readonly string[]): string => items.map((i) => `"${i}"`).join(', ');

const rejectUnknownFields = (obj: JsonObject, allowed: readonly string[], path: Path, issues: Issues): void => {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      issues.add([...path, key], `unknown field "${key}"; expected one of ${quoteList(allowed)}`);
    }
  }
};

/** A present field; `undefined` counts as absent so JS callers may spread optional values. */
const has = (obj: JsonObject, key: string): boolean => Object.hasOwn(obj, key) && obj[key] !== undefined;

interface StringRules {
  min: number;
  max: number;
  pattern?: RegExp;
  patternHint?: string;
}

const readString = (value: unknown, path: Path, issues: Issues, rules: StringRules): string | undefined => {
  if (typeof value !== 'string') {
    issues.add(path, `must be a string, got ${describe(value)}`);
    return undefined;
  }
  if (value.length < rules.min) {
    issues.add(path, rules.min === 1 ? 'must not be empty' : `must be at least ${rules.min} characters`);
    return undefined;
  }
  if (value.length > rules.max) {
    issues.add(path, `must be at most ${rules.max} characters (got ${value.length})`);
    return undefined;
  }
  if (rules.pattern !== undefined && !rules.pattern.test(value)) {
    issues.add(path, rules.patternHint ?? `must match ${String(rules.pattern)}`);
    return undefined;
  }
  return value;
};

/** A list whose items are checked by `item`; returns undefined if the list or any item is invalid. */
const readList = <T>(
  value: unknown,
  path: Path,
  issues: Issues,
  opts: { nonEmpty: string | undefined },
  item: (value: unknown, path: Path) => T | undefined,
): T[] | undefined => {
  if (!Array.isArray(value)) {
    issues.add(path, `must be a list, got ${describe(value)}`);
    return undefined;
  }
  if (opts.nonEmpty !== undefined && value.length === 0) {
    issues.add(path, opts.nonEmpty);
    return undefined;
  }
  if (value.length > MAX_LIST_LENGTH) {
    issues.add(path, `must have at most ${MAX_LIST_LENGTH} entries (got ${value.length})`);
    return undefined;
  }
  const before = issues.count;
  const out: T[] = [];
  value.forEach((v, i) => {
    const parsed = item(v, [...path, i]);
    if (parsed !== undefined) out.push(parsed);
  });
  return issues.count === before ? out : undefined;
};

const ID_RULES: StringRules = { min: 1, max: MAX_STRING_LENGTH };

const readAction = (value: unknown, path: Path, issues: Issues): string | undefined => {
  const action = readString(value, path, issues, ID_RULES);
  if (action === undefined) return undefined;
  if (!hasWildcard(action)) {
    if (ACTIONS.includes(action)) return action;
    // Listing the actions of the same family points at the typo; otherwise list them all.
    const family = ACTION_NAMES.filter((a) => a.startsWith(`${action.split(':')[0] ?? ''}:`));
    const known = family.length > 0 ? family : ACTION_NAMES;
    issues.add(path, `unknown action "${action}"; expected one of ${known.join(', ')}`);
    return undefined;
  }
  const matches = compileGlob(action);
  if (ACTION_NAMES.some((a) => matches(a))) return action;
  issues.add(path, `action glob "${action}" matches no known action`);
  return undefined;
};

const readResource = (value: unknown, path: Path, issues: Issues): string | undefined => {
  const pattern = readString(value, path, issues, ID_RULES);
  if (pattern === undefined) return undefined;
  const parsed = parseResourcePattern(pattern);
  if ('error' in parsed) {
    issues.add(path, parsed.error);
    return undefined;
  }
  return pattern;
};

const PRINCIPAL_FIELDS = ['users', 'tokens', 'roles', 'groups'] as const;

const readPrincipalSet = (value: unknown, path: Path, issues: Issues, whenEmpty: string): PrincipalSet | undefined => {
  if (!isObject(value)) {
    issues.add(path, `must be an object with ${PRINCIPAL_FIELDS.join(', ')}, got ${describe(value)}`);
    return undefined;
  }
  const before = issues.count;
  rejectUnknownFields(value, PRINCIPAL_FIELDS, path, issues);
  const out: PrincipalSet = {};
  let entries = 0;
  for (const field of PRINCIPAL_FIELDS) {
    if (!has(value, field)) continue;
    const list = readList(value[field], [...path, field], issues, { nonEmpty: undefined }, (v, p) =>
      readString(v, p, issues, ID_RULES),
    );
    if (list === undefined) continue;
    out[field] = list;
    entries += list.length;
  }
  if (issues.count !== before) return undefined;
  // An empty set can never match, so a statement with it would silently do nothing.
  if (entries === 0) {
    issues.add(path, whenEmpty);
    return undefined;
  }
  return out;
};

const readConditionValue = (
  operator: string,
  key: string,
  value: unknown,
  path: Path,
  issues: Issues,
): ConditionValue | undefined => {
  if (operator === 'Null') {
    const operand = typeof value === 'boolean' || typeof value === 'string' ? nullOperand(value) : undefined;
    if (operand === undefined) {
      issues.add(path, `"${key}": Null takes true (key absent) or false (key present), got ${describe(value)}`);
      return undefined;
    }
    return operand;
  }
  const expected = `"${key}": ${operator} takes a string or a non-empty list of strings`;
  if (typeof value === 'string') {
    if (value.length > MAX_STRING_LENGTH) {
      issues.add(path, `"${key}": value must be at most ${MAX_STRING_LENGTH} characters`);
      return undefined;
    }
    return value;
  }
  if (!isStringList(value) || value.length === 0) {
    const got = Array.isArray(value) && value.length === 0 ? 'an empty list' : describe(value);
    issues.add(path, `${expected}, got ${got}`);
    return undefined;
  }
  if (value.length > MAX_LIST_LENGTH || value.some((v) => v.length > MAX_STRING_LENGTH)) {
    issues.add(path, `"${key}": at most ${MAX_LIST_LENGTH} values of at most ${MAX_STRING_LENGTH} characters`);
    return undefined;
  }
  return [...value];
};

const readConditions = (value: unknown, path: Path, issues: Issues): Conditions | undefined => {
  if (!isObject(value)) {
    issues.add(path, `must be an object of { Operator: { key: value } }, got ${describe(value)}`);
    return undefined;
  }
  const before = issues.count;
  const out: Conditions = {};
  for (const [operator, entries] of Object.entries(value)) {
    if (!isConditionOperator(operator)) {
      issues.add(path, `unknown operator "${operator}"; expected one of ${CONDITION_OPERATORS.join(', ')}`);
      continue;
    }
    const opPath = [...path, operator];
    if (!isObject(entries)) {
      issues.add(opPath, `must be an object of { key: value }, got ${describe(entries)}`);
      continue;
    }
    const keys = Object.keys(entries);
    if (keys.length === 0) {
      issues.add(opPath, 'must name at least one condition key');
      continue;
    }
    const parsed: Record<string, ConditionValue> = {};
    for (const key of keys) {
      if (parseConditionKey(key) === undefined) {
        issues.add(opPath, `unknown condition key "${key}"; expected one of ${CONDITION_KEY_NAMES.join(', ')}`);
        continue;
      }
      const v = readConditionValue(operator, key, entries[key], opPath, issues);
      if (v !== undefined) parsed[key] = v;
    }
    out[operator] = parsed;
  }
  return issues.count === before ? out : undefined;
};

const STATEMENT_FIELDS = ['sid', 'effect', 'actions', 'principals', 'notPrincipals', 'resources', 'conditions'];

const readStatement = (value: unknown, path: Path, issues: Issues): PolicyStatement | undefined => {
  if (!isObject(value)) {
    issues.add(path, `must be a statement object, got ${describe(value)}`);
    return undefined;
  }
  const before = issues.count;
  rejectUnknownFields(value, STATEMENT_FIELDS, path, issues);

  const sid = has(value, 'sid')
    ? readString(value.sid, [...path, 'sid'], issues, {
        min: 1,
        max: MAX_SID_LENGTH,
        pattern: SID_PATTERN,
        patternHint: 'may contain only letters, digits, "_" and "-"',
      })
    : undefined;

  let effect: 'allow' | 'deny' | undefined;
  if (value.effect === 'allow' || value.effect === 'deny') effect = value.effect;
  else if (!has(value, 'effect')) issues.add([...path, 'effect'], 'is required: "allow" or "deny"');
  else
    issues.add(
      [...path, 'effect'],
      `must be "allow" or "deny", got ${JSON.stringify(value.effect) ?? describe(value.effect)}`,
    );

  const actions = has(value, 'actions')
    ? readList(value.actions, [...path, 'actions'], issues, { nonEmpty: 'must list at least one action' }, (v, p) =>
        readAction(v, p, issues),
      )
    : (issues.add([...path, 'actions'], 'is required: a list of actions'), undefined);

  let principals: PolicyStatement['principals'] | undefined;
  if (value.principals === '*') principals = '*';
  else if (!has(value, 'principals'))
    issues.add([...path, 'principals'], 'is required: "*" or { users, tokens, roles, groups }');
  else if (typeof value.principals === 'string')
    issues.add([...path, 'principals'], 'must be "*" or an object with users, tokens, roles, groups');
  else {
    principals = readPrincipalSet(
      value.principals,
      [...path, 'principals'],
      issues,
      'must name at least one user, token, role or group (use "*" for everyone)',
    );
  }

  const notPrincipals = has(value, 'notPrincipals')
    ? readPrincipalSet(
        value.notPrincipals,
        [...path, 'notPrincipals'],
        issues,
        'must name at least one user, token, role or group (omit it to exclude no one)',
      )
    : undefined;

  const resources = has(value, 'resources')
    ? readList(
        value.resources,
        [...path, 'resources'],
        issues,
        { nonEmpty: 'must list at least one resource pattern (omit it for all resources)' },
        (v, p) => readResource(v, p, issues),
      )
    : undefined;

  const conditions = has(value, 'conditions')
    ? readConditions(value.conditions, [...path, 'conditions'], issues)
    : undefined;

  if (issues.count !== before || effect === undefined || actions === undefined || principals === undefined) {
    return undefined;
  }
  const statement: PolicyStatement = { effect, actions, principals };
  if (sid !== undefined) statement.sid = sid;
  if (notPrincipals !== undefined) statement.notPrincipals = notPrincipals;
  if (resources !== undefined) statement.resources = resources;
  if (conditions !== undefined) statement.conditions = conditions;
  return statement;
};

const DOCUMENT_FIELDS = ['name', 'description', 'statements'];

/**
 * Validates untrusted input (a request body, a stored row) as a policy document. On success the
 * returned document is a fresh copy holding only the known fields.
 */
export const parsePolicyDocument = (input: unknown): ParseResult => {
  const issues = new Issues();
  if (!isObject(input)) {
    issues.add([], `a policy document must be an object with name and statements, got ${describe(input)}`);
    return { ok: false, errors: issues.list };
  }
  rejectUnknownFields(input, DOCUMENT_FIELDS, [], issues);

  const name = has(input, 'name')
    ? readString(input.name, ['name'], issues, {
        min: 1,
        max: MAX_NAME_LENGTH,
        // Not blank, and no control character (as every other name in the API).
        pattern: /^[^\p{Cc}]*[^\p{Cc}\s][^\p{Cc}]*$/u,
        patternHint: 'must not be blank or contain control characters',
      })
    : (issues.add(['name'], 'is required'), undefined);

  const description = has(input, 'description')
    ? readString(input.description, ['description'], issues, {
        min: 0,
        max: MAX_DESCRIPTION_LENGTH,
        // eslint-disable-next-line no-control-regex -- refusing control characters is the point
        pattern: /^[^\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$/,
        patternHint: 'must not contain control characters other than tab and newline',
      })
    : undefined;

  let statements: PolicyStatement[] | undefined;
  if (!has(input, 'statements')) {
    issues.add(['statements'], 'is required: a list of statements');
  } else if (Array.isArray(input.statements) && input.statements.length > MAX_STATEMENTS) {
    issues.add(['statements'], `at most ${MAX_STATEMENTS} statements are allowed (got ${input.statements.length})`);
  } else {
    statements = readList(
      input.statements,
      ['statements'],
      issues,
      { nonEmpty: 'must contain at least one statement' },
      (v, p) => readStatement(v, p, issues),
    );
  }

  // Explanations name statements by sid, so two statements must not share one.
  if (statements !== undefined) {
    const seen = new Map<string, number>();
    statements.forEach((s, i) => {
      if (s.sid === undefined) return;
      const first = seen.get(s.sid);
      if (first === undefined) seen.set(s.sid, i);
      else issues.add(['statements', i, 'sid'], `duplicate sid "${s.sid}" (also used by statements[${first}])`);
    });
  }

  if (issues.count > 0 || name === undefined || statements === undefined) return { ok: false, errors: issues.list };
  const document: PolicyDocument = { name, statements };
  if (description !== undefined) document.description = description;
  return { ok: true, document };
};
