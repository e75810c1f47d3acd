// The console's budgets (issue #10): JavaScript per route from the production build, and the
// secrets list with 10,000 secrets in Chromium: first rows after navigation, search updates after
// the response, and long tasks while scrolling (Chromium performance trace).
//
//   npx turbo run build --output-logs=errors-only && node bench/console.mjs
//
// The first BENCH_VIA_API secrets are created through the API (the real write path, with values in
// the store); the rest are metadata rows copied from them in one SQL statement, because the list
// reads only metadata and 10,000 API creates take minutes on a shared 2-core machine.
//
// Knobs (environment): BENCH_SECRETS (10000), BENCH_VIA_API (200), BENCH_RUNS (5), BENCH_CONCURRENCY (8),
// BENCH_PG_URL, REDIS_URL (as the other benches), BENCH_BUDGET_MS (480000, capped there).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { checkStop, finish, log, scope, startBench, wallTimeLine } from './lib/run.mjs';
import { fixed as f, stats } from './lib/stats.mjs';
import { expectStatus, mintToken, requireBuilt, ROOT, signUp, startSystem } from './lib/system.mjs';
import { fetchJson } from './lib/http.mjs';

const SECRETS = Number(process.env.BENCH_SECRETS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const VIA_API = Math.min(SECRETS, Number(process.env.BENCH_VIA_API ?? 200));
const DIST = join(ROOT, 'apps/web/dist');
const BUDGET_SIGN_IN_KB = 200;
const BUDGET_FIRST_ROWS_MS = 300;
const BUDGET_LONG_TASK_MS = 50;

const request = fetchJson;

// ---------------------------------------------------------------------------------------------
// Bundle: the entry chunk and its static imports are what /sign-in loads; each lazy route adds its
// own chunk and the static imports the entry does not already have.

const bundleReport = () => {
  const manifest = JSON.parse(readFileSync(join(DIST, '.vite/manifest.json'), 'utf8'));
  const gz = (file) => gzipSync(readFileSync(join(DIST, file)), { level: 9 }).length;
  const closure = (key, seen = new Set()) => {
    if (seen.has(key)) return seen;
    seen.add(key);
    for (const dep of manifest[key].imports ?? []) closure(dep, seen);
    return seen;
  };
  const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
  const entry = closure(entryKey);
  const size = (keys) => [...keys].reduce((acc, k) => ({ raw: acc.raw + statSync(join(DIST, manifest[k].file)).size, gz: acc.gz + gz(manifest[k].file) }), { raw: 0, gz: 0 });
  const rows = [{ route: '/sign-in (entry + static imports)', ...size(entry) }];
  for (const dyn of manifest[entryKey].dynamicImports ?? []) {
    const own = [...closure(dyn)].filter((k) => !entry.has(k));
    rows.push({ route: manifest[dyn].name ?? dyn, ...size(own) });
  }
  const css = Object.values(manifest).flatMap((m) => m.css ?? []);
  const cssGz = [...new Set(css)].reduce((n, file) => n + gz(file), 0);
  return { rows, cssGz };
};

// ---------------------------------------------------------------------------------------------
// The stack and its data

const seed = async (base, auth) => {
  let next = 0;
  let done = 0;
  const started = Date.now();
  const worker = async () => {
    for (;;) {
      checkStop();
      const i = next++;
      if (i >= VIA_API) return;
      const name = `svc-${String(i).padStart(5, '0')}-api-key`;
      const res = await request(base, 'POST', '/api/v1/secrets', {
        headers: { authorization: auth },
        body: {
          name,
          value: `bench-value-${i}`,
          type: ['api_key', 'password', 'oauth_token', 'certificate', 'custom'][i % 5],
          description: `Secret ${i} for the console bench`,
          tags: { environment: ['production', 'staging', 'development'][i % 3], service: `svc-${i % 40}` },
          ...(i % 7 === 0 ? { reminder: { intervalDays: 30 } } : {}),
        },
      });
      expectStatus(`create ${name}`, res, 201, 202);
      done += 1;
      if (done % 100 === 0) log(`created ${done}/${VIA_API} through the API (${Math.round(done / ((Date.now() - started) / 1000))}/s)`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
};

/** Metadata rows VIA_API..SECRETS-1, shaped like the API-created ones (types, tags, reminders). */
const copyRows = async (databaseUrl) => {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query(
      `INSERT INTO secrets (id, company_id, name, type, description, tags, status, version, next_seq, created_at, updated_at,
                            created_by_type, created_by_id, created_by_label, last_rotated_at, reminder_interval_days, reminder_next_due_at)
       SELECT gen_random_uuid(), s.company_id, 'svc-' || lpad(g::text, 5, '0') || '-api-key',
              (ARRAY['api_key','password','oauth_token','certificate','custom'])[g % 5 + 1], 'Secret ' || g || ' for the console bench',
              jsonb_build_object('environment', (ARRAY['production','staging','development'])[g % 3 + 1], 'service', 'svc-' || (g % 40)),
              'active', 1, s.next_seq, now() - (g || ' minutes')::interval, now(), s.created_by_type, s.created_by_id, s.created_by_label, now(),
              CASE WHEN g % 7 = 0 THEN 30 END, CASE WHEN g % 7 = 0 THEN now() + ((g % 60) - 20 || ' days')::interval END
         FROM (SELECT * FROM secrets WHERE status = 'active' LIMIT 1) s, generate_series($1::int, $2::int - 1) g`,
      [VIA_API, SECRETS],
    );
    log(`copied ${r.rowCount} metadata rows in SQL`);
  } finally {
    await c.end();
  }
};

// ---------------------------------------------------------------------------------------------
// In the page

/** Click the Secrets link, resolve on the first painted frame that shows a secret row (ms since the click). */
const firstRowsAfterClick = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve) => {
        const t0 = performance.now();
        const seen = () => document.querySelector('table.secrets-table tbody a');
        const obs = new MutationObserver(() => {
          if (!seen()) return;
          obs.disconnect();
          requestAnimationFrame(() => resolve(performance.now() - t0));
        });
        obs.observe(document.body, { childList: true, subtree: true });
        document.querySelector('nav a[href="/settings/secrets"]').click();
      }),
  );

/** Time of one list page fetched from the page itself: the floor the first-rows figure stands on. */
const apiFloor = (page) =>
  page.evaluate(async () => {
    const t0 = performance.now();
    const res = await fetch('/api/v1/secrets?limit=50');
    await res.json();
    return performance.now() - t0;
  });

/** Type into Search; from the end of its response (resource timing) to the DOM update that shows the result. */
const searchUpdate = (page, text) =>
  page.evaluate(
    (q) =>
      new Promise((resolve) => {
        const input = document.querySelector('input[type=search]');
        const tbody = document.querySelector('table.secrets-table tbody');
        const wanted = `q=${encodeURIComponent(q)}`;
        const responseEnd = () => performance.getEntriesByType('resource').find((e) => e.name.includes(wanted) && e.name.includes('/api/v1/secrets'))?.responseEnd;
        const mo = new MutationObserver(() => {
          const end = responseEnd();
          if (end === undefined) return;
          mo.disconnect();
          resolve(performance.now() - end);
        });
        mo.observe(tbody, { childList: true, subtree: true, characterData: true });
        performance.clearResourceTimings();
        const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
        setter.call(input, q);
        input.dispatchEvent(new Event('input', { bubbles: true }));
        setTimeout(() => resolve(NaN), 10_000);
      }),
    text,
  );

/** Scroll the list to the bottom at a steady pace (loading pages on the way); frame intervals in ms. */
const scrollThrough = (page, pxPerFrame) =>
  page.evaluate(
    (step) =>
      new Promise((resolve) => {
        const el = document.querySelector('.table-scroll');
        const frames = [];
        let last = performance.now();
        const tick = (now) => {
          frames.push(now - last);
          last = now;
          el.scrollTop += step;
          const rows = document.querySelectorAll('table.secrets-table tbody a').length;
          const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - 2;
          if (atEnd && !document.querySelector('.table-scroll .more')) resolve({ frames, rows, scrollHeight: el.scrollHeight });
          else if (frames.length > 20000) resolve({ frames, rows, scrollHeight: el.scrollHeight, gaveUp: true });
          else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    pxPerFrame,
  );

/** Renderer main-thread tasks from a Chromium trace, in ms. */
const mainThreadTasks = (traceBuffer) => {
  const { traceEvents } = JSON.parse(traceBuffer.toString('utf8'));
  const main = new Set(traceEvents.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  return traceEvents.filter((e) => e.name === 'RunTask' && e.ph === 'X' && main.has(`${e.pid}:${e.tid}`)).map((e) => e.dur / 1000);
};

// ---------------------------------------------------------------------------------------------

const main = async () => {
  requireBuilt();
  const bundle = bundleReport();
  await scope(async (defer) => {
    const { base, databaseUrl } = await startSystem(defer, { store: 'local', request, prefix: 'bench-console', rateLimitPerMin: 10_000_000, storeEnv: { SECRET_STORE: 'local' } });
    const session = await signUp(request, base);
    const token = await mintToken(request, base, session, 'seeder', ['Admin']);
    log(`creating ${VIA_API} secrets through the API (${CONCURRENCY} at a time)`);
    await seed(base, `Bearer ${token}`);
    if (SECRETS > VIA_API) await copyRows(databaseUrl);

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    defer('close chromium', () => browser.close());
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const [name, value] = session.cookie.split('=');
    await context.addCookies([{ name, value, url: base }]);
    const page = await context.newPage();

    const firstRows = [];
    const floors = [];
    for (let i = 0; i <= RUNS; i += 1) {
      checkStop();
      // A fresh load of another screen each time: the list's code and data are not in memory yet
      // (the first run also fetches the route's chunk; later runs have it in the HTTP cache).
      await page.goto(`${base}/audit`);
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      floors.push(await apiFloor(page));
      const ms = await firstRowsAfterClick(page);
      firstRows.push(ms);
      log(`run ${i}: first rows ${f(ms)} ms`);
    }

    const searches = [];
    for (const q of ['svc-01', 'svc-012', 'svc-0123', 'api-key', 'svc-9']) searches.push(await searchUpdate(page, q));
    await page.getByLabel('Search secrets').fill('');
    await page.waitForFunction(() => document.querySelectorAll('table.secrets-table tbody a').length > 20);
    await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
    const scroll = await scrollThrough(page, 400);
    const tasks = mainThreadTasks(await browser.stopTracing());

    const warm = stats(firstRows.slice(1));
    const floor = stats(floors);
    const frameStats = stats(scroll.frames.slice(5));
    const longTasks = tasks.filter((d) => d > BUDGET_LONG_TASK_MS);
    const signIn = bundle.rows[0];
    const out = [];
    out.push('JavaScript per route (production build, gzip -9; CSS for all routes ' + f(bundle.cssGz / 1024) + ' KB gzip):');
    out.push('route                                         raw KB   gzip KB');
    for (const r of bundle.rows) out.push(`${r.route.padEnd(44)} ${f(r.raw / 1024).padStart(7)} ${f(r.gz / 1024).padStart(9)}`);
    out.push(`sign-in route: ${f(signIn.gz / 1024)} KB gzip; budget ${BUDGET_SIGN_IN_KB} KB; ratio ${f(signIn.gz / 1024 / BUDGET_SIGN_IN_KB, 2)}`);
    out.push('');
    out.push(`Secrets list, ${SECRETS} secrets (first server page 50, then 200; Chromium headless, 1360×900):`);
    out.push(`first rows after clicking Secrets, cold (route chunk fetched): ${f(firstRows[0])} ms`);
    out.push(`first rows, ${RUNS} fresh page loads: p50 ${f(warm.p50)} ms, max ${f(warm.max)} ms; budget ${BUDGET_FIRST_ROWS_MS} ms; ratio p50/budget ${f(warm.p50 / BUDGET_FIRST_ROWS_MS, 2)}`);
    out.push(`floor: GET /api/v1/secrets?limit=50 (the first page) from the page: p50 ${f(floor.p50)} ms; ratio first rows/floor ${f(warm.p50 / floor.p50, 2)}`);
    out.push(`search: DOM updated after the response ends: ${searches.map((ms) => f(ms)).join(', ')} ms (one frame = 16.7 ms)`);
    out.push(
      `scroll to the end (${scroll.rows} row links rendered at the end, ${scroll.frames.length} frames, 400 px/frame): frame p50 ${f(frameStats.p50)} ms, p95 ${f(frameStats.p95)} ms, max ${f(frameStats.max)} ms`,
    );
    out.push(`main-thread tasks while scrolling (trace): ${tasks.length}, longest ${f(Math.max(...tasks))} ms, over ${BUDGET_LONG_TASK_MS} ms: ${longTasks.length}${longTasks.length ? ` (${longTasks.map((d) => f(d)).join(', ')})` : ''}`);
    out.push(wallTimeLine());
    process.stdout.write(`${out.join('\n')}\n`);
  });
};

startBench({ capMs: 480_000 });
void finish(main());
