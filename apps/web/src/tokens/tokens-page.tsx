import { zodResolver } from '@hookform/resolvers/zod';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { api, unwrap } from '../api/client';
import { problemOf, type Problem } from '../api/problem';
import { PermButton, usePermissions } from '../app/permissions';
import { Dialog } from '../ui/dialog';
import { TextField } from '../ui/field';
import { formatDate, formatDateTime, splitList } from '../ui/format';
import { ProblemAlert } from '../ui/problem-alert';
import { RolesDatalist } from '../users/users-page';
import { applyProblem, fieldsIn, FormActions, listItemToField } from '../ui/form-problem';

export const tokenFormSchema = z.object({
  name: z.string().trim().min(1, 'Enter a token name').max(128),
  roles: z.string(),
  groups: z.string(),
  expires: z.string().refine((d) => d === '' || new Date(`${d}T23:59:59Z`).getTime() > Date.now(), 'Choose a date in the future'),
});
type TokenForm = z.infer<typeof tokenFormSchema>;

export function TokensPage() {
  const qc = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const perms = usePermissions([{ action: 'tokens:write' }]);
  const list = useQuery({ queryKey: ['tokens'], queryFn: async () => (await unwrap(api.GET('/tokens', { params: { query: { limit: 200 } } }))).items });
  const revoke = async (id: string) => {
    setProblem(null);
    try {
      await api.DELETE('/tokens/{id}', { params: { path: { id } } });
      void qc.invalidateQueries({ queryKey: ['tokens'] });
    } catch (err) {
      setProblem(problemOf(err));
    }
  };
  return (
    <>
      <div className="page-head">
        <h1>Tokens</h1>
        <PermButton perm={perms.can('tokens:write')} onClick={() => setCreating(true)}>
          Create Token
        </PermButton>
      </div>
      <p className="muted">Service tokens let machines (CI, runners, the CLI) resolve secrets. A token is shown once; only its hash is stored.</p>
      <ProblemAlert problem={problem} />
      {list.isError && <ProblemAlert problem={problemOf(list.error)} onRetry={() => void list.refetch()} />}
      <table>
        <thead>
          <tr>
            <th scope="col">Token name</th>
            <th scope="col">Roles</th>
            <th scope="col">Groups</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data?.map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td>{t.roles.join(', ') || '—'}</td>
              <td>{t.groups.join(', ') || '—'}</td>
              <td>{formatDate(t.createdAt)}</td>
              <td>{t.expiresAt ? formatDate(t.expiresAt) : 'Never'}</td>
              <td>{formatDateTime(t.lastUsedAt)}</td>
              <td>
                <PermButton perm={perms.can('tokens:write')} className="danger small" onClick={() => void revoke(t.id)}>
                  Revoke
                </PermButton>
              </td>
            </tr>
          ))}
          {list.data?.length === 0 && (
            <tr>
              <td colSpan={7} className="empty">
                No tokens.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <CreateTokenDialog open={creating} onOpenChange={setCreating} />
    </>
  );
}

function CreateTokenDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const qc = useQueryClient();
  const [problem, setProblem] = useState<Problem | null>(null);
  // The new token lives only in this component's state: not in the query cache, gone on close.
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const form = useForm<TokenForm>({ resolver: zodResolver(tokenFormSchema), defaultValues: { name: '', roles: 'Runner', groups: '', expires: '' } });
  const { errors, isSubmitting } = form.formState;
  useEffect(() => {
    if (!open) {
      setCreated(null);
      setCopied(false);
      setProblem(null);
      form.reset();
    }
  }, [open, form]);

  const onSubmit = form.handleSubmit(async (v) => {
    setProblem(null);
    try {
      const { data } = await api.POST('/tokens', {
        body: { name: v.name, roles: splitList(v.roles), groups: splitList(v.groups), ...(v.expires ? { expiresAt: new Date(`${v.expires}T23:59:59Z`).toISOString() } : {}) },
      });
      if (data) setCreated({ name: data.name, token: data.token });
      void qc.invalidateQueries({ queryKey: ['tokens'] });
    } catch (err) {
      setProblem(
        applyProblem(err, form.setError, {
          isField: fieldsIn(['name', 'roles', 'groups', 'expires']),
          toFormPath: (path) => (path === 'expiresAt' ? 'expires' : listItemToField(path)),
        }),
      );
    }
  });

  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied(true);
    } catch {
      setCopied(false);
      setProblem({ title: 'Copy failed', status: 0, detail: 'The browser did not allow copying. Select the token and copy it by hand.' });
    }
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="Create Token">
      {created ? (
        <div>
          <p className="warning">
            This token is shown once. Copy it now and store it where the machine can read it; it cannot be shown again.
          </p>
          <TextField label="Token" readOnly value={created.token} className="mono" onFocus={(e) => e.currentTarget.select()} />
          <ProblemAlert problem={problem} />
          <div className="actions">
            <button type="button" onClick={() => void copy()}>
              Copy
            </button>
            <span role="status">{copied ? 'Copied to the clipboard.' : ''}</span>
            <button type="button" className="secondary" onClick={() => onOpenChange(false)}>
              Done
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={onSubmit} noValidate autoComplete="off" aria-busy={isSubmitting}>
          <ProblemAlert problem={problem} other={problem?.errors} onRetry={() => void onSubmit()} />
          <RolesDatalist />
          <TextField label="Token name" autoComplete="off" error={errors.name?.message} {...form.register('name')} />
          <TextField label="Roles" list="known-roles" hint="Comma-separated; you can grant only roles you hold." error={errors.roles?.message} {...form.register('roles')} />
          <TextField label="Groups" hint="Comma-separated." error={errors.groups?.message} {...form.register('groups')} />
          <TextField label="Expires" type="date" hint="Optional. Leave empty for a token that does not expire." error={errors.expires?.message} {...form.register('expires')} />
          <FormActions busy={isSubmitting} onCancel={() => onOpenChange(false)} />
        </form>
      )}
    </Dialog>
  );
}
