/**
 * "Bot search": scanners asking a web server for what it may have left open (`/.env`,
 * `/.git/config`, phpMyAdmin, WordPress's admin pages, PHPUnit's `eval-stdin.php`, CGI scripts),
 * from Apache's or nginx's access log (the line shapes of wordpress.ts, read by its `readAccess`:
 * the address is the first field, or the second after `vhost:port`; only the request's path and
 * the status are read). One failure per probe line.
 *
 * - normal: a probe path answered 404 (not there), and a path no visitor ever needs answered 403
 *   too (dot-files and `.git`/`.svn`, `vendor/phpunit`): nobody but a scanner asks for them.
 * - aggressive: also 403 on paths a site may close to all but its own people (phpMyAdmin,
 *   Adminer, `wp-admin`, `wp-login.php`, `xmlrpc.php`, `cgi-bin`: its editor from home is
 *   refused the same way), and 404 on `wp-content`/`wp-includes` (links and images left from
 *   a site that once ran WordPress: real visitors follow them).
 *
 * The path is matched from its start, case-insensitively (a scanner asks for `/phpMyAdmin/` and
 * `/PMA/` alike), a name only as a whole segment (`/pma` and `/pma/x`, never `/pmarket`); probes
 * under a subdirectory (`/blog/.env`, `/old/wp-login.php`) count too for the dot-files and
 * WordPress names. Query strings are left out.
 */
import { counts, defineFilter, type FilterMode } from '../failure.ts';
import { accessFailure, readAccess } from './wordpress.ts';

/** How a probe path counts: [tier on 404, tier on 403 or undefined]. */
interface Probe {
  name: string;
  /** Anywhere in the path as a segment (`/x/.env`), or only as its first segment. */
  anywhere: boolean;
  on404: FilterMode;
  on403: FilterMode | undefined;
}

const SECRET = { anywhere: true, on404: 'normal', on403: 'normal' } as const;
const TOOL = { anywhere: false, on404: 'normal', on403: 'aggressive' } as const;
const WP = { anywhere: true, on404: 'normal', on403: 'aggressive' } as const;
const OLD_WP = { anywhere: true, on404: 'aggressive', on403: undefined } as const;

/** Lower-case segment names (a segment is the text between two `/`, or up to the path's end). */
const PROBES = new Map<string, Probe>(
  (
    [
      ['.env', SECRET],
      ['.env.bak', SECRET],
      ['.env.local', SECRET],
      ['.env.production', SECRET],
      ['.git', SECRET],
      ['.svn', SECRET],
      ['.aws', SECRET],
      ['.ssh', SECRET],
      ['.htpasswd', SECRET],
      ['.ds_store', SECRET],
      ['phpunit', SECRET],
      ['phpmyadmin', TOOL],
      ['pma', TOOL],
      ['myadmin', TOOL],
      ['mysqladmin', TOOL],
      ['adminer.php', TOOL],
      ['cgi-bin', TOOL],
      ['wp-admin', WP],
      ['wp-login.php', WP],
      ['xmlrpc.php', WP],
      ['wp-content', OLD_WP],
      ['wp-includes', OLD_WP],
    ] as const
  ).map(([name, p]) => [name, { name, ...p }]),
);

/** Longest name in PROBES: longer segments are not looked up. */
const LONGEST = Math.max(...[...PROBES.keys()].map((k) => k.length));
/** At most this many segments looked at per path. */
const MAX_SEGMENTS = 8;

export default defineFilter({
  type: 'bot-search',
  summary: 'Web scanners: requests for .env, .git, phpMyAdmin, wp-login.php, phpunit, cgi-bin... answered 404 or 403 (Apache or nginx access logs)',
  programs: ['apache2', 'httpd', 'nginx'],
  modes: { aggressive: 'also 403 on phpMyAdmin, Adminer, wp-admin, wp-login.php, xmlrpc.php and cgi-bin (closed to all but a site\'s own people) and 404 on wp-content and wp-includes (links left from a former WordPress site)' },
  match(line, { at, mode }) {
    const a = readAccess(line, at);
    if (!a || (a.status !== 404 && a.status !== 403)) return undefined;
    let i = a.methodEnd + 1;
    // Origin form only (`/...`): an absolute URI is a proxy request, not a probe of this site.
    if (line.charCodeAt(i) !== 47) return undefined;
    for (let n = 0; n < MAX_SEGMENTS && i < a.pathEnd; n++) {
      const start = i + 1;
      let end = line.indexOf('/', start);
      if (end < 0 || end > a.pathEnd) end = a.pathEnd;
      if (end - start > 0 && end - start <= LONGEST) {
        const p = PROBES.get(line.slice(start, end).toLowerCase());
        if (p && (p.anywhere || n === 0)) {
          const tier = a.status === 404 ? p.on404 : p.on403;
          return tier !== undefined && counts(tier, mode) ? accessFailure(line, a) : undefined;
        }
      }
      i = end;
    }
    return undefined;
  },
});
