import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

// Pages of a larger company, walked by cursor at limits on and off the list statement's literal
// batch sizes (secret-repository `listPage`), with and without a tag filter: every secret exactly
// once, in name order, with its own owners and bindings, and nothing of the other company that
// uses the same names.

let t: TestApi;
let a: ApiClient;
let b: ApiClient;
let companyA: string;
let companyB: string;
const N = 130;
const names = Array.from({ length: N }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
const production = (i: number) => i % 3 === 0;
const owned = (i: number) => i % 4 !== 0;
const bound = (i: number) => i % 5 === 0;

beforeAll(async () => {
  t = await startTestApi();
  a = new ApiClient(t.url);
  b = new ApiClient(t.url);
  const sa = await a.signup({ companyName: 'A' });
  const sb = await b.signup({ companyName: 'B' });
  companyA = sa.company.id;
  companyB = sb.company.id;
  const seed = async (companyId: string, userId: string, tagOf: (i: number) => Record<string, string>) => {
    await t.dataSource.query(
      `INSERT INTO secrets (company_id, name, type, description, tags, status, version, created_by_type, created_by_label, last_rotated_at)
       SELECT $1, n, 'api_key', 'seeded ' || n, t, 'active', 1, 'system', 'seed', now()
         FROM unnest($2::text[], $3::jsonb[]) AS x(n, t)`,
      [companyId, names, names.map((_, i) => JSON.stringify(tagOf(i)))],
    );
    await t.dataSource.query(
      `INSERT INTO secret_owners (secret_id, user_id)
       SELECT id, $2 FROM secrets WHERE company_id = $1 AND name = ANY($3::text[])`,
      [companyId, userId, names.filter((_, i) => owned(i))],
    );
    await t.dataSource.query(
      `INSERT INTO secret_bindings (company_id, secret_name, resource_kind, resource_id, resource_name, detail)
       SELECT $1, n, 'connector', gen_random_uuid(), 'conn-' || $2, 'ENV' FROM unnest($3::text[]) AS n`,
      [companyId, companyId.slice(0, 8), names.filter((_, i) => bound(i))],
    );
  };
  await seed(companyA, sa.user.id, (i): Record<string, string> =>
    production(i) ? { environment: 'production', i: String(i) } : { environment: 'staging' },
  );
  // The other company: the same names, every one tagged production, owned and bound.
  await seed(companyB, sb.user.id, () => ({ environment: 'production' }));
});
afterAll(async () => t?.close());

type Item = {
  name: string;
  tags: Record<string, string>;
  owners: Array<{ id: string }>;
  boundResources: Array<{ name?: string }>;
};

const walk = async (query: string, limit: number): Promise<Item[]> => {
  const items: Item[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const res = await a.get(`/api/v1/secrets?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    const page = res.body.items as Item[];
    cursor = res.body.nextCursor as string | null;
    // Every page but the last is full.
    if (cursor !== null) expect(page).toHaveLength(limit);
    else expect(page.length).toBeLessThanOrEqual(limit);
    items.push(...page);
    if (cursor === null) return items;
  }
  throw new Error('the cursor never ended');
};

describe('list pages of a company with many secrets', () => {
  it.each([1, 7, 10, 11, 26, 50, 51, 99, 200])('walks every secret exactly once at limit %i', async (limit) => {
    const items = await walk('', limit);
    expect(items.map((s) => s.name)).toEqual(names);
    items.forEach((s, i) => {
      expect(s.owners).toHaveLength(owned(i) ? 1 : 0);
      expect(s.boundResources).toEqual(
        bound(i) ? [expect.objectContaining({ name: `conn-${companyA.slice(0, 8)}` })] : [],
      );
    });
  });

  it.each([1, 7, 26, 50, 200])('keeps pages exact across a tag filter at limit %i', async (limit) => {
    const items = await walk('&tag=environment:production', limit);
    expect(items.map((s) => s.name)).toEqual(names.filter((_, i) => production(i)));
    for (const s of items) expect(s.tags.environment).toBe('production');
  });

  it('shows no other company’s rows, owners or bindings', async () => {
    const items = await walk('&tag=environment:production', 50);
    expect(items.some((s) => s.boundResources.some((r) => r.name === `conn-${companyB.slice(0, 8)}`))).toBe(false);
    const other = await walk('', 50).then((all) => all.flatMap((s) => s.owners.map((o) => o.id)));
    expect(new Set(other).size).toBe(1);
  });
});
