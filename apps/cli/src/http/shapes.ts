/**
 * What the CLI reads from an answer, checked before it is used: a server that is not the API
 * (a wrong NEMBL_API_URL, a proxy's page, an attacker's listener) must not crash the CLI into a
 * stack trace or, worse, start CMD with `X=null`. Only the fields the commands read are checked.
 */
export type Shape<T> = (v: unknown) => v is T;

type Field = (v: unknown) => boolean;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Field = (v) => typeof v === 'string';
const num: Field = (v) => typeof v === 'number' && Number.isFinite(v);
const orNull =
  (f: Field): Field =>
  (v) =>
    v === null || f(v);
const optional =
  (f: Field): Field =>
  (v) =>
    v === undefined || f(v);
const arrayOf =
  (f: Field): Field =>
  (v) =>
    Array.isArray(v) && v.every(f);
const recordOf =
  (f: Field): Field =>
  (v) =>
    isObject(v) && Object.values(v).every(f);
const fields =
  (spec: Record<string, Field>): Field =>
  (v) =>
    isObject(v) && Object.entries(spec).every(([k, f]) => f(v[k]));

/** A shape from a field spec: the answer is an object with (at least) these fields. */
const shape = <T>(spec: Record<string, Field>): Shape<T> => fields(spec) as Shape<T>;

const createdByField = optional(orNull(fields({ name: optional(str) })));
const boundFields = fields({ kind: str, name: str, detail: optional(str) });
const secretFields = fields({
  name: str,
  type: str,
  status: str,
  tags: recordOf(str),
  description: optional(str),
  version: optional(num),
  createdAt: optional(str),
  createdBy: createdByField,
  lastRotatedAt: optional(orNull(str)),
  owners: optional(arrayOf(fields({ email: str }))),
  reminder: optional(orNull(fields({ intervalDays: num, nextDueAt: str }))),
  boundResources: optional(arrayOf(boundFields)),
});
const operationFields = fields({ id: str, status: str });

export const meShape = shape<{
  user: { email: string; name?: string } | null;
  token?: { id: string; name: string };
  company: { id: string; name: string };
  roles: string[];
  groups: string[];
}>({
  company: fields({ id: str, name: str }),
  roles: arrayOf(str),
  groups: arrayOf(str),
  user: optional(orNull(fields({ email: str }))),
  token: optional(fields({ name: str })),
});
export const loginShape = shape<{ user: { email: string }; company: { id: string; name: string } }>({
  user: fields({ email: str }),
  company: fields({ id: str, name: str }),
});
export const versionShape = shape<{ secret: { version: number } }>({ secret: fields({ version: num }) });
export const csrfShape = shape<{ token: string }>({ token: str });
export const resolvedEnvShape = shape<{
  env: Record<string, string>;
  versions: Record<string, { secret: string; version: number }>;
}>({ env: recordOf(str), versions: recordOf(fields({ secret: str, version: num })) });
export const workflowPageShape = shape<{ items: Array<{ id: string; name: string }>; nextCursor: string | null }>({
  items: arrayOf(fields({ id: str, name: str })),
  nextCursor: optional(orNull(str)),
});
export const newRunShape = shape<{ run: { id: string } }>({ run: fields({ id: str }) });
export const secretPageShape = <S>() =>
  shape<{ items: S[]; nextCursor: string | null }>({ items: arrayOf(secretFields), nextCursor: optional(orNull(str)) });
export const secretShape = <S>() => shape<{ secret: S }>({ secret: secretFields });
export const secretDetailShape = <S, V>() =>
  shape<{ secret: S; versions: V[] }>({
    secret: secretFields,
    versions: arrayOf(fields({ version: num, createdAt: str, createdBy: createdByField })),
  });
export const writeShape = <S, O>() =>
  shape<{ secret: S; operation?: O }>({ secret: secretFields, operation: optional(operationFields) });
export const operationShape = <O>() => operationFields as Shape<O>;
export const maybeOperationShape = <O>() => shape<{ operation?: O }>({ operation: optional(operationFields) });
export const bindingsShape = <B>() => shape<{ items: B[] }>({ items: arrayOf(boundFields) });
