/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The target page: what it is (address, tags, parents and children), its checks now with a state
 * band each over the chosen range, the response-time plot of its first check, and its open
 * incidents.
 */
import type { FC } from 'hono/jsx';
import { said } from '../core/said.ts';
import { Band, History, W as CW } from './console-check.tsx';
import type { Point, Range } from './console-check-data.tsx';
import { formatTime, say } from './i18n.ts';
import { Layout } from './layout.tsx';
import type { OverviewRow } from './overview-index.ts';
import { StateBadge } from './overview-page.tsx';
import type { Reader } from './reader.ts';
import type { IncidentView, TargetView } from './types.ts';

const W = {
  address: said('Address', 'アドレス'),
  tags: said('Tags', 'タグ'),
  parents: said('Parents', '親'),
  children: said('Children', '子'),
  checks: said('Checks', 'チェック'),
  incidents: said('Open incidents', '対応中のインシデント'),
  none: said('none', 'なし'),
  history: said('History', '履歴'),
} as const;

export interface TargetPageData {
  target: TargetView;
  children: string[];
  rows: OverviewRow[];
  bands: Map<string, Point[]>;
  first: { row: OverviewRow; points: Point[] } | undefined;
  range: Range;
  now: number;
  incidents: IncidentView[];
}

const Links: FC<{ names: string[]; none: string }> = ({ names, none }) =>
  names.length ? (
    <>
      {names.map((n, i) => (
        <>
          {i ? ', ' : ''}
          <a href={`/targets/${encodeURIComponent(n)}`}>{n}</a>
        </>
      ))}
    </>
  ) : (
    <span class="quiet">{none}</span>
  );

export const TargetPage: FC<{ reader: Reader; d: TargetPageData }> = ({ reader, d }) => {
  const lang = reader.lang;
  const t = d.target;
  const base = `/targets/${encodeURIComponent(t.name)}`;
  return (
    <Layout reader={reader} section={undefined} title={t.name}>
      <link rel="stylesheet" href="/static/uplot.css" />
      <h1>{t.name}</h1>
      <dl class="config">
        <dt>{say(lang, W.address)}</dt>
        <dd>{t.address}</dd>
        <dt>{say(lang, W.tags)}</dt>
        <dd>{t.tags.length ? t.tags.join(', ') : <span class="quiet">{say(lang, W.none)}</span>}</dd>
        <dt>{say(lang, W.parents)}</dt>
        <dd>
          <Links names={t.parents} none={say(lang, W.none)} />
        </dd>
        <dt>{say(lang, W.children)}</dt>
        <dd>
          <Links names={d.children} none={say(lang, W.none)} />
        </dd>
      </dl>
      <section data-live="incidents" data-live-target={t.name}>
        {d.incidents.length ? (
          <>
            <h2>{say(lang, W.incidents)}</h2>
            <ul>
              {d.incidents.map((i) => (
                <li data-incident={String(i.id)}>
                  <a href={`/incidents/${i.id}`}>#{i.id}</a> {i.title} <small>{formatTime(i.opened_at, lang, reader.zone)}</small>
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>
      <h2>{say(lang, W.checks)}</h2>
      <section id="checks" data-live="checks" data-live-on="check" data-live-target={t.name}>
        <table>
          <tbody>
            {d.rows.map((r) => (
              <tr data-check={r.id}>
                <td>
                  <StateBadge r={r} lang={lang} />
                </td>
                <td>
                  <a href={`/checks/${encodeURIComponent(r.target)}/${encodeURIComponent(r.name)}`}>{r.name}</a> <small class="quiet">{r.type}</small>
                </td>
                <td class="text">{r.text}</td>
                <td class="band-cell">
                  <Band points={d.bands.get(r.id) ?? []} range={d.range} now={d.now} lang={lang} zone={reader.zone} label={`${r.name}: ${say(lang, CW.band)}`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {d.first ? (
        <History points={d.first.points} range={d.range} now={d.now} reader={reader} base={base} title={`${say(lang, W.history)}: ${d.first.row.name}`} />
      ) : null}
      <script src="/static/uplot.js" defer></script>
      <script src="/static/plot.js" defer></script>
    </Layout>
  );
};
