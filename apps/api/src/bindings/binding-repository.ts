import type { DataSource, EntityManager } from 'typeorm';
import type { BoundResource } from '../secrets/secret-types.js';

export interface BindingInput {
  secretName: string;
  kind: BoundResource['kind'];
  resourceId: string;
  resourceName: string;
  detail: string;
}

/** The resources that reference each secret, kept in step with connectors and workflows. */
export const bindingRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => ({
  /** Replaces every binding a resource holds, in the caller's transaction. */
  replaceFor: async (em: EntityManager, companyId: string, resourceId: string, bindings: BindingInput[]) => {
    await em.query(`DELETE FROM secret_bindings WHERE company_id = $1 AND resource_id = $2`, [companyId, resourceId]);
    if (bindings.length === 0) return;
    await em.query(
      `INSERT INTO secret_bindings (company_id, secret_name, resource_kind, resource_id, resource_name, detail)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[]) ON CONFLICT DO NOTHING`,
      [
        companyId,
        bindings.map((b) => b.secretName),
        bindings.map((b) => b.kind),
        bindings.map((b) => b.resourceId),
        bindings.map((b) => b.resourceName),
        bindings.map((b) => b.detail),
      ],
    );
  },

  /** Bindings per secret id, for the secrets given (joined by name within the company). */
  forSecrets: async (companyId: string, secretIds: string[]): Promise<Map<string, BoundResource[]>> => {
    const map = new Map<string, BoundResource[]>();
    if (secretIds.length === 0) return map;
    const rows: Array<{ secret_id: string; resource_kind: BoundResource['kind']; resource_id: string; resource_name: string; detail: string }> =
      await dataSource.query(
        `SELECT s.id AS secret_id, b.resource_kind, b.resource_id, b.resource_name, b.detail
           FROM secrets s JOIN secret_bindings b ON b.company_id = s.company_id AND b.secret_name = s.name
          WHERE s.company_id = $1 AND s.id = ANY($2::uuid[])
          ORDER BY b.resource_kind, b.resource_name, b.detail`,
        [companyId, secretIds],
      );
    for (const r of rows) {
      const list = map.get(r.secret_id) ?? [];
      list.push({ kind: r.resource_kind, id: r.resource_id, name: r.resource_name, detail: r.detail });
      map.set(r.secret_id, list);
    }
    return map;
  },
});

export type BindingRepository = ReturnType<typeof bindingRepositoryFactory>;
