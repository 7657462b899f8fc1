/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The guard's page: bans in force and recent ones, each with its address, country (flag and
 * code), network owner, jail, the log lines that earned it (hostile text: escaped, in a pre),
 * first and last seen and when it ends; counts per country and per jail (bars are <meter>
 * elements: no inline style under the CSP); the allow list in force; ban and unban forms.
 * Bans come ~100 a page (in force first, then the latest seen; "Older →" carries a cursor of the
 * page's last ban), while the counts and the per-country and per-jail tables cover every ban.
 */
import type { FC } from 'hono/jsx';
import { allows } from '../auth/types.ts';
import { addressScope } from '../guard/enrich/ip-scope.ts';
import { At, regionIn } from './console-time.tsx';
import { Csrf, flag, Next, NoteLine, words, type C } from './pages-console-kit.tsx';
import type { Reader } from './reader.ts';
import type { GuardBan } from './types.ts';

/** An address no registry places (private or reserved space) said as such; "—" when the country is just unknown. */
function scopeWords(address: string, t: (en: string, ja: string) => string): string {
  const scope = addressScope(address.split('/')[0]!);
  return scope === 'private' ? t('private network', 'プライベート網') : scope === 'reserved' ? t('reserved range', '予約済みの範囲') : '—';
}

const BanRows: FC<{ bans: GuardBan[]; r: Reader; unban: boolean; id: string }> = ({ bans, r, unban, id }) => {
  const t = words(r.lang);
  if (!bans.length) return <p class="quiet" id={id}>{t('None.', 'ありません。')}</p>;
  return (
    <table id={id}>
      <thead>
        <tr>
          <th>{t('Address', 'アドレス')}</th>
          <th>{t('Country', '国')}</th>
          <th>{t('Network owner', 'ネットワーク所有者')}</th>
          <th>{t('Jail', 'ジェイル')}</th>
          <th>{t('First seen', '初回')}</th>
          <th>{t('Last seen', '最終')}</th>
          <th>{t('Ends', '解除予定')}</th>
          {unban ? <th></th> : null}
        </tr>
      </thead>
      {bans.map((b) => (
        <tbody data-ban={b.address} data-active={String(b.active)}>
          <tr>
            <td>
              <code>{b.address}</code>
              {b.port !== null ? <span class="quiet"> {`${b.proto ?? 'tcp'}/${b.port}`}</span> : null}
              {b.banCount > 1 ? <span class="quiet"> ×{b.banCount}</span> : null}
            </td>
            <td class="country" title={regionIn(b.country, r.lang) ?? b.countryName ?? undefined}>
              {b.country ? `${flag(b.country)} ${b.country}` : scopeWords(b.address, t)}
              {regionIn(b.country, r.lang) ?? b.countryName ? <div class="quiet">{regionIn(b.country, r.lang) ?? b.countryName}</div> : null}
            </td>
            <td>
              {b.owner ?? '—'}
              {b.network ? <div class="quiet">{b.network}</div> : null}
            </td>
            <td>
              {b.jail}
              {b.target ? <div class="quiet">{b.target}</div> : null}
            </td>
            <td>
              <At at={b.firstSeen} r={r} />
            </td>
            <td>
              <At at={b.lastSeen} r={r} />
            </td>
            <td>{b.until === null ? t('never', '無期限') : <At at={b.until} r={r} />}</td>
            {unban ? (
              <td>
                {b.active ? (
                  <form method="post" action="/guard/unban">
                    <Csrf r={r} />
                    <input type="hidden" name="address" value={b.address} />
                    <button type="submit">{t('Unban', '解除')}</button>
                  </form>
                ) : null}
              </td>
            ) : null}
          </tr>
          <tr class="why">
            <td colspan={unban ? 8 : 7} class="text">
              {b.incident !== null ? <a href={`/incidents/${b.incident}`}>#{b.incident}</a> : null} {b.reason}
              {b.lines.length ? (
                <details>
                  <summary>{t(`${b.lines.length} log line${b.lines.length === 1 ? '' : 's'}`, `ログ ${b.lines.length} 行`)}</summary>
                  <pre class="text logline">{b.lines.join('\n')}</pre>
                </details>
              ) : null}
            </td>
          </tr>
        </tbody>
      ))}
    </table>
  );
};

/** Counts of bans per key, most first, each with a bar. */
const Counts: FC<{ title: string; rows: [string, number][]; r: Reader; id: string }> = ({ title, rows, id }) => {
  const max = Math.max(1, ...rows.map(([, n]) => n));
  return (
    <table id={id} class="counts-table">
      <thead>
        <tr>
          <th>{title}</th>
          <th>#</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([k, n]) => (
          <tr>
            <td>{k}</td>
            <td>{n}</td>
            <td>
              <meter min={0} max={max} value={n}>
                {n}
              </meter>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
};

function tally(bans: GuardBan[], key: (b: GuardBan) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const b of bans) {
    const k = key(b);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 30);
}

/** Bans rendered per page of the guard page. */
export const GUARD_PAGE = 100;

/** The guard page's order: in force first, then the latest seen, then address and port (a total order, so a cursor is exact). */
export function banOrder(a: GuardBan, b: GuardBan): number {
  return Number(b.active) - Number(a.active) || b.lastSeen - a.lastSeen || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0) || (a.port ?? -1) - (b.port ?? -1);
}

const MAX_CURSOR = 200;
const encodeCursor = (b: GuardBan) => Buffer.from(JSON.stringify([b.active ? 1 : 0, b.lastSeen, b.address, b.port])).toString('base64url');
/** The last ban of a page from its cursor, as far as the order needs it; undefined when it is not one of ours. */
function decodeCursor(cursor: string): GuardBan | undefined {
  if (cursor.length > MAX_CURSOR || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 4) return undefined;
    const [active, lastSeen, address, port] = v as unknown[];
    if ((active !== 0 && active !== 1) || !Number.isSafeInteger(lastSeen) || typeof address !== 'string' || (port !== null && !Number.isSafeInteger(port))) return undefined;
    return { active: active === 1, lastSeen, address, port } as GuardBan;
  } catch {
    return undefined;
  }
}

/** What one page of the guard shows: its bans (after the cursor, in banOrder), the cursor of the next, and counts over every ban. */
export interface GuardSlice {
  bans: GuardBan[];
  next: string | null;
  /** True on the first page (no cursor, or one that was not ours). */
  first: boolean;
  active: number;
  ended: number;
  perCountry: [string, number][];
  perJail: [string, number][];
}

/** Cuts a page of `limit` bans from all of them (sorted by banOrder) after `cursor`. */
export function guardSlice(all: GuardBan[], cursor: string | undefined, limit: number, lang: Reader['lang']): GuardSlice {
  const t = words(lang);
  const after = cursor ? decodeCursor(cursor) : undefined;
  // The first ban past the cursor (binary search: the list is sorted by the same order).
  let lo = 0;
  if (after) {
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (banOrder(all[mid]!, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
  }
  const bans = all.slice(lo, lo + limit);
  // The counts cover every ban: the same list (the daemon keeps its guard view while nothing
  // changes) gives the same counts, so they are worked out once per list and language.
  let byLang = counted.get(all);
  if (!byLang) counted.set(all, (byLang = new Map()));
  let totals = byLang.get(lang);
  if (!totals) {
    let active = 0;
    for (const b of all) if (b.active) active++;
    totals = {
      active,
      ended: all.length - active,
      perCountry: tally(all, (b) => (b.country ? `${flag(b.country)} ${b.country}` : scopeWords(b.address, t) === '—' ? '?' : scopeWords(b.address, t))),
      perJail: tally(all, (b) => b.jail),
    };
    byLang.set(lang, totals);
  }
  return { bans, next: lo + limit < all.length && bans.length ? encodeCursor(bans[bans.length - 1]!) : null, first: after === undefined, ...totals };
}
const counted = new WeakMap<GuardBan[], Map<Reader['lang'], Pick<GuardSlice, 'active' | 'ended' | 'perCountry' | 'perJail'>>>();

export const GuardPage: FC<{ c: C; r: Reader; slice: GuardSlice; allow: { cidr: string; why: string }[]; manage: boolean }> = ({ c, r, slice, allow, manage }) => {
  const t = words(r.lang);
  const operate = manage && allows(r.role, 'operator') && !!r.csrf;
  const active = slice.bans.filter((b) => b.active);
  const ended = slice.bans.filter((b) => !b.active);
  return (
    <div>
      <h1>{t('Guard', 'ガード')}</h1>
      <NoteLine c={c} r={r} />
      <div data-live="guard" data-live-on="ban">
        <p class="counts">
          <span>{t(`${slice.active} in force`, `遮断中 ${slice.active} 件`)}</span>
          <span>{t(`${slice.ended} ended recently`, `最近解除 ${slice.ended} 件`)}</span>
        </p>
        {slice.first || active.length ? (
          <section>
            <h2>{t('Bans in force', '遮断中')}</h2>
            <BanRows bans={active} r={r} unban={operate} id="bans-active" />
          </section>
        ) : null}
        {slice.first ? (
          <section class="two">
            <div>
              <h2>{t('Bans per country', '国別の遮断数')}</h2>
              <Counts title={t('Country', '国')} rows={slice.perCountry} r={r} id="per-country" />
            </div>
            <div>
              <h2>{t('Bans per jail', 'ジェイル別の遮断数')}</h2>
              <Counts title={t('Jail', 'ジェイル')} rows={slice.perJail} r={r} id="per-jail" />
            </div>
          </section>
        ) : null}
        {ended.length || (slice.first && slice.ended === 0) ? (
          <section>
            <h2>{t('Recent bans that ended', '最近解除された遮断')}</h2>
            <BanRows bans={ended} r={r} unban={false} id="bans-ended" />
          </section>
        ) : null}
        <Next path="/guard" params={{}} cursor={slice.next} r={r} />
      </div>
      {operate ? (
        <section>
          <h2>{t('Ban an address by hand', '手動で遮断')}</h2>
          <form method="post" action="/guard/bans" class="inline" id="ban-form">
            <Csrf r={r} />
            <label>
              {t('Address or network', 'アドレスまたはネットワーク')} <input name="address" required maxlength={64} placeholder="203.0.113.9" />
            </label>{' '}
            <label>
              {t('Port (empty: every port)', 'ポート（空欄: すべて）')} <input name="port" type="number" min={1} max={65535} />
            </label>{' '}
            <label>
              {t('Hours (empty: no end)', '時間（空欄: 無期限）')} <input name="hours" type="number" min={1} max={8760} value="24" />
            </label>{' '}
            <label>
              {t('Reason', '理由')} <input name="reason" maxlength={200} />
            </label>{' '}
            <button type="submit">{t('Ban', '遮断')}</button>
          </form>
        </section>
      ) : null}
      {manage ? (
        <section>
          <h2>{t('Never banned (the allow list in force)', '遮断しないアドレス（有効な許可リスト）')}</h2>
          <table id="allow-list">
            <tbody>
              {allow.map((a) => (
                <tr>
                  <td>
                    <code>{a.cidr}</code>
                  </td>
                  <td>{a.why}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </div>
  );
};
