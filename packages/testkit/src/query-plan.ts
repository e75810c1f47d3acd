/** A node of a Postgres `EXPLAIN (FORMAT JSON)` plan: the fields plan tests look at. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const walk = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(walk)];

/** Every node of the plan in an `EXPLAIN (FORMAT JSON) …` answer (its rows), the top one first. */
export const explainedNodes = (rows: unknown): PlanNode[] => {
  const [row] = rows as Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>;
  return walk(row!['QUERY PLAN'][0]!.Plan);
};
