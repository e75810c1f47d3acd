import { Router } from 'express';
import { buildOpenApiDocument } from './openapi-document.js';

/**
 * `GET /openapi.json` (mounted under `/api/v1`, before authentication: the description is public).
 * The document is built and serialized once, when the router is created at startup.
 */
export const openapiRouter = (): Router => {
  const r = Router();
  const body = JSON.stringify(buildOpenApiDocument());
  r.get('/openapi.json', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('application/json').send(body);
  });
  return r;
};
