// Chromium for the end-to-end tests: Debian's /usr/bin/chromium driven by playwright-core, with
// the checks every step repeats (no canary value anywhere the browser keeps things, no console
// errors) and axe-core for accessibility.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const launchChromium = async (): Promise<Browser> => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get update && apt-get install -y chromium\` (npm test does this when run as root).`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
};

export interface Watched {
  page: Page;
  context: BrowserContext;
  messages: string[];
  /** Every URL the page requested since the last step, whether or not the request completed. */
  requests: string[];
}

/** A page whose console messages, page errors and failed requests are all recorded. */
export const watchedPage = async (browser: Browser, baseURL: string): Promise<Watched> => {
  const context = await browser.newContext({ baseURL, viewport: { width: 1360, height: 900 }, colorScheme: 'light' });
  // Short waits: a missing element fails the step quickly instead of stalling the run.
  context.setDefaultTimeout(8_000);
  // Room for every request of the run in the resource timing buffer (250 by default, after which
  // new entries are dropped), so the URL check below sees them all.
  await context.addInitScript(() => performance.setResourceTimingBufferSize(100_000));
  const page = await context.newPage();
  const messages: string[] = [];
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m: ConsoleMessage) => messages.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => messages.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) messages.push(`http ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  return { page, context, messages, requests };
};

/**
 * Every query's and mutation's state in the console's TanStack Query cache, serialised (errors with
 * their message and own fields, which JSON.stringify alone drops). Null when the page has no client.
 */
const queryCacheOf = (page: Page): Promise<string | null> =>
  page.evaluate(() => {
    const qc = window.__TANSTACK_QUERY_CLIENT__;
    if (!qc) return null;
    const plain = (_key: string, v: unknown) => {
      if (v instanceof Error) return { ...v, name: v.name, message: v.message };
      if (v instanceof Map) return [...v.entries()];
      if (v instanceof Set) return [...v];
      return v;
    };
    return JSON.stringify(
      {
        queries: qc.getQueryCache().getAll().map((q) => ({ queryKey: q.queryKey, data: q.state.data, error: q.state.error })),
        mutations: qc.getMutationCache().getAll().map((m) => ({
          mutationKey: m.options.mutationKey,
          variables: m.state.variables,
          data: m.state.data,
          error: m.state.error,
        })),
      },
      plain,
    );
  });

/**
 * Nothing of the canary in the page's HTML, URL, the URLs it fetched, local/session storage, the
 * TanStack Query cache or the console; no console errors or warnings.
 */
export const assertClean = async (w: Watched, canaries: string[], step: string, allow: RegExp[] = []) => {
  const html = await w.page.content();
  const storage = await w.page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
  const url = w.page.url();
  // Resource timing lists only requests that completed (a fetch whose body was never read is
  // missing), so the URLs Playwright saw requested are checked too.
  const fetched = [...(await w.page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name))), ...w.requests];
  const cache = await queryCacheOf(w.page);
  // Every step is on a console page, so the client must be there: a missing hook would make the cache check vacuous.
  expect(cache, `${step}: the page exposes its QueryClient on window.__TANSTACK_QUERY_CLIENT__`).not.toBeNull();
  for (const canary of canaries) {
    expect(html.includes(canary), `${step}: canary in the page HTML`).toBe(false);
    expect(storage.includes(canary), `${step}: canary in web storage`).toBe(false);
    expect(url.includes(canary), `${step}: canary in the URL`).toBe(false);
    expect(fetched.filter((u) => u.includes(canary)), `${step}: canary in a fetched URL`).toEqual([]);
    expect(cache?.includes(canary), `${step}: canary in the TanStack Query cache`).toBe(false);
    expect(w.messages.some((m) => m.includes(canary)), `${step}: canary in the console`).toBe(false);
  }
  // Chromium logs every failed fetch as "Failed to load resource"; the `http …` lines say which
  // request it was. Expected answers: the session probe (and CSRF token) without a session, the invalid policy
  // the test saves on purpose. Anything else is an error of the console.
  const expected = [/^http 401 GET \/api\/v1\/(me|auth\/csrf)$/, /^http 400 POST \/api\/v1\/policies$/, ...allow];
  const problems = w.messages.filter(
    (m) => (/^(error|warning|pageerror|http)/.test(m) && !/Failed to load resource/.test(m) && !expected.some((e) => e.test(m))),
  );
  // Each step answers for the messages since the previous one.
  w.messages.length = 0;
  w.requests.length = 0;
  expect(problems, `${step}: console errors or warnings`).toEqual([]);
};

/** axe-core in the page: no serious or critical violations. */
export const assertAccessible = async (page: Page, screen: string) => {
  // evaluate() runs outside the page's CSP, so axe needs no inline <script>.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'), `${screen}: axe violations`).toEqual([]);
};

/** Accessible names of what Tab reaches, in order, from the top of the page. */
export const tabStops = async (page: Page, max = 40): Promise<string[]> => {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const names: string[] = [];
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    names.push(
      await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el) return '';
        const labelled = el.getAttribute('aria-label') ?? (el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null);
        return (labelled ?? el.textContent ?? '').trim();
      }),
    );
  }
  return names;
};
