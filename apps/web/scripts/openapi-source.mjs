// The OpenAPI document the API serves, loaded from its TypeScript source (apps/api/src/openapi)
// with Vite's module runner, and the console's client types generated from it.
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { runnerImport } from 'vite';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
export const GENERATED = here('../src/api/schema.gen.ts');

export const loadOpenApiDocument = async () => {
  const { module } = await runnerImport(here('../../api/src/openapi/openapi-document.ts'), {
    configFile: false,
    logLevel: 'silent',
    resolve: {
      alias: [
        { find: '@nembl/core/schemas', replacement: here('../../../packages/core/src/secrets/secret-fns.ts') },
        { find: '@nembl/core', replacement: here('../../../packages/core/src/index.ts') },
        { find: '@nembl/policy', replacement: here('../../../packages/policy/src/index.ts') },
      ],
    },
  });
  return module.buildOpenApiDocument();
};

export const generateClientTypes = async (doc) =>
  '// Generated from the API\'s OpenAPI document by `npm run gen:api -w @nembl/web`. Do not edit.\n' +
  '// A test (apps/web/test/schema-fresh.test.ts) fails when this file is stale.\n' +
  astToString(await openapiTS(doc, { alphabetize: true }));
