/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The console's style sheet, the login form, the not-found page and the reader's own settings:
 * server-rendered, no inline script or style (the CSP allows neither), readable on a phone.
 */
import type { FC } from 'hono/jsx';
import { said } from '../core/said.ts';
import { say, type Lang } from './i18n.ts';
import { Layout } from './layout.tsx';
import type { Reader } from './reader.ts';

/** The style sheet, served at /static/mamoru.css (colours are classes: no inline style under the CSP). */
export const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1f2328}
h1{font-size:1.3rem;margin:0 0 .3rem} .sub{color:#656d76;margin-bottom:1rem}
.counts span{display:inline-block;margin-right:1rem;font-weight:600}
table{border-collapse:collapse;width:100%;margin-top:1rem} th,td{text-align:left;white-space:nowrap;padding:.35rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th{font-weight:600;color:#656d76} .badge{color:#fff;border-radius:4px;padding:.05rem .4rem;font-size:12px;font-weight:600}
h2{font-size:1.05rem;margin:1rem 0 .3rem} .quiet{color:#656d76} ul{padding-left:1.2rem;margin:.3rem 0} li{margin:.2rem 0}
.text{font-family:ui-monospace,monospace;font-size:12.5px;word-break:break-word;white-space:normal} pre.text{white-space:pre-wrap}
.bg-OK,.bg-ok{background:#1a7f37} .bg-WARNING,.bg-warning{background:#9a6700} .bg-CRITICAL,.bg-critical,.bg-down{background:#cf222e} .bg-UNKNOWN,.bg-unknown{background:#6e40c9} .bg-PENDING,.bg-other{background:#8c959f}
.fg-OK{color:#1a7f37} .fg-WARNING{color:#9a6700} .fg-CRITICAL{color:#cf222e} .fg-UNKNOWN{color:#6e40c9}
.who{float:right} .who form{display:inline} form.login{max-width:20rem} form.login label{display:block;margin:.6rem 0 .2rem} form.login input,form.login select{width:100%;padding:.3rem} .error{color:#cf222e}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;border-bottom:1px solid #d0d7de;padding-bottom:.5rem;margin-bottom:1rem} header.top .brand{font-weight:700;color:#1f2328;text-decoration:none} header.top nav a{margin-right:.8rem} header.top nav a.here{font-weight:700} header.top .who{margin-left:auto}
a{color:#0969da} .counts a{display:inline-block;margin-right:1rem;text-decoration:none;font-weight:600} .fg-handled,.fg-PENDING{color:#656d76}
form.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;margin:.8rem 0;padding:.5rem;background:#f6f8fa;border-radius:6px} form.inline{display:inline-block;margin:.3rem 0}
.pages{margin-top:.8rem} .pages a{margin-right:1rem} .note{color:#1a7f37} .ranges a{margin-right:.6rem} .ranges a.here{font-weight:700;text-decoration:none;color:#1f2328}
svg.band{width:100%;height:22px;display:block;border:1px solid #d0d7de;border-radius:3px} td.band-cell{width:40%;min-width:200px} td.band-cell svg.band{height:14px}
svg.band .none{fill:#eaeef2} .st-OK{fill:#1a7f37} .st-WARNING{fill:#9a6700} .st-CRITICAL{fill:#cf222e} .st-UNKNOWN{fill:#6e40c9}
.axis{display:flex;justify-content:space-between;font-size:12px;margin:.2rem 0 1rem} .plot{min-height:240px;max-width:1200px}
dl.config{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem} dl.config dt{color:#656d76} dl.config dd{margin:0} pre{margin:0;white-space:pre-wrap} pre.long{color:#656d76}
ul.tree,ul.tree ul{list-style:none;padding-left:1.2rem} ul.tree li{margin:.25rem 0}
`;

const W = {
  notFound: said('Not found', '見つかりません'),
  nothing: said('There is nothing here by that name, or it is not yours to see:', 'その名前のものは存在しないか、閲覧できません:'),
  back: said('Back to the overview', '概要に戻る'),
  me: said('My settings', '自分の設定'),
  lang: said('Language', '言語'),
  zone: said('Time zone', 'タイムゾーン'),
  zoneHint: said('An IANA zone such as Asia/Tokyo, Europe/Berlin or UTC.', 'Asia/Tokyo、Europe/Berlin、UTC などの IANA タイムゾーン。'),
  browser: said('as my browser says', 'ブラウザの設定に従う'),
  save: said('Save', '保存'),
  saved: said('Saved.', '保存しました。'),
  tokenNoPrefs: said('A token has no settings of its own: log in as a user.', 'トークンには個別の設定がありません。ユーザーとしてログインしてください。'),
} as const;

/** A page that is not there (or outside the reader's scope: the same words, so nothing leaks). */
export const NotFoundPage: FC<{ reader: Reader; what: string }> = ({ reader, what }) => (
  <Layout reader={reader} section={undefined} title={say(reader.lang, W.notFound)}>
    <h1>{say(reader.lang, W.notFound)}</h1>
    <p>
      {say(reader.lang, W.nothing)} <code>{what.slice(0, 200)}</code>
    </p>
    <p>
      <a href="/">{say(reader.lang, W.back)}</a>
    </p>
  </Layout>
);

/** The reader's own settings: language and time zone (a form; PATCH /api/v1/me does the same). */
export const MePage: FC<{ reader: Reader; prefs: { lang: Lang | null; zone: string | null } | undefined; saved: boolean; error?: string | undefined }> = ({ reader, prefs, saved, error }) => (
  <Layout reader={reader} section={undefined} title={say(reader.lang, W.me)}>
    <h1>{say(reader.lang, W.me)}</h1>
    {saved ? <p class="note" id="saved">{say(reader.lang, W.saved)}</p> : null}
    {error ? <p class="error" id="prefs-error">{error}</p> : null}
    {prefs && reader.csrf ? (
      <form class="login" method="post" action="/me" id="prefs">
        <input type="hidden" name="csrf" value={reader.csrf} />
        <label for="lang">{say(reader.lang, W.lang)}</label>
        <select id="lang" name="lang">
          <option value="">{say(reader.lang, W.browser)}</option>
          <option value="en" selected={prefs.lang === 'en'}>English</option>
          <option value="ja" selected={prefs.lang === 'ja'}>日本語</option>
        </select>
        <label for="zone">{say(reader.lang, W.zone)}</label>
        <input id="zone" name="zone" value={prefs.zone ?? ''} maxlength={64} placeholder="UTC" />
        <small class="quiet">{say(reader.lang, W.zoneHint)}</small>
        <p>
          <button type="submit">{say(reader.lang, W.save)}</button>
        </p>
      </form>
    ) : (
      <p class="quiet">{say(reader.lang, W.tokenNoPrefs)}</p>
    )}
  </Layout>
);

/** The login form; `csrf` is the value of the login cookie it must echo (double submit). */
export const LoginPage: FC<{ csrf: string; error?: string | undefined }> = ({ csrf, error }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>mamoru: log in</title>
      <link rel="stylesheet" href="/static/mamoru.css" />
    </head>
    <body>
      <h1>mamoru 守る</h1>
      {error ? <p class="error" id="login-error">{error}</p> : null}
      <form class="login" method="post" action="/login">
        <input type="hidden" name="csrf" value={csrf} />
        <label for="name">Name</label>
        <input id="name" name="name" autocomplete="username" required maxlength={32} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required maxlength={1024} />
        <p>
          <button type="submit">Log in</button>
        </p>
      </form>
    </body>
  </html>
);
