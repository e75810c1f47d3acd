// Worst-case policy evaluation inside the per-company limits (issue #9, item 2).
//   npx tsc -p packages/policy/tsconfig.build.json && node bench/policy-worst-case.mjs
// Builds, for each attack shape, the costliest policy set that POLICY_SET_LIMITS still accepts and
// times (1) one decision and (2) filtering a list of 10,000 secrets by `secrets:read` the way the
// API does (createAuthorizer, one decision per secret). Each figure is printed next to a floor
// measured in the same run, on the same principal and secrets, with the starter policies only,
// and the ratio. Targets: a decision < 1 ms, the list < 50 ms.
// (3) is what one `GET /secrets` request over those 10,000 secrets costs in the API, which decides
// rows only within its evaluation budget (LIST_BUDGET_MS, apps/api/src/authz/evaluation-budget.ts)
// and then answers with the page so far and a cursor: the time one request takes and how many
// rows it decided (needs the API built: `npx turbo run build`).
import { performance } from 'node:perf_hooks';
import {
  addUsage,
  compilePolicySet,
  createAuthorizer,
  documentUsage,
  evaluate,
  exceededLimits,
  NO_USAGE,
  parsePolicyDocument,
  MULTI_VALUED_GLOB_WEIGHT,
  POLICY_SET_LIMITS,
  STARTER_POLICIES,
} from '../packages/policy/dist/index.js';
import { LIST_BUDGET_MS, scanWithinBudget } from '../apps/api/dist/authz/evaluation-budget.js';

const L = POLICY_SET_LIMITS;
const stored = (documents) =>
  documents.map((document, i) => {
    const parsed = parsePolicyDocument(document);
    if (!parsed.ok) throw new Error(`${document.name}: ${JSON.stringify(parsed.errors[0])}`);
    return {
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: document.name,
      document: parsed.document,
    };
  });

/**
 * The worst set for one condition key: every statement applies to everyone and every action, and
 * has one StringLike condition on `key` whose globs never match (so every glob is tried against
 * every value), each glob starting with `*` (so the automaton never dies early) and containing a
 * `?` (so no prefix/suffix shortcut applies). Statements, condition values and glob characters
 * are all used up to their limits; half the statements are denies, half allows, so both lists are
 * walked in full.
 */
const worstSet = (key) => {
  const weight = key.startsWith('principal.') ? MULTI_VALUED_GLOB_WEIGHT : 1;
  const statements = Math.min(L.statements, Math.floor(L.conditionValues / weight));
  const valuesPer = Math.max(1, Math.floor(L.conditionValues / weight / statements));
  const globLength = Math.floor(L.globCharacters / weight / (statements * valuesPer));
  const perPolicy = Math.ceil(statements / L.policies);
  const documents = [];
  for (let p = 0; p * perPolicy < statements; p++) {
    const sts = [];
    for (let s = p * perPolicy; s < Math.min(statements, (p + 1) * perPolicy); s++) {
      const globs = Array.from(
        { length: valuesPer },
        (_, v) => `*${'a'.repeat(Math.max(1, globLength - 3))}?${String.fromCharCode(98 + ((s + v) % 24))}`,
      );
      sts.push({
        effect: s % 2 ? 'allow' : 'deny',
        actions: ['*'],
        principals: '*',
        conditions: { StringLike: { [key]: globs } },
      });
    }
    documents.push({ name: `worst-${p}`, statements: sts });
  }
  const usage = documents.map(documentUsage).reduce(addUsage, NO_USAGE);
  const over = exceededLimits(usage);
  if (over.length > 0) throw new Error(`the bench's set breaks the limits: ${JSON.stringify(over)}`);
  return { documents, usage };
};

// The longest values each key can carry through the API: 50 roles/groups of 64 characters, secret
// names of 128, 50 tags of 256 (all 'a's followed by a digit, which no glob above matches).
const longName = (i) => `${'a'.repeat(120)}-${String(i).padStart(7, '0')}`;
const principal = {
  type: 'user',
  id: 'bench-user',
  roles: Array.from({ length: 50 }, (_, i) => `${'a'.repeat(62)}${String(i).padStart(2, '0')}`),
  groups: Array.from({ length: 50 }, (_, i) => `${'a'.repeat(62)}${String(i).padStart(2, '0')}`),
};
const secretAt = (i) => ({
  kind: 'secret',
  name: longName(i),
  secretType: 'api_key',
  tags: Object.fromEntries(
    Array.from({ length: 50 }, (_, t) => [`t${t}`, `${'a'.repeat(248)}${String(i).padStart(8, '0')}`]),
  ),
});
const secrets = Array.from({ length: 10_000 }, (_, i) => secretAt(i));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timeEach = (fn, runs) => {
  for (let i = 0; i < Math.min(5, Math.ceil(runs / 3)); i++) fn();
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    fn();
    ms.push(performance.now() - started);
  }
  return median(ms);
};

const floorSet = compilePolicySet(stored(STARTER_POLICIES));
const decisionOn = (set) => () => evaluate(set, { principal, action: 'secrets:read', resource: secrets[0] });
const listOn = (set) => () => {
  const mayRead = createAuthorizer(set, principal, 'secrets:read');
  let kept = 0;
  for (const s of secrets) if (mayRead(s).decision === 'allow') kept++;
  return kept;
};

const fmt = (ms) => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
const line = (label, ms, floor, target) =>
  console.log(
    `${label.padEnd(46)} ${fmt(ms).padStart(10)}   floor ${fmt(floor).padStart(10)}   ratio ${(ms / floor).toFixed(0).padStart(5)}×   target < ${target} ms ${ms < target ? 'met' : 'MISSED'}`,
  );

console.log(
  `policy worst case — node ${process.version}; limits: ${L.policies} policies, ${L.statements} statements, ${L.conditionValues} condition values, ${L.globCharacters} glob characters`,
);
console.log('floor: the starter policies, same principal and secrets (no statement applies: implicit deny)');
const floorDecision = timeEach(decisionOn(floorSet), 2001);
const floorList = timeEach(listOn(floorSet), 21);
for (const key of ['principal.groups', 'resource.tag/t49', 'resource.name']) {
  const compileStarted = performance.now();
  const { documents, usage } = worstSet(key);
  const set = compilePolicySet(stored(documents));
  const compileMs = performance.now() - compileStarted;
  console.log(
    `\nStringLike on ${key}: ${usage.policies} policies, ${usage.statements} statements, ${usage.conditionValues} values, ${usage.globCharacters} glob characters; parsed and compiled in ${compileMs.toFixed(1)} ms`,
  );
  if (evaluate(set, { principal, action: 'secrets:read', resource: secrets[0] }).decision !== 'deny')
    throw new Error('expected deny');
  line('  one decision (secrets:read)', timeEach(decisionOn(set), 201), floorDecision, 1);
  line('  10,000 secrets filtered by secrets:read', timeEach(listOn(set), 3), floorList, 50);
  const mayRead = createAuthorizer(set, principal, 'secrets:read');
  const requestStarted = performance.now();
  const scan = await scanWithinBudget(secrets, (x) => mayRead(x).decision === 'allow', {
    max: 201,
    deadline: requestStarted + LIST_BUDGET_MS,
  });
  const requestMs = performance.now() - requestStarted;
  line(`  one list request (budget ${LIST_BUDGET_MS} ms): ${scan.examined} rows decided`, requestMs, floorList, 50);
}
