import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, unwrap, type Secret } from '../api/client';
import { problemOf } from '../api/problem';
import { PermButton, usePermissions } from '../app/permissions';
import { SelectField, TextField } from '../ui/field';
import { formatDate, isOverdue, SECRET_TYPE_LABELS } from '../ui/format';
import { ProblemAlert } from '../ui/problem-alert';

// A small first page paints sooner; later pages are large so scrolling fetches rarely.
const FIRST_PAGE = 50;
const PAGE = 200;
const ROW_HEIGHT = 44;
const TYPE_OPTIONS = [{ value: '', label: 'All types' }, ...Object.entries(SECRET_TYPE_LABELS).map(([value, label]) => ({ value, label }))];
const DUE_OPTIONS = [
  { value: '', label: 'Any time' },
  { value: 'overdue', label: 'Overdue' },
  { value: '7d', label: 'Due in 7 days' },
  { value: '30d', label: 'Due in 30 days' },
];

type SecretType = Secret['type'];
type Due = 'overdue' | '7d' | '30d';

/** Settings > Secrets: searchable, filterable, virtualised, paged from the server 200 at a time. */
export function SecretsListPage() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const type = params.get('type') ?? '';
  const tag = params.get('tag') ?? '';
  const due = params.get('due') ?? '';
  const [search, setSearch] = useState(q);
  const [tagDraft, setTagDraft] = useState(tag);
  const perms = usePermissions([{ action: 'secrets:create' }]);

  const setParam = (key: string, value: string) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );

  // Search as the person types, one request per pause (the list answers from the server).
  useEffect(() => {
    if (search === q) return;
    const t = setTimeout(() => setParam('q', search), 150);
    return () => clearTimeout(t);
  }, [search]);

  const tagValid = tag === '' || /^[a-z0-9][a-z0-9_./-]*:.*$/.test(tag);
  const list = useInfiniteQuery({
    queryKey: ['secrets', { q, type, tag, due }],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/secrets', {
          params: {
            query: {
              limit: pageParam ? PAGE : FIRST_PAGE,
              ...(q ? { q } : {}),
              ...(type ? { type: type as SecretType } : {}),
              ...(tag ? { tag: [tag] } : {}),
              ...(due ? { due: due as Due } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    enabled: tagValid,
  });
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);

  return (
    <>
      <div className="page-head">
        <h1>Secrets</h1>
        <PermButton perm={perms.can('secrets:create')} onClick={() => void navigate('/settings/secrets/_new')}>
          Create Secret
        </PermButton>
      </div>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <TextField label="Search secrets" type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Name or description" />
        <SelectField label="Type" options={TYPE_OPTIONS} value={type} onChange={(e) => setParam('type', e.target.value)} />
        <TextField
          label="Tag"
          value={tagDraft}
          placeholder="key:value"
          hint="key:value, then Enter"
          error={tagValid ? undefined : 'Use key:value, e.g. environment:production'}
          onChange={(e) => setTagDraft(e.target.value)}
          onBlur={() => setParam('tag', tagDraft.trim())}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              setParam('tag', tagDraft.trim());
            }
          }}
        />
        <SelectField label="Due" options={DUE_OPTIONS} value={due} onChange={(e) => setParam('due', e.target.value)} />
      </form>
      {list.isError && <ProblemAlert problem={problemOf(list.error)} onRetry={() => void list.refetch()} />}
      <SecretsTable
        rows={rows}
        loading={list.isPending}
        hasMore={!!list.hasNextPage}
        loadMore={() => {
          if (list.hasNextPage && !list.isFetchingNextPage) void list.fetchNextPage();
        }}
      />
      <p className="muted" role="status">
        {list.isPending ? 'Loading secrets…' : `${rows.length}${list.hasNextPage ? '+' : ''} secret${rows.length === 1 ? '' : 's'}`}
      </p>
    </>
  );
}

function SecretsTable({ rows, loading, hasMore, loadMore }: { rows: Secret[]; loading: boolean; hasMore: boolean; loadMore: () => void }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const items = v.getVirtualItems();
  const last = items[items.length - 1];
  // A page can be short, even empty, with more to come (the API's evaluation budget): keep loading
  // until the visible rows are filled, not only when the last one scrolls into view.
  useEffect(() => {
    if (hasMore && (rows.length === 0 || (last && last.index >= rows.length - 40))) loadMore();
  }, [last, hasMore, rows.length, loadMore]);
  // Minute resolution, so rows re-render while scrolling only when their secret changes.
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const top = items[0]?.start ?? 0;
  const bottom = v.getTotalSize() - (last?.end ?? 0);

  return (
    <div className="table-scroll" ref={scrollRef} tabIndex={0} aria-label="Secrets list">
      <table className="secrets-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Description</th>
            <th scope="col">Tags</th>
            <th scope="col">Type</th>
            <th scope="col">Created</th>
            <th scope="col">Last rotated</th>
            <th scope="col">Bound resources</th>
            <th scope="col">Rotation due</th>
          </tr>
        </thead>
        <tbody>
          {top > 0 && (
            <tr aria-hidden="true" style={{ height: top }}>
              <td colSpan={8} />
            </tr>
          )}
          {items.map((item) => (
            <SecretRow key={(rows[item.index] as Secret).id} s={rows[item.index] as Secret} now={now} />
          ))}
          {bottom > 0 && (
            <tr aria-hidden="true" style={{ height: bottom }}>
              <td colSpan={8} />
            </tr>
          )}
          {!loading && !hasMore && rows.length === 0 && (
            <tr>
              <td colSpan={8} className="empty">
                No secrets match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {hasMore && <p className="muted more">Loading more as you scroll…</p>}
    </div>
  );
}

/** One row; memoised, so scrolling renders only the rows that come into view. */
const SecretRow = memo(function SecretRow({ s, now }: { s: Secret; now: number }) {
  const dueAt = s.reminder?.nextDueAt;
  const overdue = isOverdue(dueAt, now);
  return (
    <tr style={{ height: ROW_HEIGHT }}>
      <td className="name-cell">
        <Link to={`/settings/secrets/${encodeURIComponent(s.name)}`}>{s.name}</Link>
        {s.status !== 'active' && <span className={`badge badge-${s.status}`}>{s.status}</span>}
      </td>
      <td className="truncate" title={s.description}>
        {s.description}
      </td>
      <td className="truncate">
        {Object.entries(s.tags).map(([k, val]) => (
          <span key={k} className="tag">
            {k}:{val}
          </span>
        ))}
      </td>
      <td>{SECRET_TYPE_LABELS[s.type]}</td>
      <td>{formatDate(s.createdAt)}</td>
      <td>{formatDate(s.lastRotatedAt)}</td>
      <td className="num">{s.boundResources.length}</td>
      <td>
        {dueAt ? formatDate(dueAt) : '—'}
        {overdue && <span className="badge badge-overdue">Overdue</span>}
      </td>
    </tr>
  );
});
