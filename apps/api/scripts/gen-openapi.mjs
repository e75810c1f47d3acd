// Writes the OpenAPI document the API serves at /api/v1/openapi.json to apps/api/openapi.json, for
// the console's generated client types (openapi-typescript). Run `npm run gen:openapi` (it builds
// first); a test fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument } from '../dist/openapi/openapi-document.js';

const target = fileURLToPath(new URL('../openapi.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
