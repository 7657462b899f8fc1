/**
 * What a config asks of the service unit: the journal group only when a guard source reads the
 * system journal, never for a jail that reads a log file anyone may read.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseConfig } from '../../src/config/load.ts';
import { serviceNeeds } from '../../src/service/needs.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-needs-'));
chmodSync(dir, 0o755); // others may pass through it, as through /var/log
after(() => rmSync(dir, { recursive: true, force: true }));

const config = (source: string) =>
  parseConfig(`guard:\n  firewall: { type: dry-run }\n  jails:\n    - { name: ssh, filters: [sshd], sources: [${source}] }\n`, join(dir, 'mamoru.yaml'));

test('the journal group for a journald source only; a world-readable log file needs neither the group nor a capability', () => {
  const log = join(dir, 'auth.log');
  writeFileSync(log, '', { mode: 0o644 });
  const file = serviceNeeds(config(`{ type: file, paths: ['${log}'] }`));
  assert.equal(file.journal, false, 'a file source does not read the journal');
  assert.deepEqual(file.rootOnlyLogs, []);
  const journal = serviceNeeds(config('{ type: journald, units: [ssh] }'));
  assert.equal(journal.journal, true, 'a journald source reads the journal');
});
