/** `mamoru bans` as an operator uses it (dry-run firewall: the store side, the options and the errors). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { mamoru } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-bans-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cfg = join(dir, 'mamoru.yaml');
writeFileSync(cfg, `store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }\nguard: { firewall: { type: dry-run } }\n`);

test('add, list (also as the default), remove and flush; bad input is a usage error', async () => {
  assert.equal((await mamoru(['bans', '-c', cfg])).stdout, 'no bans\n');
  const add = await mamoru(['bans', 'add', '203.0.113.7', '--port', '110', '--for', '1h', '--reason', 'brute force on POP3', '-c', cfg]);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /^banned 203\.0\.113\.7 port 110 until \d{4}-\d\d-\d\dT/);
  assert.equal((await mamoru(['bans', 'add', '2001:db8::1/64', '-c', cfg])).code, 0);
  const list = JSON.parse((await mamoru(['bans', 'list', '--json', '-c', cfg])).stdout) as Array<{ address: string; port?: number; jail: string; reason: string; until?: number }>;
  assert.deepEqual(list.map((b) => [b.address, b.port, b.jail, b.reason, b.until === undefined]), [['203.0.113.7', 110, 'manual', 'brute force on POP3', false], ['2001:db8::/64', undefined, 'manual', 'added by hand', true]]);
  assert.match((await mamoru(['bans', '-c', cfg])).stdout, /^203\.0\.113\.7 port tcp\/110 {2}until .* jail manual {2}ban #1 {2}brute force on POP3\n2001:db8::\/64 {2}until no end/);

  const bad = await mamoru(['bans', 'add', '203.0.113.999', '-c', cfg]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"203\.0\.113\.999" is not an IP address or network/);
  assert.match((await mamoru(['bans', 'add', '203.0.113.8', '--for', 'soon', '-c', cfg])).stderr, /--for: expected a duration/);
  assert.match((await mamoru(['bans', 'add', '203.0.113.8', '--port', '70000', '-c', cfg])).stderr, /--port: expected a port number/);

  assert.equal((await mamoru(['bans', 'remove', '203.0.113.7', '-c', cfg])).stdout, 'lifted 1 ban of 203.0.113.7\n');
  assert.equal((await mamoru(['bans', 'flush', '-c', cfg])).stdout, 'lifted 1 ban\n');
  assert.equal((await mamoru(['bans', '-c', cfg])).stdout, 'no bans\n');
});

test('a ban by hand obeys the never-ban rules: loopback, this machine, guard.allow and what cannot be an attacker are refused with the reason', async () => {
  const allowCfg = join(dir, 'allow.yaml');
  writeFileSync(allowCfg, `store: { type: sqlite, path: ${join(dir, 'allow.db')} }\nguard: { firewall: { type: dry-run }, allow: [198.51.100.0/24] }\n`);
  for (const [address, why] of [
    ['127.0.0.1', /allowed \(loopback\)/],
    ['198.51.100.20', /allowed \(allow: 198\.51\.100\.0\/24\)/],
    ['0.0.0.0', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
  ] as const) {
    const r = await mamoru(['bans', 'add', address, '-c', allowCfg]);
    assert.equal(r.code, 2, `${address}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /not banning /, address);
    assert.match(r.stderr, why, address);
  }
  assert.equal((await mamoru(['bans', '-c', allowCfg])).stdout, 'no bans\n', 'nothing was banned');
  assert.equal((await mamoru(['bans', 'add', '203.0.113.50', '-c', allowCfg])).code, 0, 'an attacker still can be');
});
