/**
 * Never ban what cannot be an attacker (issue 16): an sshd log claiming failures from the
 * unspecified address, broadcast, multicast, reserved, loopback or link-local addresses bans
 * nothing, and the log says why for each; documentation addresses in the same log are banned
 * as usual. Through the daemon with the dry-run firewall, then the jail with link-local allowed.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { Daemon } from '../../src/daemon.ts';
import { parseCidr } from '../../src/guard/address.ts';
import { AllowList } from '../../src/guard/allow.ts';
import { Jail, jailSchema } from '../../src/guard/jail.ts';
import type { Store } from '../../src/store/types.ts';
import { until } from '../helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-never-ban-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Addresses no one attacks from, and the word the log must give for each. */
const never: [string, RegExp][] = [
  ['0.0.0.0', /unspecified/],
  ['0.1.2.3', /unspecified/],
  ['255.255.255.255', /broadcast/],
  ['224.0.0.1', /multicast/],
  ['239.255.255.250', /multicast/],
  ['240.0.0.1', /reserved/],
  ['127.0.0.1', /loopback/],
  ['169.254.10.20', /link-local/],
  ['::', /unspecified/],
  ['::1', /loopback/],
  ['ff02::1', /multicast/],
  ['fe80::1', /link-local/],
];
/** An IPv4-mapped form is the IPv4 address (the filter writes it so): refused as broadcast too. */
const mapped = '::ffff:255.255.255.255';
/** Documentation ranges stay bannable: tests (and this one) use them as attackers. */
const attackers = ['203.0.113.5', '198.51.100.7', '192.0.2.99', '2001:db8::5'];

const syslogTime = () => {
  const d = new Date();
  const mon = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
};
const failure = (ip: string, i: number) => `${syslogTime()} host sshd[${100 + i}]: Failed password for root from ${ip} port 22 ssh2\n`;

test('through the daemon: nothing unbannable is banned, the log says why, documentation addresses are banned', async () => {
  const log = join(dir, 'auth.log');
  writeFileSync(log, '');
  const file = join(dir, 'mamoru.yaml');
  writeFileSync(
    file,
    `store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }
web: { enabled: false }
targets: []
guard:
  firewall: { type: dry-run }
  state_dir: ${join(dir, 'state')}
  allow_ssh_session: false
  cut_connections: false
  connection_table: { enabled: false }
  enrich: { whois: { enabled: false } }
  jails:
    - { name: ssh, target: srv, filters: [sshd], sources: [{ type: file, paths: ['${log}'] }], time_zone: UTC, max_retry: 2, find_time: 10m, ban_time: 10m }
`,
  );
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(...String(chunk).trim().split('\n')), done()) }));
  const daemon = await Daemon.start({ configFile: file, log: logger });
  try {
    const store = (daemon as unknown as { store: Store }).store;
    let i = 0;
    for (const ip of [mapped, ...never.map(([a]) => a), ...attackers]) for (let k = 0; k < 2; k++) appendFileSync(log, failure(ip, i++));
    const bans = await until('the documentation addresses banned', async () => {
      const all = await store.bans();
      return all.length >= attackers.length && all;
    }, 20_000);
    // Every refusal is logged by the time the last attacker's ban is through (one file, read in order).
    await until('a refusal logged for each unbannable address', () => never.every(([ip]) => lines.some((l) => l.includes(`not banning ${ip}`))) || undefined, 10_000).catch((e) => {
      throw new Error(`${(e as Error).message}; missing: ${never.filter(([ip]) => !lines.some((l) => l.includes(`not banning ${ip}`))).map(([ip]) => ip).join(', ')}\n${lines.join('\n')}`);
    });
    assert.deepEqual(bans.map((b) => b.address).sort(), [...attackers].sort(), 'exactly the documentation addresses');
    for (const [ip, why] of never) {
      const line = lines.find((l) => l.includes(`not banning ${ip}`))!;
      const msg = (JSON.parse(line) as { msg: string }).msg;
      assert.match(msg, why, `${ip}: ${msg}`);
      assert.match(msg, /reached 2 failures \(sshd\) but is not banned/, msg);
    }
    assert.equal(lines.filter((l) => l.includes('not banning 255.255.255.255: 255.255.255.255 reached 2 failures')).length, 2, 'the mapped form and the plain one');
  } finally {
    await daemon.stop();
  }
});

test('through the daemon: guard.ban_link_local: true lets a link-local attacker be banned; multicast still refused', async () => {
  const log = join(dir, 'auth-ll.log');
  writeFileSync(log, '');
  const file = join(dir, 'mamoru-ll.yaml');
  writeFileSync(
    file,
    `store: { type: sqlite, path: ${join(dir, 'mamoru-ll.db')} }
web: { enabled: false }
targets: []
guard:
  firewall: { type: dry-run }
  state_dir: ${join(dir, 'state-ll')}
  allow_ssh_session: false
  ban_link_local: true
  cut_connections: false
  connection_table: { enabled: false }
  enrich: { whois: { enabled: false } }
  jails:
    - { name: ssh, target: srv, filters: [sshd], sources: [{ type: file, paths: ['${log}'] }], time_zone: UTC, max_retry: 2, find_time: 10m, ban_time: 10m }
`,
  );
  const daemon = await Daemon.start({ configFile: file, log: pino({ level: 'silent' }) });
  try {
    const store = (daemon as unknown as { store: Store }).store;
    let i = 0;
    for (const ip of ['ff02::1', '169.254.10.20', 'fe80::1234', '203.0.113.5']) for (let k = 0; k < 2; k++) appendFileSync(log, failure(ip, i++));
    const bans = await until('the last attacker banned', async () => {
      const all = await store.bans();
      return all.some((b) => b.address === '203.0.113.5') && all;
    }, 20_000);
    assert.deepEqual(bans.map((b) => b.address).sort(), ['169.254.10.20', '203.0.113.5', 'fe80::1234'], 'link-local banned by config; multicast never');
  } finally {
    await daemon.stop();
  }
});

test('the jail: link-local is banned only when the config allows it; networks touching unbannable ranges are refused', () => {
  const options = jailSchema.parse({ filters: ['sshd'], max_retry: 1, prefix_v6: 64 });
  const quiet = { env: {}, interfaces: () => ({}) };
  const strict = new Jail('ssh', options, new AllowList({ allow: [], allow_ssh_session: false }, quiet));
  const open = new Jail('ssh', options, new AllowList({ allow: [], allow_ssh_session: false, ban_link_local: true }, quiet));
  for (const ip of ['169.254.10.20', 'fe80::1234']) {
    const refused = strict.record({ address: ip, filter: 'sshd' }, 1000);
    assert.equal(refused.ban, undefined, ip);
    assert.match(refused.refused!, /link-local .*guard\.ban_link_local: true/, ip);
    const banned = open.record({ address: ip, filter: 'sshd' }, 1000);
    assert.ok(banned.ban, `${ip} with ban_link_local: ${banned.refused}`);
  }
  // With ban_link_local, multicast and the unspecified address are still never banned.
  assert.match(open.record({ address: 'ff02::1', filter: 'sshd' }, 1000).refused!, /multicast/);
  assert.match(open.record({ address: '0.0.0.0', filter: 'sshd' }, 1000).refused!, /unspecified/);
  // A /64 ban (prefix_v6: 64) of an address inside ff00::/8 is refused as the network it would cover.
  assert.match(strict.record({ address: 'ff05::2', filter: 'sshd' }, 1000).refused!, /^ff05::\/64 reached 1 failures .*ff05::\/64 is multicast/);
  // Documentation addresses are banned.
  assert.ok(strict.record({ address: '2001:db8::77', filter: 'sshd' }, 1000).ban);
  assert.ok(strict.record({ address: '203.0.113.77', filter: 'sshd' }, 1000).ban);
  // The refusal itself, for a network.
  const list = new AllowList({ allow: [], allow_ssh_session: false }, quiet);
  assert.match(list.refusal(parseCidr('224.0.0.0/8')!)!, /multicast/);
  assert.equal(list.refusal(parseCidr('192.0.2.0/24')!), undefined);
});
