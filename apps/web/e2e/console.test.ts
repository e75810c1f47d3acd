// The console end to end, in Chromium, against the real stack: API and worker (started by the
// harness on their own database and Redis prefix), Postgres, Redis, and the AWS driver on moto.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { awsSecretStoreFactory } from '@nembl/core';
import { MOTO_CREDENTIALS, MOTO_REGION, startMoto, type MotoServer } from '@nembl/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../api/test/harness.js';
import { assertAccessible, assertClean, launchChromium, tabStops, watchedPage, type Watched } from './browser.js';

const webRoot = fileURLToPath(new URL('../dist', import.meta.url));
const shots = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const CANARY = `canary-${Math.random().toString(36).slice(2)}-value`;
const CANARY_2 = `canary-${Math.random().toString(36).slice(2)}-rotated`;
const CANARIES = [CANARY, CANARY_2];
const ADMIN = { company: 'Acme Robotics', name: 'Ada Admin', email: 'ada@acme.test', password: 'correct horse battery' };
const DEV = { name: 'Dev Eloper', email: 'dev@acme.test', password: 'developer password 1' };

let moto: MotoServer;
let t: TestApi;
let browser: Browser;
let upstream: Server;
let upstreamUrl: string;
let admin: Watched;

beforeAll(async () => {
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}${build.stderr}`);
  moto = await startMoto();
  const store = awsSecretStoreFactory({ region: MOTO_REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS, retry: { attempts: 3, baseMs: 20, capMs: 100 } });
  t = await startTestApi({ SECRET_STORE: 'aws', NEMBL_WRITE_WAIT_MS: '8000' }, { store, webRoot });
  // The connector's upstream: answers 200 only when the current secret value arrives as the credential.
  upstream = createServer((req, res) => {
    res.statusCode = req.headers.authorization === `Bearer ${CANARY_2}` ? 200 : 401;
    res.end('{}');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  browser = await launchChromium();
  admin = await watchedPage(browser, t.url);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  upstream?.close();
  await t?.close();
  await moto?.stop();
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail' || !admin) return;
  await admin.page.screenshot({ path: `/tmp/e2e-fail-${ctx.task.name.slice(0, 20).replace(/\W+/g, '-')}.png` });
  process.stderr.write(`--- ${ctx.task.name}\n${admin.messages.join('\n')}\n`);
});

const shot = (page: Page, name: string) => page.screenshot({ path: `${shots}${name}.png`, animations: 'disabled' });
const step = (w: Watched, name: string, allow: RegExp[] = []) => assertClean(w, CANARIES, name, allow);

describe('the console in Chromium', () => {
  it('signs up, and a signed-out visit comes back after signing in', async () => {
    const { page } = admin;
    await page.goto('/settings/connectors');
    await page.waitForURL(/\/sign-in\?returnTo=%2Fsettings%2Fconnectors/);
    await assertAccessible(page, 'sign in');
    await page.getByRole('link', { name: 'Create a company' }).click();
    await page.getByLabel('Company name').fill(ADMIN.company);
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await assertAccessible(page, 'sign up');
    await page.getByRole('button', { name: 'Create company' }).click();
    await page.waitForURL(/\/settings\/connectors$/);
    await expect.poll(() => page.getByRole('banner').textContent()).toContain(ADMIN.company);
    await step(admin, 'sign up');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in$/);
    await page.goto('/settings/secrets');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/settings\/secrets$/);
    await page.getByRole('heading', { name: 'Secrets' }).waitFor();
    await step(admin, 'sign in');
  });

  it('creates a secret with tags and a reminder, and ends on its detail page', async () => {
    const { page } = admin;
    await page.getByRole('button', { name: 'Create Secret' }).click();
    await page.getByRole('heading', { name: 'Create Secret' }).waitFor();
    await page.getByLabel('Name').fill('GitHub token');
    await expect.poll(() => page.getByText('must be lowercase letters').count()).toBe(1);
    await page.getByLabel('Name').fill('github-api-token');
    await expect.poll(() => page.getByText('must be lowercase letters').count()).toBe(0);
    const value = page.getByLabel('Value', { exact: true });
    expect(await value.getAttribute('type')).toBe('password');
    expect(await value.getAttribute('autocomplete')).toBe('new-password');
    await value.fill(CANARY);
    await page.getByLabel('Type').selectOption({ label: 'API Key' });
    await page.getByLabel('Description').fill('Deploys from CI');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await page.getByLabel('Tag key').last().fill('environment');
    await page.getByLabel('Tag value').last().fill('production');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await page.getByLabel('Tag key').last().fill('service');
    await page.getByLabel('Tag value').last().fill('github');
    await page.getByLabel('Rotation reminder').selectOption({ label: '30 days' });
    await assertAccessible(page, 'create secret');
    await shot(page, 'create');
    await step(admin, 'create form filled');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/settings\/secrets\/github-api-token$/);
    await page.getByText('The value cannot be viewed again').waitFor();
    await page.getByRole('heading', { name: 'github-api-token' }).waitFor();
    await step(admin, 'created');

    // A second secret through the API, so the filters have something to leave out.
    await page.evaluate(async () => {
      const { token } = (await (await fetch('/api/v1/auth/csrf')).json()) as { token: string };
      await fetch('/api/v1/secrets', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': token },
        body: JSON.stringify({ name: 'slack-bot-token', value: 'not-the-canary', tags: { environment: 'staging' } }),
      });
    });
  });

  it('finds the secret by search and by tag filter', async () => {
    const { page } = admin;
    await page.getByRole('navigation').getByRole('link', { name: 'Secrets' }).click();
    const table = page.getByRole('table');
    await table.getByRole('link', { name: 'slack-bot-token' }).waitFor();
    for (const header of ['Name', 'Description', 'Tags', 'Type', 'Created', 'Last rotated', 'Bound resources', 'Rotation due'])
      await table.getByRole('columnheader', { name: header }).waitFor();
    await assertAccessible(page, 'secrets list');
    await shot(page, 'list');
    const stops = await tabStops(page, 20);
    for (const name of ['Secrets', 'Audit log', 'Sign out', 'Create Secret', 'Search secrets']) expect(stops).toContain(name);

    await page.getByLabel('Search secrets').fill('github');
    await expect.poll(() => table.getByRole('link', { name: 'slack-bot-token' }).count()).toBe(0);
    await table.getByRole('link', { name: 'github-api-token' }).waitFor();
    await page.getByLabel('Search secrets').fill('');
    await table.getByRole('link', { name: 'slack-bot-token' }).waitFor();
    await page.getByLabel('Tag').fill('environment:production');
    await page.getByLabel('Tag').press('Enter');
    await expect.poll(() => table.getByRole('link', { name: 'slack-bot-token' }).count()).toBe(0);
    await table.getByRole('link', { name: 'github-api-token' }).waitFor();
    await step(admin, 'search and filter');
    await table.getByRole('link', { name: 'github-api-token' }).click();
    await page.getByRole('heading', { name: 'github-api-token' }).waitFor();
  });

  it('updates the value in a dialog that traps and returns focus', async () => {
    const { page } = admin;
    await page.getByRole('heading', { name: 'Versions' }).waitFor();
    await assertAccessible(page, 'secret detail');
    const open = page.getByRole('button', { name: 'Update Value' });
    await open.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Update Value' });
    await dialog.waitFor();
    await dialog.getByText('takes effect immediately for new retrievals').waitFor();
    for (let i = 0; i < 8; i += 1) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => !!document.activeElement?.closest('[role=dialog]'))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Update Value');

    await open.click();
    await dialog.getByLabel('New value').fill(CANARY_2);
    await assertAccessible(page, 'update value dialog');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').getByText('Value updated').waitFor();
    await expect.poll(() => page.getByRole('table').first().getByRole('row').count()).toBe(3); // header + 2 versions
    await step(admin, 'value updated');
  });

  it('sets a custom rotation reminder', async () => {
    const { page } = admin;
    await page.getByRole('button', { name: 'Set Rotation Reminder' }).click();
    const dialog = page.getByRole('dialog', { name: 'Set Rotation Reminder' });
    await dialog.getByLabel('Interval').selectOption({ label: 'Custom' });
    await dialog.getByLabel('Custom days').fill('45');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('.meta').getByText(/Every 45 days/).waitFor();
    await step(admin, 'reminder');
  });

  it('binds the secret to a connector (Test connection) and to a workflow', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Connectors' }).click();
    await page.getByRole('button', { name: 'Create Connector' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create Connector' });
    await dialog.getByLabel('Name').fill('ci-upstream');
    await dialog.getByLabel('Kind').selectOption({ label: 'HTTP' });
    await dialog.getByLabel('Base URL').fill(upstreamUrl);
    await expect.poll(() => dialog.getByLabel('Secret').locator('option').allTextContents()).toContain('github-api-token');
    await dialog.getByLabel('Secret').selectOption('github-api-token');
    await assertAccessible(page, 'create connector');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText(/Connected — status 200/).waitFor();
    await assertAccessible(page, 'connectors');
    await step(admin, 'connector');

    await page.getByRole('link', { name: 'Workflows' }).click();
    await page.getByRole('button', { name: 'Create Workflow' }).click();
    await page.getByLabel('Workflow name').fill('deploy');
    await page.getByRole('button', { name: 'Add phase' }).click();
    await page.getByLabel('Phase name').fill('release');
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Variable name').fill('DEPLOY_TOKEN');
    await page.getByLabel('Value source').selectOption({ label: 'Secret' });
    await expect.poll(() => page.getByLabel('Secret', { exact: true }).locator('option').allTextContents()).toContain('github-api-token');
    await page.getByLabel('Secret', { exact: true }).selectOption('github-api-token');
    await assertAccessible(page, 'workflow builder');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'deploy' }).waitFor();
    await page.getByText('Uses secrets: github-api-token').waitFor();
    await step(admin, 'workflow');
  });

  it('reviews both bound resources before deleting, and deletes only after the name is typed', async () => {
    const { page } = admin;
    await page.goto('/settings/secrets/github-api-token');
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete secret' });
    await dialog.getByText('ci-upstream').waitFor();
    await dialog.getByText('deploy', { exact: true }).waitFor();
    await dialog.getByText(/will fail/).waitFor();
    const confirm = dialog.getByRole('button', { name: 'Delete secret' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type the secret name to confirm').fill('github-api');
    expect(await confirm.isDisabled()).toBe(true);
    await assertAccessible(page, 'delete review');
    await shot(page, 'delete-review');
    await dialog.getByLabel('Type the secret name to confirm').fill('github-api-token');
    expect(await confirm.isDisabled()).toBe(false);
    await step(admin, 'delete review');

    // Back to the detail page for its screenshot, then delete for real.
    await page.keyboard.press('Escape');
    await shot(page, 'detail');
    await page.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByLabel('Type the secret name to confirm').fill('github-api-token');
    await dialog.getByRole('button', { name: 'Delete secret' }).click();
    await page.waitForURL(/\/settings\/secrets$/);
    await page.getByRole('table').getByRole('link', { name: 'slack-bot-token' }).waitFor();
    expect(await page.getByRole('table').getByRole('link', { name: 'github-api-token' }).count()).toBe(0);
    await step(admin, 'deleted');
  });

  it('shows the policy error at its statement, saves a template, and simulates', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByRole('button', { name: 'Create Policy' }).click();
    const editor = page.getByLabel('Policy document');
    await editor.waitFor();
    const bad = {
      name: 'Broken',
      statements: [
        { sid: 'fine', effect: 'allow', actions: ['secrets:read'], principals: { roles: ['Viewer'] } },
        { sid: 'typo', effect: 'allow', actions: ['secrets:reed'], principals: { roles: ['Viewer'] } },
      ],
    };
    await editor.fill(JSON.stringify(bad, null, 2));
    await page.getByRole('button', { name: 'Save' }).click();
    const errors = page.locator('.statement-errors');
    await errors.getByText(/Statement 2 \(typo\)/).waitFor();
    // The message sits in the editor at that statement: the marked text belongs to statement 2.
    const marked = await page.locator('.cm-lintRange-error').first().textContent();
    expect(marked).toContain('secrets:reed');
    await page.getByRole('button', { name: 'Restrict production secrets' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText('Saved Restrict production secrets.').waitFor();
    for (const template of ['Only admins can create secrets', 'Developers can use but not view secrets']) {
      await page.getByRole('button', { name: 'Create Policy' }).click();
      await page.getByRole('button', { name: template }).click();
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').getByText(`Saved ${template}.`).waitFor();
    }

    await page.getByRole('button', { name: 'Edit Restrict production secrets' }).click();
    await page.getByRole('heading', { name: 'Simulate' }).waitFor();
    await page.getByLabel('Role').fill('Developer');
    await page.getByLabel('Action').selectOption('secrets:read_value');
    await page.getByRole('button', { name: 'Simulate' }).click();
    await page.getByText('Denied', { exact: true }).waitFor();
    await page.getByText('developers-never-read-values').waitFor();
    await assertAccessible(page, 'policies');
    await shot(page, 'policies');
    await step(admin, 'policies');
  });

  it('creates a Developer, who is not offered Create Secret or Delete', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Create User' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create User' });
    await dialog.getByLabel('Email').fill(DEV.email);
    await dialog.getByLabel('Name').fill(DEV.name);
    await dialog.getByLabel('Password').fill(DEV.password);
    await dialog.getByLabel('Roles').fill('Developer');
    await assertAccessible(page, 'create user');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: DEV.email }).waitFor();
    await assertAccessible(page, 'users');

    const dev = await watchedPage(browser, t.url);
    try {
      await dev.page.goto('/settings/secrets/slack-bot-token');
      await dev.page.getByLabel('Email').fill(DEV.email);
      await dev.page.getByLabel('Password').fill(DEV.password);
      await dev.page.getByRole('button', { name: 'Sign in' }).click();
      await dev.page.getByRole('heading', { name: 'slack-bot-token' }).waitFor();
      const del = dev.page.getByRole('button', { name: 'Delete' });
      await expect.poll(() => del.getAttribute('aria-disabled')).toBe('true');
      await expect.poll(() => dev.page.getByText('Your policies do not allow secrets:delete').count()).toBeGreaterThan(0);
      await dev.page.getByRole('link', { name: 'Secrets' }).click();
      const create = dev.page.getByRole('button', { name: 'Create Secret' });
      await expect.poll(() => create.getAttribute('aria-disabled')).toBe('true');
      await create.click({ force: true });
      expect(dev.page.url()).toMatch(/\/settings\/secrets$/);
      await step(dev, 'developer');
    } finally {
      await dev.context.close();
    }
  });

  it('shows the actions in the audit log, verifies the chain and exports', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const log = page.locator('.audit-table');
    for (const action of ['secrets:create', 'secrets:update', 'secrets:delete', 'policies:create']) await log.getByText(action, { exact: true }).first().waitFor();
    await page.getByLabel('Action').fill('secrets:delete');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(async () => (await log.locator('tbody code').allTextContents()).every((a) => a === 'secrets:delete')).toBe(true);
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('button', { name: 'Verify integrity' }).click();
    await page.getByText(/Chain verified: \d+ events checked/).waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/\.csv$/);
    await assertAccessible(page, 'audit log');
    await shot(page, 'audit');
    await step(admin, 'audit');
  });

  it('creates a token shown once with Copy, and revokes it', async () => {
    const { page, context } = admin;
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByRole('button', { name: 'Create Token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create Token' });
    await dialog.getByLabel('Token name').fill('ci-runner');
    await dialog.getByLabel('Roles').fill('Runner');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('shown once').waitFor();
    const token = await dialog.getByLabel('Token').inputValue();
    expect(token.length).toBeGreaterThan(20);
    await dialog.getByRole('button', { name: 'Copy' }).click();
    await dialog.getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await assertAccessible(page, 'token shown once');
    await dialog.getByRole('button', { name: 'Done' }).click();
    expect(await page.content()).not.toContain(token);
    await page.getByRole('cell', { name: 'ci-runner' }).waitFor();
    await assertAccessible(page, 'tokens');
    await page.getByRole('row', { name: /ci-runner/ }).getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.getByRole('cell', { name: 'ci-runner' }).count()).toBe(0);
    await step(admin, 'tokens');
  });

  it('sends an expired session to sign-in and back', async () => {
    const { page, context } = admin;
    await page.getByRole('link', { name: 'Connectors' }).click();
    await page.getByRole('heading', { name: 'Connectors' }).waitFor();
    await context.clearCookies();
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.waitForURL(/\/sign-in\?returnTo=%2Fsettings%2Fconnectors/);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/settings\/connectors$/);
    // The call that met the expired session is the one 401 this step expects.
    await step(admin, 'session expiry', [/^http 401 POST \/api\/v1\/connectors\/[^/]+\/test$/]);
  });
});
