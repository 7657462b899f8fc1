/**
 * Recent error-log lines: a log file written here in the formats the runbook's servers use
 * (tail, byte bound, since a time, a pattern, continuation lines), times read from each format,
 * and the lab Apache's own error log after it started.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { inspectErrorLog } from '../../src/inspect/error-log.ts';
import { parseLogTime } from '../../src/inspect/log-time.ts';
import { InspectionError } from '../../src/inspect/types.ts';
import { needs } from '../helpers/prereq.ts';
import { startApache } from '../lab/daemons/apache.ts';
import { createLab } from '../lab/network.ts';
import { localExecutor } from './helpers.ts';

describe('error log', () => {
  const exec = localExecutor();
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-errlog-'));
  after(async () => {
    await exec.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const apacheLine = (d: Date, text: string) =>
    `[${d.toDateString().slice(0, 10)} ${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}123 ${d.getFullYear()}] [core:error] [pid 42] ${text}`;

  test('the recent end, since a time, matching a pattern; continuation lines keep the time above', async () => {
    const base = new Date(2026, 10, 26, 14, 0, 0);
    const at = (min: number) => new Date(base.getTime() + min * 60_000);
    const lines = [
      apacheLine(at(0), 'AH00094: Command line: apache2'),
      apacheLine(at(5), 'AH00161: server reached MaxRequestWorkers setting, consider raising the MaxRequestWorkers setting'),
      apacheLine(at(10), 'PHP Fatal error: something'),
      'Stack trace:',
      '#0 {main}',
      apacheLine(at(15), 'AH00161: server reached MaxRequestWorkers setting, consider raising the MaxRequestWorkers setting'),
    ];
    const file = join(dir, 'error.log');
    writeFileSync(file, lines.join('\n') + '\n');

    const all = await inspectErrorLog(exec, { path: file });
    assert.deepEqual(all.lines.map((l) => l.text), lines);
    assert.equal(all.partial, false);
    assert.deepEqual(
      all.lines.map((l) => l.time),
      [at(0), at(5), at(10), at(10), at(10), at(15)].map((d) => d.toISOString()),
    );

    const since = await inspectErrorLog(exec, { path: file, since: at(10) });
    assert.deepEqual(since.lines.map((l) => l.text), lines.slice(2));

    const ah = await inspectErrorLog(exec, { path: file, match: /AH00161/, maxLines: 1 });
    assert.equal(ah.matched, 2);
    assert.deepEqual(ah.lines.map((l) => l.text), [lines[5]]);
    assert.equal(ah.summary, `2 lines in ${file} matching /AH00161/; last: ${lines[5]}`);

    // A byte bound that starts mid-line: the cut line is dropped, not shown half.
    const tail = await inspectErrorLog(exec, { path: file, maxBytes: lines[5]!.length + 10 });
    assert.equal(tail.partial, true);
    assert.deepEqual(tail.lines.map((l) => l.text), [lines[5]]);
  });

  test('a log that cannot be read is an InspectionError naming it', async () => {
    await assert.rejects(inspectErrorLog(exec, { path: join(dir, 'absent.log') }), (e) => e instanceof InspectionError && e.message.includes('absent.log'));
  });

  test('times as Apache 2.4 and 2.2, nginx, MariaDB, ISO 8601 and syslog write them', () => {
    const now = new Date(2026, 0, 5, 12, 0, 0);
    const local = (...a: [number, number, number, number, number, number, number?]) => new Date(a[0], a[1], a[2], a[3], a[4], a[5], a[6] ?? 0).toISOString();
    const cases: [string, string | undefined][] = [
      ['[Thu Nov 26 14:35:59.475218 2026] [mpm_prefork:error] [pid 1] AH00161: ...', local(2026, 10, 26, 14, 35, 59, 475)],
      ['[Thu Nov 26 14:35:59 2026] [error] server reached MaxClients setting, consider raising the MaxClients setting', local(2026, 10, 26, 14, 35, 59)],
      ['2026/11/26 14:35:59 [error] 123#0: *1 open() failed', local(2026, 10, 26, 14, 35, 59)],
      ['2026-11-26 14:35:59 0 [Note] mariadbd: ready for connections.', local(2026, 10, 26, 14, 35, 59)],
      ['2026-11-26T14:35:59.250+09:00 host sshd[1]: x', '2026-11-26T05:35:59.250Z'],
      ['2026-11-26T14:35:59Z x', '2026-11-26T14:35:59.000Z'],
      // syslog has no year: January's "now" puts a December line in the year before.
      ['Dec 31 23:59:58 s68 vpopmail[8101]: vchkpw-pop3: vpopmail user not found family@:178.216.51.67', local(2025, 11, 31, 23, 59, 58)],
      ['Jan  5 11:00:00 s68 dovecot: pop3-login: x', local(2026, 0, 5, 11, 0, 0)],
      ['Stack trace:', undefined],
    ];
    for (const [line, want] of cases) assert.equal(parseLogTime(line, now)?.toISOString(), want, line);
  });

  test("the lab Apache's own error log: its start line, found since the start", async (t) => {
    const prereq = { root: true, commands: ['ip', 'apache2'] };
    if (needs(t, prereq)) return;
    const lab = await createLab();
    try {
      const t0 = new Date(Date.now() - 1000);
      const apache = await startApache(lab);
      const ev = await inspectErrorLog(exec, { path: apache.errorLog, since: t0, match: /AH00163/ });
      assert.equal(ev.lines.length, 1);
      assert.match(ev.lines[0]!.text, /AH00163: Apache\/2\.4\.\d+ .* configured -- resuming normal operations/);
      assert.ok(Date.parse(ev.lines[0]!.time!) >= t0.getTime());
    } finally {
      await lab.destroy();
    }
  });
});
