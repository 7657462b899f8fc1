/**
 * Issue 12, the other texts a server answers: its error log, its TCP table, `ss`, the mail
 * queue. Each is read through a fake server (lazy-server.ts) filled as an attacker or a flood
 * would fill it (a megabyte of one-character lines, a line of a million blanks, 200,000 sockets
 * against 50,000 listeners, a recipient line built to backtrack), and held to the same bounds
 * as the Apache config: the result is right, the event loop is never held 100 ms, the heap stays
 * under 300 MiB.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { inspectConnections } from '../../src/inspect/connections.ts';
import { inspectErrorLog } from '../../src/inspect/error-log.ts';
import { inspectListening } from '../../src/inspect/listening.ts';
import { readTcpTable } from '../../src/inspect/proc-net-tcp.ts';
import { parseQueueSliced } from '../../src/runbooks/mail-queue-parse.ts';
import { flat, LazyServer, measure } from './lazy-server.ts';

const MAX_BLOCK_MS = 100;
const MAX_HEAP_MIB = 300;
const MiB = 1024 * 1024;

/** Runs `work`, asserts the loop and heap bounds and reports the figures. */
async function bounded<T>(t: TestContext, work: () => Promise<T>): Promise<T> {
  const m = await measure(work);
  t.diagnostic(`longest event-loop block ${m.longestCpuBlockMs.toFixed(1)} ms on the CPU (${m.longestBlockMs.toFixed(1)} ms wall), peak heap +${m.peakHeapMiB.toFixed(1)} MiB, ${m.elapsedMs.toFixed(0)} ms in all`);
  assert.ok(m.longestCpuBlockMs < MAX_BLOCK_MS, `the event loop was held ${m.longestCpuBlockMs.toFixed(1)} ms`);
  assert.ok(m.peakHeapMiB < MAX_HEAP_MIB, `the heap grew ${m.peakHeapMiB.toFixed(1)} MiB`);
  return m.value;
}

const files = (map: Record<string, string>) => {
  for (const text of Object.values(map)) flat(text);
  return new LazyServer({ file: (p) => map[p], dir: () => undefined });
};

describe('error log from a hostile server', () => {
  test('a megabyte of one-character lines: the last 50 kept, all counted, in slices', async (t) => {
    const exec = files({ '/var/log/e': 'a\n'.repeat(MiB / 2) });
    const ev = await bounded(t, () => inspectErrorLog(exec, { path: '/var/log/e', maxBytes: MiB }));
    // A full read: the first line may be cut, so it is not counted.
    assert.equal(ev.matched, MiB / 2 - 1);
    assert.equal(ev.lines.length, 50);
  });

  test('a line of a million blanks after an Apache time, and one of a million digits: times read from the start only', async (t) => {
    const text = `[Tue Nov${' '.repeat(MiB / 2)}26 x\n2026-11-26T14:00:00.${'1'.repeat(MiB / 2)}\n[Tue Nov 26 14:00:01 2026] AH00161: server reached MaxRequestWorkers setting\n`;
    const exec = files({ '/var/log/e': text });
    const ev = await bounded(t, () => inspectErrorLog(exec, { path: '/var/log/e', maxBytes: 2 * MiB, match: /server reached (MaxRequestWorkers|MaxClients) setting/ }));
    assert.equal(ev.matched, 1);
    assert.equal(ev.lines[0]?.time, new Date(2026, 10, 26, 14, 0, 1).toISOString());
  });
});

describe('the TCP table and ss from a flooded or hostile server', () => {
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
  const row = (i: number, local: string, remote: string, st: string) => `${String(i).padStart(6)}: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000     0        0 ${i} 1 0000000000000000 20 4 30 10 -1\n`;
  /** 50,000 listeners on 127.0.0.1, and 200,000 connections to port 80 from 200,000 addresses. */
  const table = (() => {
    const parts = ['  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n', row(0, '00000000:0050', '00000000:0000', '0A')];
    for (let i = 1; i <= 50_000; i++) parts.push(row(i, `0100007F:${hex(1024 + i, 4)}`, '00000000:0000', '0A'));
    for (let i = 0; i < 200_000; i++) parts.push(row(50_001 + i, '0100000A:0050', `${hex((i & 0xffffff) | 0x0b000000, 8).match(/../g)!.reverse().join('')}:${hex(1024 + (i % 60000), 4)}`, i % 3 ? '01' : '03'));
    return flat(parts.join(''));
  })();

  test('200,000 connections against 50,000 listeners: counted in slices, the source that holds most first', async (t) => {
    const exec = files({ '/proc/net/tcp': table, '/proc/net/tcp6': '' });
    const ev = await bounded(t, () => inspectConnections(exec, { top: 10 }));
    assert.equal(ev.total, 200_000);
    assert.equal(ev.distinctSources, 200_000);
    assert.equal(ev.topSources.length, 10);
    assert.equal(ev.topSources[0]?.address, '11.0.0.0');
    assert.deepEqual(ev.topSources[0]?.localPorts, { 80: 1 });
  });

  test('/proc/net/tcp of 32 MiB in one line of words, and of blanks: nothing parsed, nothing held', async (t) => {
    for (const text of [`0: ${'a '.repeat(16 * MiB - 2)}`, ' '.repeat(32 * MiB)]) {
      const exec = files({ '/proc/net/tcp': text, '/proc/net/tcp6': '' });
      const sockets = await bounded(t, () => readTcpTable(exec));
      assert.deepEqual(sockets, []);
    }
  });

  test('ss -ltnH of 100,000 listeners: parsed in slices', async (t) => {
    const ss = flat(Array.from({ length: 100_000 }, (_, i) => `LISTEN 0      511     127.0.0.1:${1 + (i % 65_000)}      0.0.0.0:*\n`).join(''));
    const exec = new LazyServer({ file: () => undefined, dir: () => undefined, command: (argv) => (argv[0] === 'ss' ? ss : undefined) });
    const ev = await bounded(t, () => inspectListening(exec, { source: 'ss' }));
    assert.equal(ev.sockets.length, 100_000);
    assert.equal(ev.ports.length, 65_000);
  });
});

describe('the mail queue from a hostile sender', () => {
  test('a recipient line of 100,000 characters that ends in a second word: linear, not counted', async (t) => {
    const text = flat(`ABCDE1*     312 Tue Jan 19 20:38:08  sender@example.com\n ${'a'.repeat(100_000)} x\n    rcpt@example.org\n`);
    const q = await bounded(t, () => parseQueueSliced(text));
    assert.equal(q.entries[0]?.recipients, 1);
  });

  test('a listing of 32 MiB: 250,000 messages, parsed in slices', async (t) => {
    const entry = (i: number) => `${String(100_000 + i)}A* 312 Tue Jan 19 20:38:08  s${i % 10}@example.com\n (connect to mx[1.2.3.4]:25: Connection refused)\n    rcpt@example.org\n\n`;
    const text = flat(Array.from({ length: 250_000 }, (_, i) => entry(i)).join('') + '-- 78 Kbytes in 250000 Requests.\n');
    const q = await bounded(t, () => parseQueueSliced(text));
    assert.equal(q.entries.length, 250_000);
    assert.equal(q.stated, 250_000);
    assert.equal(q.entries[7]?.reason, 'connect to mx[1.2.3.4]:25: Connection refused');
  });
});
