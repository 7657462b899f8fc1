/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The overview: counts per state (each a filter link), the open incidents, the filter form (a
 * plain GET form: it works without script), then one page of checks, problems first, with a
 * cursor link to the next page; or the hosts as a tree of parents. Rows carry `data-check` and
 * their cells `data-field` so live.js can update them in place.
 */
import type { FC } from 'hono/jsx';
import { said } from '../core/said.ts';
import { formatTime, say, type Lang } from './i18n.ts';
import { Layout } from './layout.tsx';
import { LateBanner } from './loop-health-banner.tsx';
import { bucketOf, type Bucket, type Counts, type OverviewQuery, type OverviewRow, type Sort, type StateFilter, SORTS, STATE_FILTERS } from './overview-index.ts';
import type { Reader } from './reader.ts';
import type { IncidentView, TargetView } from './types.ts';

/** What the page's filter form holds: the index's query without its paging and scope, and the view. */
export type OverviewFilters = Omit<OverviewQuery, 'limit' | 'see'> & { view: 'list' | 'tree' };

export interface OverviewData {
  filters: OverviewFilters;
  counts: Counts;
  rows: OverviewRow[];
  next: string | null;
  incidents: IncidentView[];
  /** Outages resolved in the last hour, newest first. */
  recent: IncidentView[];
  tags: readonly string[];
  types: readonly string[];
  /** For the tree view: the visible targets and each one's counts. */
  tree?: { targets: TargetView[]; counts: (name: string) => Counts } | undefined;
  /** The scheduler's lag p99 over the last minute (ms) when checks run late (loop-health.ts). */
  late?: number | undefined;
}

const W = {
  title: said('Overview', '概要'),
  incidents: said('Open incidents', '対応中のインシデント'),
  noIncidents: said('No open incidents.', '対応中のインシデントはありません。'),
  recent: said('Resolved in the last hour', '直近1時間に解決'),
  resolved: said('resolved', '解決'),
  state: said('State', '状態'),
  target: said('Target', '対象'),
  tag: said('Tag', 'タグ'),
  type: said('Probe', 'プローブ'),
  text: said('Search', '検索'),
  sort: said('Sort', '並び順'),
  view: said('View', '表示'),
  any: said('any', 'すべて'),
  apply: said('Apply', '適用'),
  reset: said('Clear', 'クリア'),
  check: said('Check', 'チェック'),
  result: said('Result', '結果'),
  lastCheck: said('Last check', '最終チェック'),
  next: said('Next page →', '次のページ →'),
  first: said('← First page', '← 最初のページ'),
  none: said('No checks match.', '該当するチェックはありません。'),
  since: said('since', '開始'),
  details: said('details →', '詳細 →'),
  ack: said('acknowledged', '確認済み'),
  downtime: said('in downtime', 'ダウンタイム中'),
  tree: said('Hosts by parent', '親ごとのホスト'),
  treeCut: said('The tree shows the first 1,000 targets; filter by target or tag to see others.', 'ツリーには最初の 1,000 対象のみ表示しています。対象やタグで絞り込んでください。'),
} as const;

const SORT_WORDS: Record<Sort, ReturnType<typeof said>> = { problems: said('problems first', '問題を先に'), name: said('name', '名前'), changed: said('last change', '最終変化') };
const VIEW_WORDS = { list: said('checks', 'チェック一覧'), tree: said('parents tree', '親子ツリー') };
const STATE_WORDS: Record<StateFilter, ReturnType<typeof said>> = {
  problems: said('problems', '問題'),
  critical: said('critical', '重大'),
  warning: said('warning', '警告'),
  unknown: said('unknown', '不明'),
  ok: said('ok', '正常'),
  pending: said('pending', '未チェック'),
  handled: said('acknowledged / downtime', '確認済み・ダウンタイム'),
};
export const BUCKET_WORDS: Record<Bucket, ReturnType<typeof said>> = {
  CRITICAL: said('CRITICAL', '重大'),
  WARNING: said('WARNING', '警告'),
  UNKNOWN: said('UNKNOWN', '不明'),
  OK: said('OK', '正常'),
  PENDING: said('PENDING', '未チェック'),
  handled: said('handled', '対応済み'),
};
const STATE_NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

/** The query string of the filters, with some changed (links keep the rest). */
export function overviewHref(f: OverviewFilters, change: Partial<OverviewFilters> = {}): string {
  const all = { ...f, ...change };
  const q = new URLSearchParams();
  for (const k of ['state', 'target', 'tag', 'type', 'q', 'sort', 'view', 'cursor'] as const) {
    const v = all[k];
    if (v === undefined || v === '' || (k === 'sort' && v === 'problems') || (k === 'view' && v === 'list')) continue;
    q.set(k, v);
  }
  const s = q.toString();
  return s ? `/?${s}` : '/';
}

/** A check's state badge, as live.js redraws it. */
export const StateBadge: FC<{ r: Pick<OverviewRow, 'state' | 'lastCheck' | 'handled' | 'stateType' | 'attempt' | 'maxAttempts'>; lang: Lang }> = ({ r, lang }) => {
  const b = bucketOf(r);
  const name = b === 'PENDING' ? 'PENDING' : STATE_NAMES[r.state];
  return (
    <span data-field="state">
      <span class={`badge bg-${name}`}>{say(lang, BUCKET_WORDS[name])}</span>
      {r.lastCheck !== null && r.state !== 0 ? (
        <small>
          {' '}
          {r.stateType} {r.attempt}/{r.maxAttempts}
          {r.handled ? ` · ${say(lang, r.handled === 'ack' ? W.ack : W.downtime)}` : ''}
        </small>
      ) : null}
    </span>
  );
};

const Row: FC<{ r: OverviewRow; reader: Reader }> = ({ r, reader }) => (
  <tr data-check={r.id} data-bucket={bucketOf(r)}>
    <td>
      <StateBadge r={r} lang={reader.lang} />
    </td>
    <td>
      <a href={`/targets/${encodeURIComponent(r.target)}`}>{r.target}</a>
    </td>
    <td>
      <a href={`/checks/${encodeURIComponent(r.target)}/${encodeURIComponent(r.name)}`}>{r.name}</a> <small class="quiet">{r.type}</small>
    </td>
    <td class="text" data-field="text">
      {r.text}
    </td>
    <td data-field="last_check">{formatTime(r.lastCheck, reader.lang, reader.zone)}</td>
  </tr>
);

const Counts_: FC<{ counts: Counts; f: OverviewFilters; lang: Lang }> = ({ counts, f, lang }) => (
  <p class="counts" id="counts">
    {(['CRITICAL', 'WARNING', 'UNKNOWN', 'handled', 'PENDING', 'OK'] as const).map((b) => (
      <a class={`count fg-${b}`} data-count={b} href={overviewHref(f, { state: b === 'PENDING' ? 'pending' : (b.toLowerCase() as StateFilter), cursor: undefined })}>
        <b>{counts[b]}</b> {say(lang, BUCKET_WORDS[b])}
      </a>
    ))}
  </p>
);

const Select: FC<{ name: string; label: string; value: string | undefined; options: readonly (readonly [string, string])[]; any?: string }> = ({ name, label, value, options, any }) => (
  <label>
    {label}{' '}
    <select name={name}>
      {any !== undefined ? <option value="">{any}</option> : null}
      {options.map(([v, words]) => (
        <option value={v} selected={v === value}>
          {words}
        </option>
      ))}
    </select>
  </label>
);

const Filters: FC<{ d: OverviewData; lang: Lang }> = ({ d, lang }) => {
  const f = d.filters;
  const any = say(lang, W.any);
  return (
    <form class="filters" method="get" action="/" id="filters">
      <Select name="state" label={say(lang, W.state)} value={f.state} any={any} options={STATE_FILTERS.map((s) => [s, say(lang, STATE_WORDS[s])] as const)} />
      <label>
        {say(lang, W.target)} <input name="target" value={f.target ?? ''} maxlength={64} size={12} />
      </label>
      <Select name="tag" label={say(lang, W.tag)} value={f.tag} any={any} options={d.tags.map((t) => [t, t] as const)} />
      <Select name="type" label={say(lang, W.type)} value={f.type} any={any} options={d.types.map((t) => [t, t] as const)} />
      <label>
        {say(lang, W.text)} <input name="q" type="search" value={f.q ?? ''} maxlength={100} size={14} />
      </label>
      <Select name="sort" label={say(lang, W.sort)} value={f.sort} options={SORTS.map((s) => [s, say(lang, SORT_WORDS[s])] as const)} />
      <Select name="view" label={say(lang, W.view)} value={f.view} options={(['list', 'tree'] as const).map((v) => [v, say(lang, VIEW_WORDS[v])] as const)} />
      <button type="submit">{say(lang, W.apply)}</button> <a href="/">{say(lang, W.reset)}</a>
    </form>
  );
};

const Incidents: FC<{ incidents: IncidentView[]; recent: IncidentView[]; reader: Reader }> = ({ incidents, recent, reader }) => (
  <section id="incidents" data-live="incidents">
    <h2>{say(reader.lang, W.incidents)}</h2>
    {incidents.length === 0 ? (
      <p class="quiet">{say(reader.lang, W.noIncidents)}</p>
    ) : (
      <ul>
        {incidents.map((i) => (
          <li data-incident={String(i.id)}>
            <span class={`badge bg-${['down', 'critical', 'warning', 'unknown', 'ok'].includes(i.severity) ? i.severity : 'other'}`}>{i.severity.toUpperCase()}</span>{' '}
            <b>#{i.id}</b> {i.title}{' '}
            <small>
              {say(reader.lang, W.since)} {formatTime(i.opened_at, reader.lang, reader.zone)}
            </small>{' '}
            <a href={`/incidents/${i.id}`}>{say(reader.lang, W.details)}</a>
          </li>
        ))}
      </ul>
    )}
    {recent.length ? (
      <>
        <h3>{say(reader.lang, W.recent)}</h3>
        <ul id="recent-incidents">
          {recent.map((i) => (
            <li data-incident={String(i.id)} data-status="resolved">
              <span class="badge bg-OK">{say(reader.lang, W.resolved)}</span> <b>#{i.id}</b> {i.title}{' '}
              <small>
                {formatTime(i.opened_at, reader.lang, reader.zone)} – {i.resolved_at ? formatTime(i.resolved_at, reader.lang, reader.zone) : ''}
              </small>{' '}
              <a href={`/incidents/${i.id}`}>{say(reader.lang, W.details)}</a>
            </li>
          ))}
        </ul>
      </>
    ) : null}
  </section>
);

const WORST: Bucket[] = ['CRITICAL', 'UNKNOWN', 'WARNING', 'handled', 'PENDING', 'OK'];
const TREE_MAX = 1000;

const Tree: FC<{ tree: NonNullable<OverviewData['tree']>; lang: Lang }> = ({ tree, lang }) => {
  const names = new Set(tree.targets.map((t) => t.name));
  const children = new Map<string, TargetView[]>();
  const roots: TargetView[] = [];
  for (const t of tree.targets) {
    const ps = t.parents.filter((p) => names.has(p));
    if (ps.length === 0) roots.push(t);
    for (const p of ps) children.set(p, [...(children.get(p) ?? []), t]);
  }
  let shown = 0;
  const node = (t: TargetView, path: Set<string>): unknown => {
    if (shown++ >= TREE_MAX || path.has(t.name)) return null;
    const c = tree.counts(t.name);
    const worst = WORST.find((b) => c[b] > 0) ?? 'OK';
    const kids = children.get(t.name) ?? [];
    const inner = new Set(path).add(t.name);
    return (
      <li data-target={t.name}>
        <span class={`badge bg-${worst === 'handled' ? 'other' : worst}`}>{say(lang, BUCKET_WORDS[worst])}</span> <a href={`/targets/${encodeURIComponent(t.name)}`}>{t.name}</a> <small class="quiet">{t.address}</small>{' '}
        <small>{WORST.filter((b) => c[b] > 0).map((b) => `${c[b]} ${say(lang, BUCKET_WORDS[b])}`).join(' · ')}</small>
        {kids.length ? <ul>{kids.map((k) => node(k, inner))}</ul> : null}
      </li>
    );
  };
  return (
    <section id="tree">
      <h2>{say(lang, W.tree)}</h2>
      <ul class="tree">{roots.map((r) => node(r, new Set()))}</ul>
      {shown > TREE_MAX ? <p class="quiet">{say(lang, W.treeCut)}</p> : null}
    </section>
  );
};

export const OverviewPage: FC<{ reader: Reader; d: OverviewData }> = ({ reader, d }) => {
  const f = d.filters;
  const lang = reader.lang;
  return (
    <Layout reader={reader} section="overview" title={say(lang, W.title)}>
      <h1>{say(lang, W.title)}</h1>
      <LateBanner p99Ms={d.late} lang={lang} />
      <Counts_ counts={d.counts} f={f} lang={lang} />
      <Incidents incidents={d.incidents} recent={d.recent} reader={reader} />
      <Filters d={d} lang={lang} />
      {d.tree ? (
        <Tree tree={d.tree} lang={lang} />
      ) : (
        <section id="checks" data-live="checks" data-live-on="check" data-first-page={f.cursor ? undefined : 'yes'}>
          <table>
            <thead>
              <tr>
                <th>{say(lang, W.state)}</th>
                <th>{say(lang, W.target)}</th>
                <th>{say(lang, W.check)}</th>
                <th>{say(lang, W.result)}</th>
                <th>{say(lang, W.lastCheck)}</th>
              </tr>
            </thead>
            <tbody>
              {d.rows.map((r) => (
                <Row r={r} reader={reader} />
              ))}
            </tbody>
          </table>
          {d.rows.length === 0 ? <p class="quiet" id="no-checks">{say(lang, W.none)}</p> : null}
          <p class="pages">
            {f.cursor ? <a href={overviewHref(f, { cursor: undefined })} id="first-page">{say(lang, W.first)}</a> : null}{' '}
            {d.next ? (
              <a href={overviewHref(f, { cursor: d.next })} id="next-page" rel="next">
                {say(lang, W.next)}
              </a>
            ) : null}
          </p>
        </section>
      )}
    </Layout>
  );
};
