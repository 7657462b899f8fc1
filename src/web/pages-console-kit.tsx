/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * What the console's incident, guard, notification and admin pages share: words in both
 * languages, times in the reader's zone, the CSRF field of every form, reading a form (or JSON)
 * body bounded, the 303 back to a page with a fixed note, and "not found" as a page for a browser
 * and the one error shape for anything else.
 */
import type { Context } from 'hono';
import type { Child, FC } from 'hono/jsx';
import { said } from '../core/said.ts';
import { problem, type WebEnv } from './access.ts';
import { formatTime, say, type Lang } from './i18n.ts';
import { Layout, type SectionId } from './layout.tsx';
import { NotFoundPage } from './page.tsx';
import { readerOf, type Reader } from './reader.ts';

export type C = Context<WebEnv>;

/** Words in the reader's language: `t('Open', '未解決')`. */
export const words = (lang: Lang) => (en: string, ja: string) => say(lang, said(en, ja));

/** A whole page in the frame. */
export function page(c: C, section: SectionId | undefined, title: string, body: Child, status: 200 | 201 | 400 | 404 | 409 = 200) {
  const reader = readerOf(c);
  return c.html(
    '<!doctype html>' +
      String(
        <Layout reader={reader} section={section} title={title}>
          {body}
        </Layout>,
      ),
    status,
  );
}

export const When: FC<{ at: number | string | null | undefined; r: Reader }> = ({ at, r }) =>
  at === null || at === undefined ? <span>—</span> : <time datetime={new Date(at).toISOString()}>{formatTime(at, r.lang, r.zone)}</time>;

export const Csrf: FC<{ r: Reader }> = ({ r }) => (r.csrf ? <input type="hidden" name="csrf" value={r.csrf} /> : null);

/** Was the request a browser's form (then answers are pages), or JSON? */
export const isForm = (c: C) => (c.req.header('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');

/** The fields of a form or a JSON object, as bounded strings (anything else dropped). */
export async function fields(c: C): Promise<Record<string, string>> {
  const raw: Record<string, unknown> = isForm(c) ? await c.req.parseBody() : await c.req.json<Record<string, unknown>>().catch(() => ({}));
  const out: Record<string, string> = {};
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [k, v] of Object.entries(raw).slice(0, 30)) if (typeof v === 'string' || typeof v === 'number') out[k.slice(0, 40)] = String(v).slice(0, 2000);
  return out;
}

/** Notes a page shows after a form led back to it: fixed words, never text from the request. */
export const NOTES = {
  acked: said('Acknowledged: no more reminders or escalations until it recovers.', '確認済みにしました。復旧までリマインダーとエスカレーションは止まります。'),
  'ack-refused': said('Not acknowledged: it is already acknowledged or resolved.', '確認済みにできませんでした（すでに確認済みか解決済みです）。'),
  noted: said('Your note is in the timeline.', 'メモをタイムラインに追加しました。'),
  'note-empty': said('Write something first.', '内容を入力してください。'),
  approved: said('Approved: mamoru is carrying it out now.', '承認しました。mamoru が実施しています。'),
  denied: said('Denied: nothing will be done.', '却下しました。実施されません。'),
  'approval-gone': said('That approval is no longer waiting (decided or expired).', 'その承認はすでに回答済みか期限切れです。'),
  banned: said('Banned.', '遮断しました。'),
  'ban-refused': said('Not banned: the address is not valid, or it is on the allow list.', '遮断しませんでした（アドレスが不正か、許可リストに含まれています）。'),
  unbanned: said('The ban is lifted.', '遮断を解除しました。'),
  'unban-none': said('There was no ban of that address.', 'そのアドレスの遮断はありませんでした。'),
  'test-ok': said('The test message went out through every channel.', 'テストメッセージをすべてのチャネルで送信しました。'),
  'test-failed': said('The test message failed on at least one channel (the audit trail says which and why).', '一部のチャネルでテストメッセージの送信に失敗しました（詳細は監査ログにあります）。'),
  'user-added': said('The user is added.', 'ユーザーを追加しました。'),
  'user-removed': said('The user is removed, with their sessions and tokens.', 'ユーザーを削除しました（セッションとトークンも削除）。'),
  'user-none': said('There is no such user.', 'そのユーザーは存在しません。'),
  revoked: said('The token is revoked.', 'トークンを失効させました。'),
  'token-none': said('There is no such token that is not revoked.', '有効なそのトークンはありません。'),
} as const;
export type Note = keyof typeof NOTES;

export const NoteLine: FC<{ c: C; r: Reader }> = ({ c, r }) => {
  const n = c.req.query('note') as Note | undefined;
  return n && n in NOTES ? (
    <p class="note" role="status" id="note">
      {say(r.lang, NOTES[n])}
    </p>
  ) : null;
};

/** 303 back to a page with a note (`path` is always ours, never the request's). */
export const back = (c: C, path: string, note: Note) => c.redirect(`${path}${path.includes('?') ? '&' : '?'}note=${note}`, 303);

/** Not found: a page for a browser, the one error shape for the API's clients. */
export function notFound(c: C, what: string) {
  if (!(c.req.header('accept') ?? '').includes('text/html')) return problem(c, 404, 'not_found', `no ${what}`);
  return c.html('<!doctype html>' + String(<NotFoundPage reader={readerOf(c)} what={c.req.path} />), 404);
}

/** A positive integer id from a path, or undefined. */
export const idOf = (s: string | undefined): number | undefined => (s !== undefined && /^[1-9]\d{0,15}$/.test(s) ? Number(s) : undefined);

/** A country code as its flag (regional indicator letters); empty for anything but two letters. */
export function flag(code: string | null | undefined): string {
  if (!code || !/^[A-Za-z]{2}$/.test(code)) return '';
  return String.fromCodePoint(...[...code.toUpperCase()].map((ch) => 0x1f1e6 + ch.charCodeAt(0) - 65));
}

/** A country's name in the reader's language (`JP` -> `日本` / `Japan`), or undefined when the runtime does not know the code. */
export function regionName(code: string | null | undefined, lang: string): string | undefined {
  if (!code || !/^[A-Z]{2}$/.test(code)) return undefined;
  try {
    const name = new Intl.DisplayNames([lang], { type: 'region' }).of(code);
    return name && name !== code ? name : undefined;
  } catch {
    return undefined;
  }
}

/** A "next page" link keeping the filters. */
export const Next: FC<{ path: string; params: Record<string, string | undefined>; cursor: string | null; r: Reader }> = ({ path, params, cursor, r }) => {
  if (cursor === null) return null;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  q.set('cursor', cursor);
  return (
    <p class="pager">
      <a href={`${path}?${q.toString()}`} rel="next">
        {words(r.lang)('Older →', '古い順へ →')}
      </a>
    </p>
  );
};

export const SEVERITIES = new Set(['down', 'critical', 'warning', 'unknown', 'ok']);
export const Severity: FC<{ s: string }> = ({ s }) => <span class={`badge bg-${SEVERITIES.has(s) ? s : 'other'}`}>{s.toUpperCase()}</span>;
