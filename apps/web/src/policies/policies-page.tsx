import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ACTION_NAMES } from '@nembl/policy/types';
import { api, unwrap, type Schemas } from '../api/client';
import { problemOf, type FieldError, type Problem } from '../api/problem';
import { PermButton, usePermissions } from '../app/permissions';
import { useSecretNames, useUsers } from '../secrets/secret-queries';
import { SelectField, TextField } from '../ui/field';
import { formatDate, splitList } from '../ui/format';
import { ProblemAlert } from '../ui/problem-alert';
import { PolicyEditor } from './policy-editor';
import { describePath } from './policy-locate';
import { EMPTY_POLICY, POLICY_TEMPLATES, pretty } from './policy-templates';

type Editing = { id: string | null; text: string } | null;

export function PoliciesPage() {
  const qc = useQueryClient();
  const perms = usePermissions([{ action: 'policies:write' }, { action: 'users:read' }]);
  const list = useQuery({ queryKey: ['policies'], queryFn: async () => (await unwrap(api.GET('/policies', { params: { query: { limit: 200 } } }))).items });
  const [editing, setEditing] = useState<Editing>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const canWrite = perms.can('policies:write');

  const open = (e: Editing) => {
    setProblem(null);
    setNotice(null);
    setEditing(e);
  };
  const remove = async (p: Schemas['Policy']) => {
    try {
      await api.DELETE('/policies/{id}', { params: { path: { id: p.id } } });
      setNotice(`Deleted ${p.name}.`);
      if (editing?.id === p.id) setEditing(null);
      void qc.invalidateQueries({ queryKey: ['policies'] });
    } catch (err) {
      setProblem(problemOf(err));
    }
  };

  return (
    <>
      <div className="page-head">
        <h1>Policies</h1>
        <PermButton perm={canWrite} onClick={() => open({ id: null, text: pretty(EMPTY_POLICY) })}>
          Create Policy
        </PermButton>
      </div>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      {list.isError && <ProblemAlert problem={problemOf(list.error)} onRetry={() => void list.refetch()} />}
      <div className="policies-layout">
        <div>
        {editing && (
          <PolicyForm
            key={editing.id ?? 'new'}
            editing={editing}
            problem={problem}
            setProblem={setProblem}
            onSaved={(name) => {
              setEditing(null);
              setNotice(`Saved ${name}.`);
              void qc.invalidateQueries({ queryKey: ['policies'] });
              void qc.invalidateQueries({ queryKey: ['permissions'] });
            }}
            onCancel={() => setEditing(null)}
          />
        )}
        <section aria-labelledby="policy-list-heading">
          <h2 id="policy-list-heading">Company policies</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Policy</th>
                <th scope="col">Statements</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data?.map((p) => (
                <tr key={p.id}>
                  <td>
                    <strong>{p.name}</strong>
                    {p.description && <div className="muted">{p.description}</div>}
                  </td>
                  <td className="num">{p.statements.length}</td>
                  <td>{formatDate(p.updatedAt)}</td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="secondary small"
                      aria-label={`Edit ${p.name}`}
                      onClick={() => open({ id: p.id, text: pretty({ name: p.name, description: p.description, statements: p.statements }) })}
                    >
                      Edit
                    </button>
                    <PermButton perm={canWrite} className="secondary small" aria-label={`Delete ${p.name}`} onClick={() => void remove(p)}>
                      Delete
                    </PermButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        </div>
        <Simulator canListUsers={perms.can('users:read').allowed} />
      </div>
    </>
  );
}

function PolicyForm({
  editing,
  problem,
  setProblem,
  onSaved,
  onCancel,
}: {
  editing: NonNullable<Editing>;
  problem: Problem | null;
  setProblem: (p: Problem | null) => void;
  onSaved: (name: string) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState(editing.text);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [saving, setSaving] = useState(false);
  const errorsId = useId();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }

  const save = async () => {
    setProblem(null);
    setErrors([]);
    let doc: Schemas['PolicyDocument'];
    try {
      doc = JSON.parse(text) as Schemas['PolicyDocument'];
    } catch (err) {
      const message = err instanceof Error ? err.message : 'not valid JSON';
      setErrors([{ path: '', message: `Not valid JSON: ${message}` }]);
      return;
    }
    setSaving(true);
    try {
      if (editing.id) await api.PUT('/policies/{id}', { params: { path: { id: editing.id } }, body: doc });
      else await api.POST('/policies', { body: doc });
      onSaved(doc.name);
    } catch (err) {
      const p = problemOf(err);
      setErrors(p.errors ?? []);
      setProblem(p.errors?.length ? { ...p, errors: [] } : p);
    } finally {
      setSaving(false);
    }
  };

  return (
    <section aria-labelledby="editor-heading" className="card editor-card">
      <h2 id="editor-heading">{editing.id ? 'Edit policy' : 'New policy'}</h2>
      <div className="toolbar" role="group" aria-label="Templates">
        <span className="muted">Start from a template:</span>
        {POLICY_TEMPLATES.map((t) => (
          <button
            key={t.label}
            type="button"
            className="secondary small"
            onClick={() => {
              setText(pretty(t.doc));
              setErrors([]);
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      <PolicyEditor value={text} onChange={setText} errors={errors} describedBy={errors.length ? errorsId : undefined} />
      <ProblemAlert problem={problem} other={[]} onRetry={() => void save()} />
      <div id={errorsId}>
        {errors.length > 0 && (
          <ul role="alert" className="statement-errors">
            {errors.map((e) => (
              <li key={`${e.path}:${e.message}`}>
                <strong>{describePath(e.path, parsed)}</strong>: {e.message} <code>{e.path}</code>
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="actions">
        <button type="button" onClick={() => void save()} disabled={saving}>
          Save
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}

const REASONS: Record<Schemas['Decision']['reason'], string> = {
  explicit_allow: 'A statement allows it.',
  explicit_deny: 'A statement denies it (an explicit deny always wins).',
  implicit_deny: 'No statement allows it (default deny).',
};

function Simulator({ canListUsers }: { canListUsers: boolean }) {
  const users = useUsers(canListUsers);
  const names = useSecretNames();
  const [userId, setUserId] = useState('');
  const [roles, setRoles] = useState('Developer');
  const [action, setAction] = useState('secrets:read_value');
  const [secret, setSecret] = useState('');
  const [result, setResult] = useState<Schemas['Decision'] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  const simulate = async () => {
    setProblem(null);
    setResult(null);
    try {
      const { data } = await api.POST('/policies/simulate', {
        body: {
          principal: userId ? { userId } : { roles: splitList(roles), groups: [] },
          action: action as Schemas['SimulateRequest']['action'],
          resource: secret ? { secret } : { kind: 'secret' },
        },
      });
      setResult(data ?? null);
    } catch (err) {
      setProblem(problemOf(err));
    }
  };

  return (
    <section aria-labelledby="simulate-heading" className="card simulator">
      <h2 id="simulate-heading">Simulate</h2>
      <p className="muted">What enforcement would decide, and the statements that decided it.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void simulate();
        }}
      >
        <SelectField
          label="User"
          value={userId}
          onChange={(e) => setUserId(e.target.value)}
          options={[{ value: '', label: 'Any user with the role' }, ...(users.data ?? []).map((u) => ({ value: u.id, label: u.name || u.email }))]}
        />
        <TextField label="Role" value={roles} onChange={(e) => setRoles(e.target.value)} disabled={!!userId} hint="Comma-separated, used when no user is chosen." />
        <SelectField label="Action" value={action} onChange={(e) => setAction(e.target.value)} options={ACTION_NAMES.map((a) => ({ value: a, label: a }))} />
        <SelectField
          label="Secret"
          value={secret}
          onChange={(e) => setSecret(e.target.value)}
          options={[{ value: '', label: 'Any secret' }, ...(names.data ?? []).map((n) => ({ value: n, label: n }))]}
        />
        <div className="actions">
          <button type="submit">Simulate</button>
        </div>
      </form>
      <ProblemAlert problem={problem} onRetry={() => void simulate()} />
      <div role="status" className="sim-result">
        {result && (
          <>
            <p className={result.decision === 'allow' ? 'decision ok' : 'decision bad'}>{result.decision === 'allow' ? 'Allowed' : 'Denied'}</p>
            <p>{REASONS[result.reason]}</p>
            {result.matched.length > 0 ? (
              <ul>
                {result.matched.map((m) => (
                  <li key={`${m.policyId}:${m.sid}`}>
                    {m.policyName} — statement <code>{m.sid}</code>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted">No statement matched.</p>
            )}
          </>
        )}
      </div>
    </section>
  );
}
