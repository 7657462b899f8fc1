/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The incident list: open incidents first, then every incident newest first with a cursor,
 * filtered by status and kind. A plain GET form: works without a script.
 */
import type { FC } from 'hono/jsx';
import { Next, Severity, When, words } from './pages-console-kit.tsx';
import type { Reader } from './reader.ts';
import type { IncidentRow } from './types.ts';

export interface IncidentFilter {
  status?: 'open' | 'resolved' | undefined;
  kind?: 'outage' | 'attack' | undefined;
}

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
              <When at={i.openedAt} r={r} />
            </td>
            <td>
              <When at={i.resolvedAt} r={r} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
};

export const IncidentsPage: FC<{ r: Reader; filter: IncidentFilter; open: IncidentRow[] | undefined; rows: IncidentRow[]; next: string | null }> = ({ r, filter, open, rows, next }) => {
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
          <Next path="/incidents" params={{ status: filter.status, kind: filter.kind }} cursor={next} r={r} />
        </section>
      </div>
    </div>
  );
};
