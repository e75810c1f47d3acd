// The console's client types, generated from the API's OpenAPI document as committed in
// apps/api/openapi.json (an API test keeps that file equal to the document the API serves).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
export const DOCUMENT = here('../../api/openapi.json');
export const GENERATED = here('../src/api/schema.gen.ts');

export const loadOpenApiDocument = async () => JSON.parse(readFileSync(DOCUMENT, 'utf8'));

export const generateClientTypes = async (doc) =>
  "// Generated from apps/api/openapi.json by `npm run gen:api -w @nembl/web`. Do not edit.\n" +
  '// A test (apps/web/test/schema-fresh.test.ts) fails when this file is stale.\n' +
  astToString(await openapiTS(doc, { alphabetize: true }));
