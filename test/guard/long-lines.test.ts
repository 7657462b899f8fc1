/**
 * One line reader for the jail and logtest (issue 16, point 6): an address after a 20 KiB user
 * name (sshd, Dovecot: the address near the tail) or before a 20 KiB URI (an access log: at the
 * head) is found by the jail live and by `mamoru logtest`, and the over-long line is counted and
 * warned of by both.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { guardFigures } from '../../src/daemon-guard.ts';
import { Metrics } from '../../src/web/metrics.ts';
import { LineSplitter, type SplitLines } from '../../src/guard/sources/lines.ts';
import { rig, sshdLine, until } from './rig.ts';

const BIN = fileURLToPath(new URL('../../bin/mamoru.js', import.meta.url));
const HUGE = 'A'.repeat(20 * 1024);

const cases = [
  { filter: 'sshd', address: '203.0.113.7', line: sshdLine('203.0.113.7', HUGE) },
  {
    filter: 'dovecot',
    address: '203.0.113.8',
    line: `${new Date().toISOString().slice(0, 19).replace('T', ' ')} pop3-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 0 secs): user=<${HUGE}>, method=PLAIN, rip=203.0.113.8, lip=10.0.0.1, session=<DcV6SQNiCKMKsRVC>`,
  },
  { filter: 'bot-search', address: '203.0.113.9', line: `203.0.113.9 - - [07/Dec/2026:04:42:54 +0000] "GET /.env?${HUGE} HTTP/1.1" 404 153 "-" "curl/7.88.1"` },
];

for (const c of cases) {
  test(`${c.filter}: the address of a line with 20 KiB of client text is found by the jail and by logtest`, async () => {
    const r = await rig();
    try {
      const g = await r.make([r.jail('long', { filters: [c.filter], max_retry: 1, mode: 'aggressive' })]);
      r.write(c.line);
      await g.start();
      const store = await r.store();
      await until(async () => (await store.bans()).some((b) => b.address === c.address), `the jail to ban ${c.address}`);
      assert.equal(g.longLines, 1, 'the long line is counted');
      const metrics = new Metrics();
      metrics.sampleGuardFrom(() => guardFigures(g));
      assert.match(await metrics.registry.metrics(), /^mamoru_guard_long_lines 1$/m, 'and shown on /metrics');
      assert.ok(r.said.some((l) => /over max_line_length; searched in their head and tail/.test(l)), 'and warned of in the log');

      const file = join(r.dir, 'copy.log');
      writeFileSync(file, c.line + '\n');
      const out = spawnSync(process.execPath, [BIN, 'logtest', c.filter, file, '--json', '--mode', 'aggressive'], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(out.status, 0, out.stderr);
      const found = out.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { address: string; line: number });
      assert.deepEqual(found.map((f) => [f.address, f.line]), [[c.address, 1]]);
      assert.match(out.stderr, /1 line over 16,384 bytes/);
    } finally {
      await r.done();
    }
  });
}

test('the line reader: head and tail of a long line, bounded while it has no end, offsets and numbers of every line', () => {
  const s = new LineSplitter(300, 'latin1');
  const out: SplitLines = { lines: [], offsets: [], long: 0, numbers: [] };
  s.push(Buffer.from('first\r\n\n'), 0, out);
  // A long line arriving in pieces, never more than the limit held.
  s.push(Buffer.from('h'.repeat(100)), 8, out);
  for (let i = 0; i < 100; i++) s.push(Buffer.from('m'.repeat(1000)), 108 + i * 1000, out);
  s.push(Buffer.from('t'.repeat(200) + ' END\nlast'), 100_108, out);
  assert.equal(s.pendingStart, 100_108 + 205);
  s.end(out);
  assert.deepEqual(out.lines, ['first', 'h'.repeat(100) + 'm'.repeat(50) + ' [...] ' + 't'.repeat(146) + ' END', 'last']);
  assert.deepEqual(out.offsets, [0, 8, 100_313]);
  assert.deepEqual(out.numbers, [1, 3, 4]);
  assert.equal(out.long, 1);
});
