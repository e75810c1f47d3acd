import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { buildOpenApiDocument } from '../src/openapi/openapi-document.js';

type Json = Record<string, any>;

const DOC_ID = 'https://nembl.invalid/openapi.json';
const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Checks an API response against the OpenAPI document the server publishes (JSON Schema 2020-12,
 * with ajv): the status must be documented for the operation (error statuses fall back to
 * `default`), and a JSON body must match the schema documented for it. The test harness runs it
 * on every response, so every API test is also a test of the document.
 */
export const openapiResponseValidator = () => {
  const doc = buildOpenApiDocument() as Json;
  const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true, validateFormats: true }));
  ajv.addSchema(doc, DOC_ID);
  const compiled = new Map<string, ReturnType<Ajv2020['compile']>>();

  // Literal segments before parameters, so `/operations` never matches `/operations/{id}`.
  const templates = Object.keys(doc.paths as Json)
    .map((path) => ({
      path,
      regex: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      params: (path.match(/\{/g) ?? []).length,
    }))
    .sort((a, b) => a.params - b.params);

  /** Returns what is wrong with the response, or undefined. */
  return (
    method: string,
    url: string,
    status: number,
    contentType: string | null,
    body: unknown,
  ): string | undefined => {
    const { pathname } = new URL(url);
    if (!pathname.startsWith('/api/v1/')) return undefined;
    const path = pathname.slice('/api/v1'.length);
    const m = method.toLowerCase();
    const template = templates.find((t) => t.regex.test(path) && doc.paths[t.path][m]);
    if (!template) return undefined;
    const op = doc.paths[template.path][m] as Json;
    const at = `${method} ${template.path} → ${status}`;
    let pointer = `#/paths/${escape(template.path)}/${m}/responses/${status}`;
    let response = op.responses[String(status)] as Json | undefined;
    if (!response) {
      if (status < 400) return `${at}: status not documented`;
      pointer = `#/paths/${escape(template.path)}/${m}/responses/default`;
      response = op.responses.default as Json;
    }
    if (typeof response.$ref === 'string') {
      pointer = response.$ref;
      response = doc.components.responses[response.$ref.split('/').pop()!] as Json;
    }
    const type = contentType?.split(';')[0]?.trim();
    if (!response.content)
      return body === undefined || body === '' ? undefined : `${at}: a body where none is documented`;
    if (!type || !response.content[type])
      return `${at}: content type ${type} not documented (${Object.keys(response.content).join(', ')})`;
    if (type !== 'application/json' && !type.endsWith('+json')) return undefined;
    const schemaPointer = `${pointer}/content/${escape(type)}/schema`;
    let validate = compiled.get(schemaPointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOC_ID}${schemaPointer}` });
      compiled.set(schemaPointer, validate);
    }
    if (validate(body)) return undefined;
    return `${at}: ${ajv.errorsText(validate.errors, { separator: '; ' })}`;
  };
};
