import { ENV_NAME_PATTERN, parseEnvSource } from '@nembl/core/references';
import { CliError, EXIT, usageError } from '../cli-error.js';
import { errorFor, type ApiClient } from '../http/api-client.js';
import { newRunShape, resolvedEnvShape, versionShape, workflowPageShape } from '../http/shapes.js';

export interface ResolvedEnv {
  env: Record<string, string>;
  /** Variable → the secret (and version) it came from; only these values are masked. */
  versions: Record<string, { secret: string; version: number }>;
}

export type EnvSourceSpec =
  | { kind: 'workflow'; workflow: string; phase: string }
  | { kind: 'run'; runId: string; phase: string }
  | { kind: 'none' };

const MAX_AD_HOC = 100;

/** `--env NAME=secret:ref` / `NAME=literal`, checked here so a typo is a usage error, not a request. */
export const parseEnvFlags = (flags: string[]): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const name = eq === -1 ? flag : flag.slice(0, eq);
    if (eq <= 0 || !ENV_NAME_PATTERN.test(name))
      throw usageError(
        `--env takes NAME=secret:<name> or NAME=literal with an upper-case NAME, got ${JSON.stringify(name)}`,
      );
    const src = parseEnvSource(flag.slice(eq + 1));
    if (src.kind === 'invalid') throw usageError(`--env ${name}: ${src.message}`);
    env[name] = flag.slice(eq + 1);
  }
  if (Object.keys(env).length > MAX_AD_HOC) throw usageError(`at most ${MAX_AD_HOC} --env variables`);
  return env;
};

/** The names of the secrets `env` references (for error messages). */
const referenced = (env: Record<string, string>) =>
  Object.values(env).flatMap((raw) => {
    const src = parseEnvSource(raw);
    return src.kind === 'secret' ? [src.name] : [];
  });

const findWorkflowId = async (api: ApiClient, name: string): Promise<string> => {
  for (let cursor: string | null = null; ;) {
    const q = new URLSearchParams({ limit: '200', ...(cursor ? { cursor } : {}) });
    const page: { items: Array<{ id: string; name: string }>; nextCursor: string | null } = (
      await api.ok('GET', `/workflows?${q}`, undefined, 'listing workflows', workflowPageShape)
    ).body;
    const hit = page.items.find((w) => w.name === name);
    if (hit) return hit.id;
    cursor = page.nextCursor;
    if (!cursor) throw new CliError(EXIT.denied, `no workflow named ${JSON.stringify(name)} (or you may not read it)`);
  }
};

/**
 * Resolves the environment for `nembl run`: a workflow phase through a new run (or an existing
 * run), then ad-hoc `--env` entries through `POST /env/resolve`, which win over the phase's.
 */
export const resolveEnv = async (
  api: ApiClient,
  source: EnvSourceSpec,
  adHoc: Record<string, string>,
): Promise<ResolvedEnv> => {
  const out: ResolvedEnv = { env: {}, versions: {} };
  if (source.kind !== 'none') {
    let runId = source.kind === 'run' ? source.runId : '';
    if (source.kind === 'workflow') {
      const id = await findWorkflowId(api, source.workflow);
      runId = (
        await api.ok('POST', `/workflows/${id}/runs`, {}, `starting a run of workflow ${source.workflow}`, newRunShape)
      ).body.run.id;
    }
    const res = await api.request<ResolvedEnv>(
      'POST',
      `/runs/${encodeURIComponent(runId)}/phases/${encodeURIComponent(source.phase)}/env`,
      {},
    );
    if (res.status !== 200)
      throw errorFor(res.status, res.body, `resolving phase ${JSON.stringify(source.phase)} of run ${runId}`);
    const body = api.expectShape(res.body, resolvedEnvShape, 'POST', '/runs/…/env');
    Object.assign(out.env, body.env);
    Object.assign(out.versions, body.versions);
  }
  if (Object.keys(adHoc).length > 0) {
    const res = await api.request<ResolvedEnv & { secret?: string }>('POST', '/env/resolve', { env: adHoc });
    if (res.status !== 200) {
      const names = referenced(adHoc);
      const context = res.body?.secret
        ? `secret ${res.body.secret}`
        : `resolving ${names.length ? `secret${names.length > 1 ? 's' : ''} ${names.join(', ')}` : '--env'}`;
      throw errorFor(res.status, res.body, context);
    }
    const body = api.expectShape(res.body, resolvedEnvShape, 'POST', '/env/resolve');
    for (const key of Object.keys(adHoc)) {
      // Every variable asked for comes back as a string, or nothing starts.
      const value = body.env[key];
      if (value === undefined) throw api.notTheApi('POST', '/env/resolve');
      out.env[key] = value;
      delete out.versions[key];
      if (body.versions[key]) out.versions[key] = body.versions[key]!;
    }
  }
  return out;
};

/** Current version of each secret, from metadata only (never a value), for --watch. */
export const currentVersions = async (api: ApiClient, secrets: string[]): Promise<Map<string, number>> => {
  const entries = await Promise.all(
    secrets.map(
      async (name) =>
        [
          name,
          (await api.ok('GET', `/secrets/${encodeURIComponent(name)}`, undefined, `secret ${name}`, versionShape)).body
            .secret.version,
        ] as const,
    ),
  );
  return new Map(entries);
};
