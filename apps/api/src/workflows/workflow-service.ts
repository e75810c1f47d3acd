import { allowedEvent, NotFoundError, type AuditService, type Principal, type RequestContext } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuthzService } from '../authz/authz-service.js';
import type { BindingRepository } from '../bindings/binding-repository.js';
import type { SecretReferenceService } from '../bindings/secret-reference-service.js';
import type { WorkflowRepository } from './workflow-repository.js';
import { secretReferences, type WorkflowInput, type WorkflowRow } from './workflow-types.js';

export const workflowResource = (w: Pick<WorkflowRow, 'name'>) => ({ kind: 'workflow' as const, name: w.name });

export const workflowServiceFactory = (deps: {
  dataSource: DataSource;
  workflows: WorkflowRepository;
  bindings: Pick<BindingRepository, 'replaceFor'>;
  references: SecretReferenceService;
  authz: AuthzService;
  audit: Pick<AuditService, 'record'>;
  now: () => Date;
}) => {
  const { dataSource, workflows, authz } = deps;

  const bind = (em: EntityManager, w: WorkflowRow) =>
    deps.bindings.replaceFor(
      em,
      w.companyId,
      w.id,
      secretReferences(w).map((r) => ({ secretName: r.name, kind: 'workflow_phase' as const, resourceId: w.id, resourceName: w.name, detail: `phase ${r.phase}: ${r.env}` })),
    );

  const audited = (em: EntityManager, p: Principal, action: string, w: WorkflowRow, ctx: RequestContext) =>
    deps.audit.record(allowedEvent(p, action, { kind: 'workflow', name: w.name, id: w.id }, ctx, deps.now()), em);

  const get = async (p: Principal, id: string): Promise<WorkflowRow> => {
    const w = await workflows.find(p.companyId, id);
    if (!w) throw new NotFoundError('No such workflow');
    return w;
  };

  return {
    get,

    create: async (p: Principal, input: WorkflowInput, ctx: RequestContext): Promise<WorkflowRow> => {
      await authz.require({ principal: p, action: 'workflows:create', resource: workflowResource(input) }, ctx);
      await deps.references.assertUsable(p, secretReferences(input), ctx);
      return dataSource.transaction(async (em) => {
        const w = await workflows.insert(em, p.companyId, input);
        await bind(em, w);
        await audited(em, p, 'workflows:create', w, ctx);
        return w;
      });
    },

    replace: async (p: Principal, id: string, input: WorkflowInput, ctx: RequestContext): Promise<WorkflowRow> => {
      const current = await get(p, id);
      await authz.require({ principal: p, action: 'workflows:update', resource: workflowResource(current) }, ctx);
      await deps.references.assertUsable(p, secretReferences(input), ctx);
      return dataSource.transaction(async (em) => {
        const w = await workflows.replace(em, p.companyId, id, input);
        if (!w) throw new NotFoundError('No such workflow');
        await bind(em, w);
        await audited(em, p, 'workflows:update', w, ctx);
        return w;
      });
    },

    remove: async (p: Principal, id: string, ctx: RequestContext): Promise<void> => {
      const current = await get(p, id);
      await authz.require({ principal: p, action: 'workflows:delete', resource: workflowResource(current) }, ctx);
      await dataSource.transaction(async (em) => {
        await deps.bindings.replaceFor(em, p.companyId, id, []);
        await workflows.remove(em, p.companyId, id);
        await audited(em, p, 'workflows:delete', current, ctx);
      });
    },
  };
};

export type WorkflowService = ReturnType<typeof workflowServiceFactory>;
