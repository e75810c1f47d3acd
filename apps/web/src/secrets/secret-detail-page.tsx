import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation, useNavigate, useParams } from 'react-router';
import { api, unwrap, type Operation, type Schemas } from '../api/client';
import { problemOf } from '../api/problem';
import { PermButton, usePermissions } from '../app/permissions';
import { formatDate, formatDateTime, isOverdue, SECRET_TYPE_LABELS } from '../ui/format';
import { ProblemAlert } from '../ui/problem-alert';
import { OPERATION_LABELS } from './operations';
import { DeleteSecretDialog, EditSecretDialog, ReminderDialog, UpdateValueDialog } from './secret-dialogs';

type Dialogs = 'value' | 'reminder' | 'edit' | 'delete' | null;

export function SecretDetailPage() {
  const { name = '' } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [open, setOpen] = useState<Dialogs>(null);
  // Once deleted, nothing on this page may ask for the secret again (it would be a 404).
  const [deleted, setDeleted] = useState(false);
  const [notice, setNotice] = useState<string | null>((location.state as { created?: boolean } | null)?.created ? 'Secret created.' : null);
  const perms = usePermissions([
    { action: 'secrets:update', secret: name },
    { action: 'secrets:delete', secret: name },
    { action: 'secrets:create' },
    { action: 'audit:read' },
  ]);
  const detail = useQuery({
    queryKey: ['secret', name],
    queryFn: () => unwrap(api.GET('/secrets/{name}', { params: { path: { name } } })),
    enabled: !deleted,
    refetchInterval: (q) => (q.state.data && ['pending', 'deleting'].includes(q.state.data.secret.status) ? 1000 : false),
  });
  const operations = useQuery({
    queryKey: ['operations', name],
    queryFn: async () =>
      (await unwrap(api.GET('/operations', { params: { query: { secret: name, status: ['queued', 'running', 'failed'], limit: 10 } } }))).items,
    refetchInterval: (q) => ((q.state.data ?? []).some((o) => o.status === 'queued' || o.status === 'running') ? 1000 : false),
    retry: false,
    enabled: !deleted,
  });
  const canAudit = perms.can('audit:read').allowed;
  const audit = useQuery({
    queryKey: ['audit', 'secret', name],
    queryFn: async () => (await unwrap(api.GET('/audit', { params: { query: { secret: name, limit: 20 } } }))).items,
    enabled: canAudit && !deleted,
  });

  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['secret', name] });
    void qc.invalidateQueries({ queryKey: ['operations', name] });
    void qc.invalidateQueries({ queryKey: ['audit', 'secret', name] });
    void qc.invalidateQueries({ queryKey: ['secrets'] });
  };

  if (detail.isPending) return <p role="status">Loading {name}…</p>;
  if (detail.isError)
    return (
      <>
        <h1>{name}</h1>
        <ProblemAlert problem={problemOf(detail.error)} onRetry={() => void detail.refetch()} />
      </>
    );
  const { secret, versions } = detail.data;
  const ops = (operations.data ?? []).filter((o) => o.status !== 'succeeded');
  const failedCreate = secret.status === 'failed';
  const dueAt = secret.reminder?.nextDueAt;

  return (
    <>
      <div className="page-head">
        <h1>{secret.name}</h1>
        <span className={`badge badge-${secret.status}`}>{secret.status}</span>
      </div>
      {notice && (
        <div role="status" className="notice">
          <p>{notice}</p>
          <button type="button" className="secondary small" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}
      <p className="note">The value cannot be viewed again. Machines read it with a service token; to change it, use Update Value.</p>
      <div className="toolbar" role="group" aria-label="Secret actions">
        <PermButton perm={perms.can('secrets:update', name)} onClick={() => setOpen('value')} disabled={secret.status !== 'active'}>
          Update Value
        </PermButton>
        <PermButton perm={perms.can('secrets:update', name)} onClick={() => setOpen('reminder')} className="secondary" disabled={secret.status !== 'active'}>
          Set Rotation Reminder
        </PermButton>
        <PermButton perm={perms.can('secrets:update', name)} onClick={() => setOpen('edit')} className="secondary" disabled={secret.status !== 'active'}>
          Edit
        </PermButton>
        <PermButton perm={perms.can('secrets:delete', name)} onClick={() => setOpen('delete')} className="danger" disabled={secret.status === 'deleting'}>
          Delete
        </PermButton>
        {failedCreate && (
          <PermButton perm={perms.can('secrets:create')} className="secondary" onClick={() => void navigate(`/settings/secrets/_new?name=${encodeURIComponent(secret.name)}`)}>
            Create Secret
          </PermButton>
        )}
      </div>
      {ops.length > 0 && (
        <section aria-labelledby="ops-heading" className="card">
          <h2 id="ops-heading">Operations</h2>
          <ul className="ops">
            {ops.map((o) => (
              <OperationItem key={o.id} op={o} />
            ))}
          </ul>
        </section>
      )}
      {operations.isError && <ProblemAlert problem={problemOf(operations.error)} onRetry={() => void operations.refetch()} />}

      <section aria-labelledby="meta-heading" className="card">
        <h2 id="meta-heading">Details</h2>
        <dl className="meta">
          <dt>Type</dt>
          <dd>{SECRET_TYPE_LABELS[secret.type]}</dd>
          <dt>Description</dt>
          <dd>{secret.description || '—'}</dd>
          <dt>Tags</dt>
          <dd>
            {Object.keys(secret.tags).length === 0
              ? '—'
              : Object.entries(secret.tags).map(([k, v]) => (
                  <span key={k} className="tag">
                    {k}:{v}
                  </span>
                ))}
          </dd>
          <dt>Path</dt>
          <dd>
            <code>{secret.path}</code>
          </dd>
          <dt>Created</dt>
          <dd>
            {formatDateTime(secret.createdAt)} by {secret.createdBy.name}
          </dd>
          <dt>Last rotated</dt>
          <dd>{formatDateTime(secret.lastRotatedAt)}</dd>
          <dt>Rotation reminder</dt>
          <dd>
            {secret.reminder ? (
              <>
                Every {secret.reminder.intervalDays} days, next due {formatDate(dueAt)}
                {isOverdue(dueAt) && <span className="badge badge-overdue">Overdue</span>}
                {secret.reminder.lastError && <span className="field-error"> Last reminder failed: {secret.reminder.lastError}</span>}
              </>
            ) : (
              'None'
            )}
          </dd>
        </dl>
      </section>

      <section aria-labelledby="owners-heading" className="card">
        <h2 id="owners-heading">Owners</h2>
        {secret.owners.length === 0 ? (
          <p className="muted">No owners: reminders go to the company's admins.</p>
        ) : (
          <ul>
            {secret.owners.map((o) => (
              <li key={o.id}>{o.email}</li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="versions-heading" className="card">
        <h2 id="versions-heading">Versions</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Date</th>
              <th scope="col">Who</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version}>
                <td>
                  {v.version}
                  {v.version === secret.version ? ' (current)' : ''}
                </td>
                <td>{formatDateTime(v.createdAt)}</td>
                <td>{v.createdBy.name}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section aria-labelledby="bound-heading" className="card">
        <h2 id="bound-heading">Bound resources</h2>
        <BoundList items={secret.boundResources} />
      </section>

      <section aria-labelledby="trail-heading" className="card">
        <h2 id="trail-heading">Audit trail</h2>
        {!canAudit && <p className="muted">Your policies do not allow audit:read.</p>}
        {audit.isError && <ProblemAlert problem={problemOf(audit.error)} onRetry={() => void audit.refetch()} />}
        {audit.data && (
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Decision</th>
              </tr>
            </thead>
            <tbody>
              {audit.data.map((e) => (
                <tr key={e.id}>
                  <td>{formatDateTime(e.at)}</td>
                  <td>{e.actor.label}</td>
                  <td>
                    {e.action}
                    {e.count > 1 ? ` ×${e.count}` : ''}
                  </td>
                  <td>{e.decision}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <UpdateValueDialog
        name={name}
        open={open === 'value'}
        onOpenChange={(o) => setOpen(o ? 'value' : null)}
        onDone={(msg) => {
          setNotice(msg);
          refresh();
        }}
      />
      <ReminderDialog
        secret={secret}
        open={open === 'reminder'}
        onOpenChange={(o) => setOpen(o ? 'reminder' : null)}
        onDone={(msg) => {
          setNotice(msg);
          refresh();
        }}
      />
      <EditSecretDialog
        secret={secret}
        open={open === 'edit'}
        onOpenChange={(o) => setOpen(o ? 'edit' : null)}
        onDone={(msg) => {
          setNotice(msg);
          refresh();
        }}
      />
      <DeleteSecretDialog
        name={name}
        open={open === 'delete'}
        onOpenChange={(o) => setOpen(o ? 'delete' : null)}
        onDeleted={() => {
          setDeleted(true);
          qc.removeQueries({ queryKey: ['secret', name] });
          qc.removeQueries({ queryKey: ['operations', name] });
          void qc.invalidateQueries({ queryKey: ['secrets'] });
          void qc.invalidateQueries({ queryKey: ['secret-names'] });
          void navigate('/settings/secrets', { state: { deleted: name } });
        }}
      />
    </>
  );
}

export function BoundList({ items }: { items: Schemas['BoundResource'][] }) {
  if (items.length === 0) return <p className="muted">Nothing is bound to this secret.</p>;
  return (
    <ul className="bound">
      {items.map((b, i) =>
        'hidden' in b ? (
          // A resource the person may not read: counted, never named.
          <li key={`hidden:${i}`}>
            <span className="badge">{b.kind === 'connector' ? 'Connector' : 'Workflow phase'}</span> <em>one you may not see</em>
          </li>
        ) : (
          <li key={`${b.kind}:${b.id}:${b.detail}`}>
            <span className="badge">{b.kind === 'connector' ? 'Connector' : 'Workflow phase'}</span> <strong>{b.name}</strong>
            {b.detail ? <span className="muted"> — {b.detail}</span> : null}
          </li>
        ),
      )}
    </ul>
  );
}

function OperationItem({ op }: { op: Operation }) {
  return (
    <li className={`op op-${op.status}`}>
      <strong>{OPERATION_LABELS[op.kind]}</strong> {op.status} since {formatDateTime(op.createdAt)}
      {op.error && (
        <span className="field-error">
          {' '}
          — {op.error.message} ({op.error.code})
        </span>
      )}
    </li>
  );
}
