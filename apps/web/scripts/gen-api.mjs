// `npm run gen:api -w @nembl/web`: regenerates src/api/schema.gen.ts from the API's OpenAPI document.
import { writeFileSync } from 'node:fs';
import { generateClientTypes, GENERATED, loadOpenApiDocument } from './openapi-source.mjs';

writeFileSync(GENERATED, await generateClientTypes(await loadOpenApiDocument()));
process.stdout.write(`wrote ${GENERATED}\n`);
