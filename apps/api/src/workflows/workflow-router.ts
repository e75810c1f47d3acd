import type { Principal } from '@nembl/core';
import { Router } from 'express';
import type { AuthzService } from '../authz/authz-service.js';
import type { VisibilityService } from '../bindings/visibility-service.js';
import { visiblePage } from '../http/name-pages.js';
import { nameCursor, parseLimit, toPage } from '../http/pagination.js';
import { principalOf, requestContext } from '../http/request-context.js';
import { idParams, parseInput } from '../http/validate.js';
import { runJson, type RunService } from '../runs/run-service.js';
import type { WorkflowRepository } from './workflow-repository.js';
import { workflowResource, type WorkflowService } from './workflow-service.js';
import { secretReferences, workflowJson, workflowSchema, type WorkflowRow } from './workflow-types.js';

export const workflowRouter = (deps: {
  workflows: WorkflowService;
  repo: Pick<WorkflowRepository, 'list'>;
  runs: RunService;
  authz: AuthzService;
  visibility: Pick<VisibilityService, 'readableSecrets'>;
}): Router => {
  const r = Router();
  const readableSecrets = (p: Principal, rows: WorkflowRow[]) =>
    deps.visibility.readableSecrets(p, rows.flatMap((w) => secretReferences(w).map((ref) => ref.name)));
  const one = async (p: Principal, w: WorkflowRow) => ({ workflow: workflowJson(w, await readableSecrets(p, [w])) });

  r.get('/workflows', async (req, res) => {
    const p = principalOf(res);
    const limit = parseLimit(req.query.limit);
    const after = nameCursor.decode(req.query.cursor);
    const mayRead = await deps.authz.authorizer(p, 'workflows:read');
    const visible = await visiblePage(
      (after, n) => deps.repo.list(p.companyId, n, after),
      (w) => mayRead(workflowResource(w)).decision === 'allow',
      limit,
      after,
    );
    const readable = await readableSecrets(p, visible);
    res.json(toPage(visible, limit, nameCursor, (w) => w, (w) => workflowJson(w, readable)));
  });

  r.post('/workflows', async (req, res) => {
    const p = principalOf(res);
    const body = parseInput(workflowSchema, req.body);
    res.status(201).json(await one(p, await deps.workflows.create(p, body, requestContext(req, res))));
  });

  r.get('/workflows/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    const w = await deps.workflows.get(p, id);
    await deps.authz.require({ principal: p, action: 'workflows:read', resource: workflowResource(w) }, requestContext(req, res));
    res.json(await one(p, w));
  });

  r.put('/workflows/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    const body = parseInput(workflowSchema, req.body);
    res.json(await one(p, await deps.workflows.replace(p, id, body, requestContext(req, res))));
  });

  r.delete('/workflows/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    await deps.workflows.remove(p, id, requestContext(req, res));
    res.status(204).end();
  });

  r.post('/workflows/:id/runs', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    const run = await deps.runs.start(p, id, requestContext(req, res));
    res.status(201).json({ run: runJson(run) });
  });

  return r;
};
