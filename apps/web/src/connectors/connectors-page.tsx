import { zodResolver } from '@hookform/resolvers/zod';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { secretNameSchema } from '@nembl/core/schemas';
import { api, unwrap, type Schemas } from '../api/client';
import { problemOf, type Problem } from '../api/problem';
import { PermButton, usePermissions } from '../app/permissions';
import { useSecretNames } from '../secrets/secret-queries';
import { Dialog } from '../ui/dialog';
import { SelectField, TextField } from '../ui/field';
import { formatDateTime } from '../ui/format';
import { ProblemAlert } from '../ui/problem-alert';
import { applyProblem, fieldsIn, FormActions } from '../ui/form-problem';

const KINDS = [
  { value: 'github', label: 'GitHub' },
  { value: 'slack', label: 'Slack' },
  { value: 'jira', label: 'Jira' },
  { value: 'http', label: 'HTTP' },
] as const;
const KIND_LABEL = Object.fromEntries(KINDS.map((k) => [k.value, k.label])) as Record<string, string>;

export const connectorFormSchema = z
  .object({
    name: z.string().trim().min(1, 'Enter a name').max(128),
    kind: z.enum(['github', 'slack', 'jira', 'http']),
    baseUrl: z.union([z.literal(''), z.url({ protocol: /^https?$/, message: 'Enter an http(s) URL' })]),
    authSecret: z.union([z.literal(''), secretNameSchema]),
  })
  .superRefine((v, ctx) => {
    if (!v.authSecret) ctx.addIssue({ code: 'custom', path: ['authSecret'], message: 'Choose the secret that authenticates this connector' });
    if ((v.kind === 'jira' || v.kind === 'http') && !v.baseUrl) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'Jira and HTTP connectors need a base URL' });
  });
type ConnectorForm = z.infer<typeof connectorFormSchema>;

export function ConnectorsPage() {
  const [creating, setCreating] = useState(false);
  const perms = usePermissions([{ action: 'connectors:create' }, { action: 'connectors:delete' }]);
  const list = useQuery({ queryKey: ['connectors'], queryFn: async () => (await unwrap(api.GET('/connectors', { params: { query: { limit: 200 } } }))).items });

  return (
    <>
      <div className="page-head">
        <h1>Connectors</h1>
        <PermButton perm={perms.can('connectors:create')} onClick={() => setCreating(true)}>
          Create Connector
        </PermButton>
      </div>
      <p className="muted">Connectors call an external API with a secret injected as the credential. The value never reaches the console.</p>
      {list.isError && <ProblemAlert problem={problemOf(list.error)} onRetry={() => void list.refetch()} />}
      {list.data && list.data.length === 0 && <p>No connectors yet.</p>}
      <ul className="cards">
        {list.data?.map((c) => (
          <ConnectorCard key={c.id} c={c} />
        ))}
      </ul>
      <CreateConnectorDialog open={creating} onOpenChange={setCreating} />
    </>
  );
}

function ConnectorCard({ c }: { c: Schemas['Connector'] }) {
  const [result, setResult] = useState<{ ok: boolean; status: number; latencyMs: number } | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [testing, setTesting] = useState(false);
  const test = async () => {
    setTesting(true);
    setProblem(null);
    setResult(null);
    try {
      setResult(await unwrap(api.POST('/connectors/{id}/test', { params: { path: { id: c.id } } })));
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setTesting(false);
    }
  };
  return (
    <li className="card" aria-labelledby={`conn-${c.id}`}>
      <h2 id={`conn-${c.id}`}>{c.name}</h2>
      <dl className="meta">
        <dt>Kind</dt>
        <dd>{KIND_LABEL[c.kind]}</dd>
        <dt>Base URL</dt>
        <dd>{c.config.baseUrl ?? 'default'}</dd>
        <dt>Secret</dt>
        <dd>{typeof c.authSecret === 'string' ? c.authSecret : <em>a secret you may not see</em>}</dd>
        <dt>Updated</dt>
        <dd>{formatDateTime(c.updatedAt)}</dd>
      </dl>
      <div className="actions">
        <button type="button" className="secondary" onClick={() => void test()} disabled={testing}>
          Test connection
        </button>
        <span role="status" className={result ? (result.ok ? 'ok' : 'bad') : ''}>
          {testing && 'Testing…'}
          {result && (result.ok ? `Connected — status ${result.status}, ${result.latencyMs} ms` : `Failed — status ${result.status}`)}
        </span>
      </div>
      {problem && <ProblemAlert problem={{ ...problem, title: `Failed: ${problem.title}` }} onRetry={() => void test()} />}
    </li>
  );
}

function CreateConnectorDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const qc = useQueryClient();
  const names = useSecretNames();
  const [problem, setProblem] = useState<Problem | null>(null);
  const form = useForm<ConnectorForm>({ resolver: zodResolver(connectorFormSchema), defaultValues: { name: '', kind: 'github', baseUrl: '', authSecret: '' } });
  const { errors, isSubmitting } = form.formState;

  const onSubmit = form.handleSubmit(async (v) => {
    setProblem(null);
    try {
      await api.POST('/connectors', {
        // The form's zod check already requires baseUrl for jira and http (the union the type spells out).
        body: { name: v.name, kind: v.kind, config: v.baseUrl ? { baseUrl: v.baseUrl } : {}, authSecret: v.authSecret } as Schemas['CreateConnectorRequest'],
      });
      void qc.invalidateQueries({ queryKey: ['connectors'] });
      void qc.invalidateQueries({ queryKey: ['secrets'] });
      void qc.invalidateQueries({ queryKey: ['secret'] });
      form.reset();
      onOpenChange(false);
    } catch (err) {
      setProblem(
        applyProblem(err, form.setError, {
          isField: fieldsIn(['name', 'kind', 'baseUrl', 'authSecret']),
          toFormPath: (path) => (path === 'config.baseUrl' ? 'baseUrl' : path),
        }),
      );
    }
  });

  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="Create Connector">
      <form onSubmit={onSubmit} noValidate aria-busy={isSubmitting}>
        <ProblemAlert problem={problem} other={problem?.errors} onRetry={() => void onSubmit()} />
        <TextField label="Name" autoComplete="off" error={errors.name?.message} {...form.register('name')} />
        <SelectField label="Kind" options={[...KINDS]} {...form.register('kind')} />
        <TextField label="Base URL" type="url" placeholder="https://api.github.com" hint="Optional for GitHub and Slack." error={errors.baseUrl?.message} {...form.register('baseUrl')} />
        <fieldset>
          <legend>Authentication</legend>
          <SelectField
            label="Secret"
            options={[{ value: '', label: names.isPending ? 'Loading secrets…' : 'Choose a secret' }, ...(names.data ?? []).map((n) => ({ value: n, label: n }))]}
            error={errors.authSecret?.message}
            {...form.register('authSecret')}
          />
        </fieldset>
        <FormActions busy={isSubmitting} onCancel={() => onOpenChange(false)} />
      </form>
    </Dialog>
  );
}
