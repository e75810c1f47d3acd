// Policy engine benchmark (one core).
//   npx tsc -p packages/policy/tsconfig.build.json && node bench/policy-bench.mjs
// Prints decisions/s for 20 policies × 5 statements and the median ms to filter 10,000 secrets by
// `secrets:read`. Targets: ≥ 200,000 decisions/s and ≤ 20 ms.
import { performance } from 'node:perf_hooks';
import { compilePolicySet, createAuthorizer, evaluate, parsePolicyDocument } from '../packages/policy/dist/index.js';

// Deterministic inputs, so runs are comparable.
let state = 0x9e3779b9;
const random = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 0x100000000;
};
const pick = (xs) => xs[Math.floor(random() * xs.length)];
const some = (xs, max) => xs.filter(() => random() < max / xs.length).slice(0, max);

const ROLES = ['Developer', 'Viewer', 'Runner', 'Auditor', 'Ops'];
const GROUPS = ['backend', 'frontend', 'payments', 'platform', 'data'];
const ENVS = ['production', 'staging', 'dev'];
const TEAMS = ['payments', 'search', 'web', 'mobile', 'infra'];
const ACTIONS = [
  'secrets:read',
  'secrets:use',
  'secrets:read_value',
  'secrets:update',
  'secrets:delete',
  'connectors:read',
  'workflows:run',
  'workflows:*',
  'secrets:*',
];
const RESOURCES = [
  '*',
  'secret:*',
  'secret:prod-*',
  'secret:*-db',
  'secret:svc-?-*',
  'connector:*',
  'workflow:deploy-*',
];
const CONDITIONS = [
  () => ({ StringEquals: { 'resource.tag/environment': pick(ENVS) } }),
  () => ({ StringNotEquals: { 'resource.tag/team': [pick(TEAMS), pick(TEAMS)] } }),
  () => ({ StringLike: { 'resource.name': pick(['prod-*', '*-db', 'svc-*']) } }),
  () => ({ 'ForAnyValue:StringEquals': { 'principal.groups': some(GROUPS, 2).concat(pick(GROUPS)) } }),
  () => ({ Null: { 'resource.tag/owner': random() < 0.5 } }),
  () => ({ StringEquals: { 'resource.secretType': 'api_key' }, StringLike: { 'resource.tag/team': '*' } }),
];

// About one statement in four is a deny, and denies are narrow (a condition), as in real policies.
const statement = (i) => {
  const deny = random() < 0.25;
  const s = {
    sid: `s${i}`,
    effect: deny ? 'deny' : 'allow',
    actions: some(ACTIONS, 3).concat(pick(ACTIONS)),
    principals: random() < 0.2 ? '*' : { roles: some(ROLES, 2).concat(pick(ROLES)), groups: some(GROUPS, 1) },
    resources: [pick(RESOURCES), pick(RESOURCES)],
  };
  if (deny || random() < 0.5) s.conditions = pick(CONDITIONS)();
  if (random() < 0.1) s.notPrincipals = { groups: [pick(GROUPS)] };
  return s;
};

const policies = Array.from({ length: 20 }, (_, p) => {
  const document = { name: `policy-${p}`, statements: Array.from({ length: 5 }, (_, i) => statement(i)) };
  const parsed = parsePolicyDocument(document);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return {
    id: `00000000-0000-4000-8000-${String(p).padStart(12, '0')}`,
    name: document.name,
    document: parsed.document,
  };
});

const principal = (i) => ({
  type: random() < 0.8 ? 'user' : 'token',
  id: `principal-${i}`,
  roles: some(ROLES, 2),
  groups: some(GROUPS, 2),
});
const secret = (i) => {
  const tags = { environment: pick(ENVS), team: pick(TEAMS) };
  if (random() < 0.3) tags.owner = `user-${i % 50}`;
  const prefix = pick(['prod', 'staging', 'svc-a', 'svc-b', 'app']);
  return {
    kind: 'secret',
    name: `${prefix}-${i}-${pick(['db', 'api', 'token'])}`,
    secretType: pick(['api_key', 'password', 'custom']),
    tags,
  };
};

const compileStarted = performance.now();
const set = compilePolicySet(policies);
const compileMs = performance.now() - compileStarted;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 1. Decisions per second over varied requests.
const principals = Array.from({ length: 200 }, (_, i) => principal(i));
const secrets = Array.from({ length: 10_000 }, (_, i) => secret(i));
const requestActions = [
  'secrets:read',
  'secrets:use',
  'secrets:read_value',
  'secrets:update',
  'secrets:delete',
  'connectors:read',
  'workflows:run',
];
const requests = Array.from({ length: 20_000 }, (_, i) => ({
  principal: pick(principals),
  action: pick(requestActions),
  resource: secrets[i % secrets.length],
}));

// Wall-clock rates suffer when other processes share the machine; CPU time is what one core spent.
const tally = { allow: 0, deny: 0 };
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const decisionRun = (decide = (r) => evaluate(set, r)) => {
  const started = performance.now();
  const cpuStarted = cpuMs();
  let n = 0;
  while (performance.now() - started < 1000) {
    for (const r of requests) tally[decide(r).decision]++;
    n += requests.length;
  }
  return { wall: n / ((performance.now() - started) / 1000), cpu: n / ((cpuMs() - cpuStarted) / 1000) };
};
decisionRun(); // warm-up
const runs = [decisionRun(), decisionRun(), decisionRun()];
const rates = runs.map((r) => r.wall);
const cpuRates = runs.map((r) => r.cpu);
// The floor: the same loop over the same requests with a decision that only reads the request
// (principal, action, one resource tag) and builds the result object, measured in the same run.
const floorTally = { ...tally };
const trivial = (r) => ({
  decision: r.principal.roles?.length > 9 && r.action === r.resource.tags?.environment ? 'allow' : 'deny',
});
decisionRun(trivial);
const floorRuns = [decisionRun(trivial), decisionRun(trivial), decisionRun(trivial)];
Object.assign(tally, floorTally);

// 2. Filtering 10,000 secrets by secrets:read for one principal.
const developer = { type: 'user', id: 'dev-1', roles: ['Developer', 'Ops'], groups: ['payments', 'backend'] };
const filterWithEvaluate = () =>
  secrets.filter(
    (resource) => evaluate(set, { principal: developer, action: 'secrets:read', resource }).decision === 'allow',
  );
const filterWithAuthorizer = () => {
  const authorize = createAuthorizer(set, developer, 'secrets:read');
  return secrets.filter((resource) => authorize(resource).decision === 'allow');
};
const time = (fn, times) => {
  for (let i = 0; i < 5; i++) fn(); // warm-up
  const ms = [];
  const cpu = [];
  let kept = 0;
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    const cpuStarted = cpuMs();
    kept = fn().length;
    ms.push(performance.now() - started);
    cpu.push(cpuMs() - cpuStarted);
  }
  return { ms: median(ms), cpu: median(cpu), kept };
};
const viaEvaluate = time(filterWithEvaluate, 21);
const viaAuthorizer = time(filterWithAuthorizer, 21);

const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(
  `policy bench — node ${process.version}, 20 policies × 5 statements (${set.statementCount} statements), compiled in ${compileMs.toFixed(2)} ms`,
);
const share = (tally.allow / (tally.allow + tally.deny)) * 100;
console.log(
  `decisions/s, evaluate, median of 3 × 1 s: ${fmt(median(rates))} wall, ${fmt(median(cpuRates))} per CPU-second  [wall runs ${rates.map(fmt).join(', ')}; ${share.toFixed(0)}% allowed]`,
);
const floorRate = median(floorRuns.map((r) => r.cpu));
console.log(
  `floor: the same loop with a decision that only reads the request: ${fmt(floorRate)} per CPU-second; evaluate ÷ floor = ${(median(cpuRates) / floorRate).toFixed(3)} (the floor is ${(floorRate / median(cpuRates)).toFixed(1)}× faster)`,
);
for (const [label, r] of [
  ['evaluate per secret', viaEvaluate],
  ['createAuthorizer   ', viaAuthorizer],
]) {
  console.log(
    `filter 10,000 secrets by secrets:read, ${label}: ${r.ms.toFixed(2)} ms wall, ${r.cpu.toFixed(2)} ms CPU, median of 21 (${r.kept} allowed)`,
  );
}
