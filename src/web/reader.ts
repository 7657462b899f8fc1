/**
 * Who reads a console page, and how they read it: their name and role (for the header and what
 * the page offers them), their CSRF token (for the page's forms), their language and time zone.
 * The language and zone are the user's own settings when they have them, else the browser's
 * language (Accept-Language) and UTC.
 */
import type { Context } from 'hono';
import type { Role } from '../auth/types.ts';
import type { WebEnv } from './access.ts';
import { langFromHeader, type Lang } from './i18n.ts';
import { who } from './scope.ts';

export interface Reader {
  name: string;
  role: Role;
  /** Sessions only: the token every form of the page carries. */
  csrf?: string | undefined;
  lang: Lang;
  zone: string;
}

export function readerOf(c: Context<WebEnv>): Reader {
  const p = who(c);
  const prefs = p as { lang?: Lang; zone?: string };
  return { name: p.name, role: p.role, csrf: p.csrf, lang: prefs.lang ?? langFromHeader(c.req.header('accept-language')), zone: prefs.zone ?? 'UTC' };
}
