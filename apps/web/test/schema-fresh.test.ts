// @vitest-environment node
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with `npm run gen:api`, without type declarations.
import { generateClientTypes, GENERATED, loadOpenApiDocument } from '../scripts/openapi-source.mjs';

describe('the console client types', () => {
  it('are generated from the OpenAPI document the API serves (run `npm run gen:api -w @nembl/web` when this fails)', async () => {
    const fresh = (await generateClientTypes(await loadOpenApiDocument())) as string;
    expect(readFileSync(GENERATED as string, 'utf8') === fresh, 'apps/web/src/api/schema.gen.ts is stale').toBe(true);
  });
});
