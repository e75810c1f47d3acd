import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { ACTION_NAMES } from '@nembl/policy/types';
import { api, BASE, unwrap, type Schemas } from '../api/client';
import { problemOf, type Problem } from '../api/problem';
import { PermButton, usePermissions } from '../app/permissions';
import { SelectField, TextField } from '../ui/field';
import { formatDateTime } from '../ui/format';
import { ProblemAlert } from '../ui/problem-alert';

interface Filters {
  action: string;
  actor: string;
  secret: string;
  decision: string;
  from: string;
  to: string;
}
const EMPTY: Filters = { action: '', actor: '', secret: '', decision: '', from: '', to: '' };
// Login and other non-policy events are audited too, so the action filter also takes free text.
const ACTIONS = [...ACTION_NAMES, 'auth:login', 'auth:login_failed', 'auth:logout', 'audit:export'];

/** datetime-local (the person's time zone) → ISO 8601 UTC for the API. */
const iso = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

export const auditQuery = (f: Filters) => ({
  ...(f.action ? { action: f.action } : {}),
  ...(f.actor ? { actor: f.actor } : {}),
  ...(f.secret ? { secret: f.secret } : {}),
  ...(f.decision ? { decision: f.decision as 'allow' | 'deny' } : {}),
  ...(f.from ? { from: iso(f.from) } : {}),
  ...(f.to ? { to: iso(f.to) } : {}),
});

export function AuditPage() {
  const perms = usePermissions([{ action: 'audit:read' }]);
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [verify, setVerify] = useState<Schemas['AuditVerification'] | null>(null);
  const [verifyProblem, setVerifyProblem] = useState<Problem | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [format, setFormat] = useState<'csv' | 'jsonl'>('csv');
  const sentinel = useRef<HTMLDivElement>(null);

  const list = useInfiniteQuery({
    queryKey: ['audit', 'log', filters],
    queryFn: ({ pageParam }) => unwrap(api.GET('/audit', { params: { query: { ...auditQuery(filters), limit: 100, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  const events = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);

  // Newest first; the next page loads as the end of the list scrolls into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && list.hasNextPage && !list.isFetchingNextPage) void list.fetchNextPage();
    });
    io.observe(el);
    return () => io.disconnect();
  }, [list]);

  const runVerify = async () => {
    setVerifying(true);
    setVerifyProblem(null);
    setVerify(null);
    try {
      setVerify(await unwrap(api.GET('/audit/verify')));
    } catch (err) {
      setVerifyProblem(problemOf(err));
    } finally {
      setVerifying(false);
    }
  };

  const exportEvents = () => {
    const q = new URLSearchParams({ ...(auditQuery(filters) as Record<string, string>), format });
    const a = document.createElement('a');
    a.href = `${BASE}/audit/export?${q.toString()}`;
    a.download = `audit.${format === 'csv' ? 'csv' : 'jsonl'}`;
    document.body.append(a);
    a.click();
    a.remove();
  };

  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));
  return (
    <>
      <div className="page-head">
        <h1>Audit log</h1>
        <div className="toolbar">
          <PermButton perm={perms.can('audit:read')} className="secondary" onClick={() => void runVerify()} disabled={verifying}>
            Verify integrity
          </PermButton>
          <SelectField
            label="Export format"
            className="inline"
            value={format}
            onChange={(e) => setFormat(e.target.value as 'csv' | 'jsonl')}
            options={[
              { value: 'csv', label: 'CSV' },
              { value: 'jsonl', label: 'JSON lines' },
            ]}
          />
          <PermButton perm={perms.can('audit:read')} className="secondary" onClick={exportEvents}>
            Export
          </PermButton>
        </div>
      </div>
      <div role="status" className="verify">
        {verifying && 'Verifying the hash chain…'}
        {verify &&
          (verify.ok ? (
            <p className="ok">Chain verified: {verify.checked} events checked.</p>
          ) : (
            <p className="bad">
              Chain broken at event <code>{verify.firstBadEventId}</code> ({verify.checked} checked).
            </p>
          ))}
      </div>
      {verifyProblem && <ProblemAlert problem={verifyProblem} onRetry={() => void runVerify()} />}
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <datalist id="audit-actions">
          {ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <TextField label="Action" list="audit-actions" value={draft.action} onChange={set('action')} autoComplete="off" />
        <TextField label="Actor" value={draft.actor} onChange={set('actor')} autoComplete="off" />
        <TextField label="Secret" value={draft.secret} onChange={set('secret')} autoComplete="off" />
        <SelectField
          label="Decision"
          value={draft.decision}
          onChange={set('decision')}
          options={[
            { value: '', label: 'Any' },
            { value: 'allow', label: 'Allowed' },
            { value: 'deny', label: 'Denied' },
          ]}
        />
        <TextField label="From" type="datetime-local" value={draft.from} onChange={set('from')} />
        <TextField label="To" type="datetime-local" value={draft.to} onChange={set('to')} />
        <div className="actions">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {list.isError && <ProblemAlert problem={problemOf(list.error)} onRetry={() => void list.refetch()} />}
      <table className="audit-table">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Resource</th>
            <th scope="col">Decision</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id}>
              <td>{formatDateTime(e.at)}</td>
              <td>
                {e.actor.label} <span className="muted">({e.actor.type})</span>
              </td>
              <td>
                <code>{e.action}</code>
                {e.count > 1 ? <span className="muted"> ×{e.count}</span> : null}
              </td>
              <td>
                {e.resource.kind}
                {e.resource.name ? `: ${e.resource.name}` : ''}
              </td>
              <td>
                <span className={`badge badge-${e.decision}`}>{e.decision}</span>
              </td>
              <td>{e.reason}</td>
            </tr>
          ))}
          {!list.isPending && events.length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                No events match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <div ref={sentinel} className="sentinel">
        {list.isFetchingNextPage ? 'Loading more…' : list.hasNextPage ? '' : events.length > 0 ? 'Beginning of the log.' : ''}
      </div>
    </>
  );
}
