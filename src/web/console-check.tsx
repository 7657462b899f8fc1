/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The check page: its state now, the state band and response-time plot over 1 h / 24 h / 7 d, the
 * last results with the plugin's words and perfdata, its configuration (secrets masked) and
 * "check now" for operators. The band is SVG drawn by the server (readable without script); the
 * plot is drawn by plot.js with uPlot from the data in its `data-plot` attribute.
 */
import type { FC } from 'hono/jsx';
import { allows } from '../auth/types.ts';
import { formatPerfdata } from '../core/perfdata.ts';
import { said } from '../core/said.ts';
import type { StoredResult } from '../store/types.ts';
import { plotData, RANGES, runs, type Point, type Range } from './console-check-data.tsx';
import { timeAt } from './console-time.tsx';
import { formatTime, say, type Lang } from './i18n.ts';
import { Layout } from './layout.tsx';
import type { OverviewRow } from './overview-index.ts';
import { StateBadge } from './overview-page.tsx';
import type { Reader } from './reader.ts';

export const W = {
  history: said('History', '履歴'),
  band: said('State', '状態'),
  plot: said('Response time', '応答時間'),
  noData: said('No results in this range yet.', 'この期間の結果はまだありません。'),
  results: said('Last results', '最近の結果'),
  at: said('At', '時刻'),
  state: said('State', '状態'),
  text: said('Plugin output', 'プラグインの出力'),
  perf: said('Perfdata', 'パフォーマンスデータ'),
  took: said('Took', '所要'),
  config: said('Configuration', '設定'),
  checkNow: said('Check now', '今すぐチェック'),
  ran: said('Asked for a check now; the result shows here when it comes.', '今すぐチェックを依頼しました。結果が届くとここに表示されます。'),
  target: said('Target', '対象'),
  lastCheck: said('Last check', '最終チェック'),
  lastChange: said('Last change', '最終変化'),
  interval: said('Interval', '間隔'),
  timeout: said('Timeout', 'タイムアウト'),
  attempts: said('Attempts before hard', 'ハード状態までの試行回数'),
  type: said('Probe', 'プローブ'),
  options: said('Options', 'オプション'),
} as const;

const STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

/** The range links (plain links: no script needed). */
export const RangeLinks: FC<{ base: string; range: Range }> = ({ base, range }) => (
  <p class="ranges">
    {(Object.keys(RANGES) as Range[]).map((r) => (
      <a href={`${base}?range=${r}`} class={r === range ? 'here' : undefined} aria-current={r === range ? 'true' : undefined}>
        {r}
      </a>
    ))}
  </p>
);

/** The state band: one rectangle per run of a state, as SVG (no inline style under the CSP). */
export const Band: FC<{ points: Point[]; range: Range; now: number; lang: Lang; zone: string; label?: string }> = ({ points, range, now, lang, zone, label }) => {
  const from = now - RANGES[range];
  return (
    <svg class="band" viewBox="0 0 1000 10" preserveAspectRatio="none" role="img" aria-label={label ?? say(lang, W.band)} data-runs={String(runs(points, from, now).length)}>
      <rect x="0" y="0" width="1000" height="10" class="none" />
      {runs(points, from, now).map((r) => (
        <rect x={r.x.toFixed(2)} y="0" width={Math.max(r.w, 3).toFixed(2)} height="10" class={`st-${STATES[r.state]}`}>
          <title>
            {STATES[r.state]} {timeAt(r.start, lang, zone)} – {timeAt(r.end, lang, zone)}
          </title>
        </rect>
      ))}
    </svg>
  );
};

export const History: FC<{ points: Point[]; range: Range; now: number; reader: Reader; base: string; title?: string }> = ({ points, range, now, reader, base, title }) => (
  <section id="history">
    <h2>{title ?? say(reader.lang, W.history)}</h2>
    <RangeLinks base={base} range={range} />
    <Band points={points} range={range} now={now} lang={reader.lang} zone={reader.zone} />
    <p class="axis quiet">
      <span>{formatTime(now - RANGES[range], reader.lang, reader.zone)}</span> <span class="right">{formatTime(now, reader.lang, reader.zone)}</span>
    </p>
    <h2>{say(reader.lang, W.plot)}</h2>
    {points.length ? <div class="plot" id="plot" data-plot={plotData(points)}></div> : <p class="quiet">{say(reader.lang, W.noData)}</p>}
  </section>
);

export const Results: FC<{ results: StoredResult[]; reader: Reader }> = ({ results, reader }) => (
  <table id="results">
    <thead>
      <tr>
        <th>{say(reader.lang, W.at)}</th>
        <th>{say(reader.lang, W.state)}</th>
        <th>{say(reader.lang, W.text)}</th>
        <th>{say(reader.lang, W.perf)}</th>
        <th>{say(reader.lang, W.took)}</th>
      </tr>
    </thead>
    <tbody>
      {results.map((r) => (
        <tr data-state={STATES[r.state]}>
          <td>{timeAt(r.startedAt, reader.lang, reader.zone)}</td>
          <td>
            <span class={`badge bg-${STATES[r.state]}`}>{STATES[r.state]}</span>
          </td>
          <td class="text">
            {r.text}
            {r.longOutput ? <pre class="long">{r.longOutput.slice(0, 4000)}</pre> : null}
          </td>
          <td class="text">{formatPerfdata(r.perfdata)}</td>
          <td>{Math.round(r.durationMs)} ms</td>
        </tr>
      ))}
    </tbody>
  </table>
);

const secs = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);

export interface CheckPageData {
  row: OverviewRow;
  range: Range;
  now: number;
  points: Point[];
  results: StoredResult[];
  config: { type: string; interval_ms: number; retry_interval_ms: number; timeout_ms: number; max_attempts: number; options: Record<string, unknown> } | undefined;
  ran: boolean;
}

export const CheckPage: FC<{ reader: Reader; d: CheckPageData }> = ({ reader, d }) => {
  const { row, lang } = { row: d.row, lang: reader.lang };
  const base = `/checks/${encodeURIComponent(row.target)}/${encodeURIComponent(row.name)}`;
  return (
    <Layout reader={reader} section={undefined} title={row.id}>
      <link rel="stylesheet" href="/static/uplot.css" />
      <h1>
        <a href={`/targets/${encodeURIComponent(row.target)}`}>{row.target}</a> / {row.name} <small class="quiet">{row.type}</small>
      </h1>
      <section id="now" data-live="now" data-live-on="check" data-live-check={row.id}>
        <p>
          <StateBadge r={row} lang={lang} /> <span class="text">{row.text}</span>
        </p>
        <p class="quiet">
          {say(lang, W.lastCheck)}: {formatTime(row.lastCheck, lang, reader.zone)} · {say(lang, W.lastChange)}: {formatTime(row.lastChange, lang, reader.zone)}
        </p>
      </section>
      {d.ran ? <p class="note" id="ran">{say(lang, W.ran)}</p> : null}
      {reader.csrf && allows(reader.role, 'operator') ? (
        <form method="post" action={`${base}/run`} class="inline">
          <input type="hidden" name="csrf" value={reader.csrf} />
          <button type="submit" id="check-now">{say(lang, W.checkNow)}</button>
        </form>
      ) : null}
      <History points={d.points} range={d.range} now={d.now} reader={reader} base={base} />
      <section data-live="results" data-live-on="check" data-live-check={row.id}>
        <h2>{say(lang, W.results)}</h2>
        <Results results={d.results} reader={reader} />
      </section>
      {d.config ? (
        <section id="config">
          <h2>{say(lang, W.config)}</h2>
          <dl class="config">
            <dt>{say(lang, W.type)}</dt>
            <dd>{d.config.type}</dd>
            <dt>{say(lang, W.interval)}</dt>
            <dd>
              {secs(d.config.interval_ms)} ({secs(d.config.retry_interval_ms)})
            </dd>
            <dt>{say(lang, W.timeout)}</dt>
            <dd>{secs(d.config.timeout_ms)}</dd>
            <dt>{say(lang, W.attempts)}</dt>
            <dd>{d.config.max_attempts}</dd>
            <dt>{say(lang, W.options)}</dt>
            <dd>
              <pre class="text">{JSON.stringify(d.config.options, null, 2)}</pre>
            </dd>
          </dl>
        </section>
      ) : null}
      <script src="/static/uplot.js" defer></script>
      <script src="/static/plot.js" defer></script>
    </Layout>
  );
};
