/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The frame of every console page: the header with who is reading and the logout form, the
 * navigation (admin pages only for admins), the page's own content, and the one script that makes
 * pages live (served from /static; no inline script or style under the CSP). Pages are complete
 * without the script: it only updates them in place.
 */
import type { Child, FC } from 'hono/jsx';
import { allows } from '../auth/types.ts';
import { said } from '../core/said.ts';
import { say } from './i18n.ts';
import type { Reader } from './reader.ts';

/** The console's sections, in the navigation's order. `role`: who sees the link. */
export const SECTIONS = [
  { id: 'overview', href: '/', role: 'viewer', words: said('Overview', '概要') },
  { id: 'incidents', href: '/incidents', role: 'viewer', words: said('Incidents', 'インシデント') },
  { id: 'guard', href: '/guard', role: 'viewer', words: said('Guard', 'ガード') },
  { id: 'notifications', href: '/notifications', role: 'viewer', words: said('Notifications', '通知') },
  { id: 'audit', href: '/audit', role: 'admin', words: said('Audit', '監査') },
  { id: 'users', href: '/users', role: 'admin', words: said('Users and tokens', 'ユーザーとトークン') },
] as const;

export type SectionId = (typeof SECTIONS)[number]['id'];

export const Layout: FC<{ reader: Reader; section: SectionId | undefined; title: string; children?: Child }> = ({ reader, section, title, children }) => (
  <html lang={reader.lang}>
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{title} · mamoru</title>
      <link rel="stylesheet" href="/static/mamoru.css" />
      <script src="/static/live.js" defer></script>
    </head>
    <body data-lang={reader.lang} data-zone={reader.zone}>
      <header class="top">
        <a class="brand" href="/">
          mamoru 守る
        </a>
        <nav>
          {SECTIONS.filter((s) => allows(reader.role, s.role)).map((s) => (
            <a href={s.href} class={s.id === section ? 'here' : undefined} aria-current={s.id === section ? 'page' : undefined}>
              {say(reader.lang, s.words)}
            </a>
          ))}
        </nav>
        <div class="who">
          <a id="reader" href="/me" title={say(reader.lang, said('My language and time zone', '自分の言語とタイムゾーン'))}>
            {reader.name} ({reader.role}) · {reader.zone}
          </a>
          {reader.csrf ? (
            <form method="post" action="/logout">
              <input type="hidden" name="csrf" value={reader.csrf} />{' '}
              <button type="submit">{say(reader.lang, said('Log out', 'ログアウト'))}</button>
            </form>
          ) : null}
        </div>
      </header>
      <main>{children}</main>
    </body>
  </html>
);
