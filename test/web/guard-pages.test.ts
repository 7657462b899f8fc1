/**
 * The guard page in pages against a real daemon (dry-run firewall): 250 bans made through the
 * page's own form are walked with "Older →" across three pages, each ban exactly once, in force
 * first and newest first (by the page's order), while the counts and the per-jail table speak of all 250. A ban made
 * during the walk appears on the first page and does not shift the pages already handed out.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, login, startConsole, type Console, type Session } from './console.ts';

let con: Console;
let admin: Session;
const BANS = 250;
const addr = (i: number) => `198.51.100.${i + 1}`;

async function get(path: string): Promise<string> {
  const r = await fetch(`${con.url}${path}`, { headers: { cookie: admin.cookie, accept: 'text/html' } });
  assert.equal(r.status, 200, path);
  return r.text();
}

async function ban(address: string): Promise<void> {
  const r = await fetch(`${con.url}/guard/bans`, {
    method: 'POST',
    headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ csrf: admin.csrf, address, hours: '2', reason: 'walk test' }).toString(),
    redirect: 'manual',
  });
  assert.equal(r.headers.get('location'), '/guard?note=banned', address);
}

/** The addresses of the bans on a page, in its order, and its "Older →" link. */
function read(html: string): { bans: string[]; next: string | null } {
  const bans = [...html.matchAll(/data-ban="([^"]+)" data-active="true"/g)].map((m) => m[1]!);
  const next = /<a href="(\/guard\?cursor=[^"]+)" rel="next">/.exec(html)?.[1]?.replaceAll('&amp;', '&') ?? null;
  return { bans, next };
}

before(async () => {
  con = await startConsole({ extraConfig: 'guard: { firewall: { type: dry-run } }\n' });
  admin = await login(con.url, 'admin', ADMIN_PASSWORD);
  for (let i = 0; i < BANS; i++) await ban(addr(i));
});

after(async () => {
  await con?.stop();
});

test('250 bans are walked across pages with "Older →", each exactly once, newest first', { timeout: 60_000 }, async () => {
  const first = await get('/guard');
  assert.match(first, /250 in force/);
  // The per-jail table counts every ban, not only the page's.
  assert.match(first.replace(/\s+/g, ' '), /id="per-jail"[\s\S]*?<td>manual<\/td><td>250<\/td>/);
  const seen: string[][] = [];
  let page = read(first);
  seen.push(page.bans);
  // A ban made mid-walk: it is the newest, so it belongs to the first page, not to the next ones.
  await ban('192.0.2.77');
  while (page.next) {
    const html = await get(page.next);
    assert.match(html, /250 in force|251 in force/);
    assert.doesNotMatch(html, /id="per-jail"/, 'the counts tables are on the first page only');
    page = read(html);
    seen.push(page.bans);
  }
  assert.deepEqual(
    seen.map((p) => p.length),
    [100, 100, 50],
  );
  const all = seen.flat();
  assert.equal(new Set(all).size, BANS, 'no ban twice');
  assert.deepEqual([...all].sort(), Array.from({ length: BANS }, (_, i) => addr(i)).sort(), 'every ban once');
  assert.ok(!all.includes('192.0.2.77'));
  // Newest first: the ban made during the walk now heads the first page.
  assert.equal(read(await get('/guard')).bans[0], '192.0.2.77');
});

test('a cursor that is not the page\'s own shows the first page', async () => {
  const html = await get('/guard?cursor=not-a-cursor');
  assert.equal(read(html).bans[0], '192.0.2.77');
  assert.match(html, /id="per-jail"/);
});
