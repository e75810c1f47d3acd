import type { Principal } from '@nembl/core';
import { Router } from 'express';
import type { AuthzService } from '../authz/authz-service.js';
import type { VisibilityService } from '../bindings/visibility-service.js';
import { visiblePage } from '../http/name-pages.js';
import { nameCursor, parseLimit, toPage } from '../http/pagination.js';
import { principalOf, requestContext } from '../http/request-context.js';
import { idParams, parseInput } from '../http/validate.js';
import type { ConnectorRepository } from './connector-repository.js';
import type { ConnectorService } from './connector-service.js';
import { connectorJson, createConnectorSchema, patchConnectorSchema, type ConnectorRow } from './connector-types.js';

export const connectorRouter = (deps: {
  connectors: ConnectorService;
  repo: Pick<ConnectorRepository, 'list'>;
  authz: AuthzService;
  visibility: Pick<VisibilityService, 'readableSecrets'>;
}): Router => {
  const r = Router();
  const readableSecrets = (p: Principal, rows: ConnectorRow[]) => deps.visibility.readableSecrets(p, rows.map((c) => c.authSecret));
  const one = async (p: Principal, c: ConnectorRow) => ({ connector: connectorJson(c, await readableSecrets(p, [c])) });

  r.get('/connectors', async (req, res) => {
    const p = principalOf(res);
    const limit = parseLimit(req.query.limit);
    const after = nameCursor.decode(req.query.cursor);
    const mayRead = await deps.authz.authorizer(p, 'connectors:read');
    // Filter by policy before paging, reading ahead so pages stay full.
    const visible = await visiblePage(
      (after, n) => deps.repo.list(p.companyId, n, after),
      (c) => mayRead({ kind: 'connector', name: c.name }).decision === 'allow',
      limit,
      after,
    );
    const readable = await readableSecrets(p, visible);
    res.json(toPage(visible, limit, nameCursor, (c) => c, (c) => connectorJson(c, readable)));
  });

  r.post('/connectors', async (req, res) => {
    const p = principalOf(res);
    const body = parseInput(createConnectorSchema, req.body);
    const c = await deps.connectors.create(p, body, requestContext(req, res));
    res.status(201).json(await one(p, c));
  });

  r.get('/connectors/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    const c = await deps.connectors.get(p, id);
    await deps.authz.require({ principal: p, action: 'connectors:read', resource: { kind: 'connector', name: c.name } }, requestContext(req, res));
    res.json(await one(p, c));
  });

  r.patch('/connectors/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    const body = parseInput(patchConnectorSchema, req.body);
    const c = await deps.connectors.update(p, id, body, requestContext(req, res));
    res.json(await one(p, c));
  });

  r.delete('/connectors/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    await deps.connectors.remove(p, id, requestContext(req, res));
    res.status(204).end();
  });

  r.post('/connectors/:id/test', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    res.json(await deps.connectors.test(p, id, requestContext(req, res)));
  });

  r.post('/connectors/:id/credentials', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    res.json(await deps.connectors.credentials(p, id, requestContext(req, res)));
  });

  return r;
};
