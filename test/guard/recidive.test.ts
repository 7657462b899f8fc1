/**
 * The recidive jail (issue 14): an address banned again and again by any jail gets one long ban
 * on every port. The pure counting first, then through the daemon with the dry-run firewall: two
 * jails ban the same address on their ports, and the store then holds its long ban with no port.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { Daemon } from '../../src/daemon.ts';
import { Recidive, recidiveSchema } from '../../src/guard/recidive.ts';
import type { Store } from '../../src/store/types.ts';
import { until } from '../helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-recidive-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const H = 3_600_000;

test('counting: the max_bans-th ban within find_time earns the long ban, once; older bans fall out', () => {
  const r = new Recidive(recidiveSchema.parse({ max_bans: 3, find_time: '1d', ban_time: '1w' }));
  assert.equal(r.note('203.0.113.9', 'ssh', 0), undefined);
  assert.equal(r.note('203.0.113.9', 'pop3', H), undefined);
  const long = r.note('203.0.113.9', 'ftp', 2 * H);
  assert.deepEqual([long?.address, long?.until, long?.port, long?.banCount], ['203.0.113.9', 2 * H + 7 * 24 * H, undefined, 3]);
  assert.equal(r.note('203.0.113.9', 'ssh', 3 * H), undefined, 'banned long already: not again');
  assert.equal(r.note('203.0.113.9', 'recidive', 4 * H), undefined, 'its own bans do not count');
  // Another address whose bans are spread wider than find_time never earns it.
  assert.equal(r.note('198.51.100.7', 'ssh', 0), undefined);
  assert.equal(r.note('198.51.100.7', 'ssh', 25 * H), undefined);
  assert.equal(r.note('198.51.100.7', 'ssh', 50 * H), undefined);
});

test('through the daemon: two jails ban one address, the recidive jail bans it on every port', async () => {
  const log = join(dir, 'mail.log');
  writeFileSync(log, '');
  const file = join(dir, 'mamoru.yaml');
  const jail = (name: string, port: number) => `    - { name: ${name}, target: srv, filters: [dovecot], sources: [{ type: file, paths: ['${log}'] }], time_zone: UTC, max_retry: 2, find_time: 1m, ban_time: 10m, port: ${port} }`;
  writeFileSync(
    file,
    `store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }
web: { enabled: false }
targets: []
guard:
  firewall: { type: dry-run }
  state_dir: ${join(dir, 'state')}
  cut_connections: false
  connection_table: { enabled: false }
  enrich: { whois: { enabled: false } }
  recidive: { max_bans: 2, find_time: 1h, ban_time: 1w }
  jails:
${jail('pop3', 110)}
${jail('imap', 143)}
`,
  );
  const daemon = await Daemon.start({ configFile: file, log: silentLogger });
  try {
    const store = (daemon as unknown as { store: Store }).store;
    const t = () => new Date().toISOString().replace('T', ' ').slice(0, 19);
    for (let i = 0; i < 2; i++) appendFileSync(log, `${t()} pop3-login: Info: Disconnected (auth failed, 1 attempts in 2 secs): user=<a${i}>, method=PLAIN, rip=36.110.0.9, lip=127.0.0.1, session=<x${i}>\n`);
    const bans = await until('the long ban', async () => {
      const all = await store.bans();
      return all.some((b) => b.jail === 'recidive') && all;
    }, 15_000);
    const mine = bans.filter((b) => b.address === '36.110.0.9');
    assert.deepEqual(mine.map((b) => [b.jail, b.port ?? 'every port']).sort(), [['imap', 143], ['pop3', 110], ['recidive', 'every port']].sort());
    const long = mine.find((b) => b.jail === 'recidive')!;
    assert.ok(long.until! - long.createdAt >= 7 * 24 * H - 1000, 'a week');
  } finally {
    await daemon.stop();
  }
});
