/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The incident list: open incidents first, then every incident newest first in keyset pages of
 * the store (store/incident-queries.ts: "newer" and "older" links carry an opaque cursor),
 * filtered by status, kind and target. A viewer's scope is applied by the store's walk, so a page
 * is full while more visible incidents exist. A plain GET form: works without a script.
 */
import type { FC } from 'hono/jsx';
import { IncidentCursorError } from '../store/incident-queries.ts';
import type { WebDeps } from './deps.ts';
import { At } from './console-time.tsx';
import { Severity, words } from './pages-console-kit.tsx';
import type { Reader } from './reader.ts';
import type { IncidentRow } from './types.ts';

export interface IncidentFilter {
  status?: 'open' | 'resolved' | undefined;
  kind?: 'outage' | 'attack' | undefined;
  target?: string | undefined;
}

/** Incidents on a page of the list. */
export const INCIDENT_PAGE = 50;
/** At most this many open incidents above the list. */
const OPEN_SHOWN = 200;

export interface IncidentListData {
  filter: IncidentFilter;
  /** The open incidents, on the unfiltered newest page only. */
  open: IncidentRow[] | undefined;
  rows: IncidentRow[];
  /** Cursors of the older and newer pages. */
  next: string | null;
  prev: string | null;
}

const rowOf = (i: IncidentRow): IncidentRow => ({ id: i.id, target: i.target, kind: i.kind, status: i.status, severity: i.severity, title: i.title, openedAt: i.openedAt, resolvedAt: i.resolvedAt });

/** The list's data for a query string (`status`, `kind`, `target`, `cursor`); `see`: a viewer's scope. */
export async function incidentListData(deps: WebDeps, q: Record<string, string>, see: ((target: string) => boolean) | undefined): Promise<IncidentListData> {
  const target = q.target?.trim().slice(0, 200);
  const filter: IncidentFilter = { status: q.status === 'open' || q.status === 'resolved' ? q.status : undefined, kind: q.kind === 'outage' || q.kind === 'attack' ? q.kind : undefined, target: target || undefined };
  const cursor = q.cursor && /^[A-Za-z0-9_-]{1,64}$/.test(q.cursor) ? q.cursor : undefined;
  const read = (c: string | undefined) => deps.incidentPage({ ...filter, limit: INCIDENT_PAGE, cursor: c, see });
  // A cursor the store did not make (edited by hand) shows the newest page rather than an error.
  const pg = await read(cursor).catch((e: unknown) => (e instanceof IncidentCursorError ? read(undefined) : Promise.reject(e)));
  const first = pg.prev === null && !filter.status && !filter.kind && !filter.target;
  const open = first ? (await deps.incidentPage({ status: 'open', limit: OPEN_SHOWN, see })).items.map(rowOf) : undefined;
  return { filter, open, rows: pg.items.map(rowOf), next: pg.next, prev: pg.prev };
}

/** "Newer" and "older" links keeping the filters. */
const Pager: FC<{ filter: IncidentFilter; next: string | null; prev: string | null; r: Reader }> = ({ filter, next, prev, r }) => {
  if (next === null && prev === null) return null;
  const t = words(r.lang);
  const href = (cursor: string) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
    q.set('cursor', cursor);
    return `/incidents?${q.toString()}`;
  };
  return (
    <p class="pager">
      {prev !== null ? (
        <a href={href(prev)} rel="prev">
          {t('← Newer', '← 新しい順へ')}
        </a>
      ) : null}
      {prev !== null && next !== null ? ' · ' : null}
      {next !== null ? (
        <a href={href(next)} rel="next">
          {t('Older →', '古い順へ →')}
        </a>
      ) : null}
    </p>
  );
};

const Rows: FC<{ rows: IncidentRow[]; r: Reader; id: string }> = ({ rows, r, id }) => {
  const t = words(r.lang);
  if (rows.length === 0) return <p class="quiet" id={id}>{t('None.', 'ありません。')}</p>;
  return (
    <table id={id}>
      <thead>
        <tr>
          <th>#</th>
          <th>{t('Severity', '重大度')}</th>
          <th>{t('Status', '状態')}</th>
          <th>{t('Kind', '種類')}</th>
          <th>{t('Target', '対象')}</th>
          <th>{t('What', '内容')}</th>
          <th>{t('Opened', '発生')}</th>
          <th>{t('Resolved', '解決')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((i) => (
          <tr data-incident={String(i.id)} data-status={i.status}>
            <td>
              <a href={`/incidents/${i.id}`}>#{i.id}</a>
            </td>
            <td>
              <Severity s={i.severity} />
            </td>
            <td>{i.status === 'open' ? t('open', '未解決') : t('resolved', '解決済み')}</td>
            <td>{i.kind === 'attack' ? t('attack', '攻撃') : t('outage', '障害')}</td>
            <td>{i.target}</td>
            <td class="text">
              <a href={`/incidents/${i.id}`}>{i.title}</a>
            </td>
            <td>
              <At at={i.openedAt} r={r} />
            </td>
            <td>
              <At at={i.resolvedAt} r={r} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
};

export const IncidentsPage: FC<IncidentListData & { r: Reader }> = ({ r, filter, open, rows, next, prev }) => {
  const t = words(r.lang);
  const opt = (value: string, label: string, current: string | undefined) => (
    <option value={value} selected={(current ?? '') === value}>
      {label}
    </option>
  );
  return (
    <div>
      <h1>{t('Incidents', 'インシデント')}</h1>
      <form method="get" action="/incidents" class="filters">
        <label>
          {t('Status', '状態')}{' '}
          <select name="status">
            {opt('', t('all', 'すべて'), filter.status)}
            {opt('open', t('open', '未解決'), filter.status)}
            {opt('resolved', t('resolved', '解決済み'), filter.status)}
          </select>
        </label>{' '}
        <label>
          {t('Kind', '種類')}{' '}
          <select name="kind">
            {opt('', t('all', 'すべて'), filter.kind)}
            {opt('outage', t('outage', '障害'), filter.kind)}
            {opt('attack', t('attack', '攻撃'), filter.kind)}
          </select>
        </label>{' '}
        <label>
          {t('Target', '対象')} <input name="target" value={filter.target ?? ''} maxlength={200} size={16} />
        </label>{' '}
        <button type="submit">{t('Show', '表示')}</button>
      </form>
      <div data-live="incidents" data-live-on="incident">
        {open ? (
          <section>
            <h2>{t('Open now', '現在未解決')}</h2>
            <Rows rows={open} r={r} id="open-incidents" />
          </section>
        ) : null}
        <section>
          <h2>{open ? t('Recent', '最近のインシデント') : t('Matching incidents', '該当するインシデント')}</h2>
          <Rows rows={rows} r={r} id="incident-list" />
          <Pager filter={filter} next={next} prev={prev} r={r} />
        </section>
      </div>
    </div>
  );
};
