/**
 * SIGHUP reloads the guard's jails through the daemon (Daemon.reload -> reloadGuard): an
 * unchanged jail keeps its counts, a new jail starts reading, open bans stay.
 */
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { Daemon } from '../../src/daemon.ts';
import { rig, sshdLine, until } from './rig.ts';

test('SIGHUP: the daemon gives the guard its new jails; counts and bans kept', async () => {
  const r = await rig();
  const second = join(r.dir, 'second.log');
  writeFileSync(second, '');
  const jail = (name: string, file: string, retry: number) => `    - { name: ${name}, filters: [sshd], time_zone: UTC, max_retry: ${retry}, sources: [{ type: file, paths: ['${file}'], from: start, poll_interval: 200ms }] }`;
  const cfg = join(r.dir, 'mamoru.yaml');
  const config = (jails: string[]) =>
    writeFileSync(cfg, `store: { type: sqlite, path: ${join(r.dir, 'mamoru.db')} }\nweb: { enabled: false }\nguard:\n  firewall: { type: dry-run }\n  state_dir: ${join(r.dir, 'state')}\n  enrich: { whois: { enabled: false } }\n  cut_connections: false\n  connection_table: { enabled: false }\n  jails:\n${jails.join('\n')}\n`);
  config([jail('first', r.log, 3)]);
  const d = await Daemon.start({ configFile: cfg, log: silentLogger });
  try {
    const store = await r.store();
    r.write(sshdLine('203.0.113.7'), sshdLine('203.0.113.7'));
    await until(async () => (await store.guardFailures(0)).length === 2, 'two counted failures');
    config([jail('first', r.log, 3), jail('second', second, 1)]);
    assert.equal(d.reload().ok, true);
    r.write(sshdLine('203.0.113.7'));
    await until(async () => (await store.bans()).some((b) => b.address === '203.0.113.7' && b.jail === 'first'), 'the unchanged jail banning at its third failure');
    appendFileSync(second, sshdLine('203.0.113.8') + '\n');
    await until(async () => (await store.bans()).some((b) => b.address === '203.0.113.8' && b.jail === 'second'), 'the new jail reading its log');
  } finally {
    await d.stop();
    await r.done();
  }
});
