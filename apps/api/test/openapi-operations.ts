/**
 * The operations of a served OpenAPI 3 document, read with standard shapes only (`paths`,
 * `parameters`, `requestBody`, `security`, `$ref`), so the fuzzer and the tenant matrix keep
 * working however the document is produced.
 */
export type Json = Record<string, any>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Json;
}

export interface Operation {
  method: string;
  /** The template as documented, e.g. `/users/{id}`. */
  path: string;
  params: Parameter[];
  body: Json | undefined;
  /** Which credentials the operation accepts: `anonymous`, `session`, `bearer`. */
  auth: Set<'anonymous' | 'session' | 'bearer'>;
}

const unescapePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** Follows `$ref`s (local JSON pointers) until a concrete object. */
export const deref = (doc: Json, node: Json | undefined): Json | undefined => {
  let n = node;
  for (let i = 0; i < 32 && typeof n?.$ref === 'string'; i++) {
    let at: unknown = doc;
    for (const part of String(n.$ref).replace(/^#\//, '').split('/').map(unescapePointer))
      at = (at as Json | undefined)?.[part];
    n = at as Json | undefined;
  }
  return n;
};

export const operationsOf = (doc: Json): Operation[] =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m] && item[m]['x-status'] !== 'planned').map((method) => {
      const op = item[method] as Json;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: Json) => {
        const d = deref(doc, p)!;
        return { name: d.name, in: d.in, required: d.required === true, schema: d.schema ?? {} } as Parameter;
      });
      const requestBody = deref(doc, op.requestBody);
      const body = requestBody?.content?.['application/json']?.schema as Json | undefined;
      const security = (op.security ?? doc.security ?? []) as Json[];
      const auth = new Set<'anonymous' | 'session' | 'bearer'>();
      if (security.length === 0) auth.add('anonymous');
      for (const requirement of security) {
        const schemes = Object.keys(requirement);
        if (schemes.length === 0) auth.add('anonymous');
        for (const scheme of schemes) {
          const s = deref(doc, doc.components?.securitySchemes?.[scheme]);
          if (s?.in === 'cookie') auth.add('session');
          else if (s?.type === 'http' && /bearer/i.test(String(s.scheme))) auth.add('bearer');
        }
      }
      return { method: method.toUpperCase(), path, params, body, auth };
    }),
  );

/** `/users/{id}` with `{ id: '…' }` → `/users/…` (values percent-encoded unless `raw`). */
export const fillPath = (template: string, values: Record<string, string>, raw = false): string =>
  template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const v = values[name] ?? '';
    return raw ? v : encodeURIComponent(v);
  });
