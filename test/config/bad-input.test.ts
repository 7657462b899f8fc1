/**
 * The bad configs of issue 16 through the real command line: `mamoru config validate` (and
 * `mamoru start` for the one that used to crash it) exits 2 and names the file and the line of
 * the problem with a sentence; never a stack trace. Alias bombs, documents nested thousands deep
 * and files past 8 MiB included.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { mamoru } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-bad-input-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A small valid config with one line to replace: `LINE` stands where the bad value goes. */
const config = (line: string) => `store: { type: sqlite, path: ':memory:' }
web: { enabled: false }
targets:
  - name: web1
    address: 192.0.2.10
    checks:
      - type: tcp
        port: 22
${line}
`;

interface BadCase {
  name: string;
  text: string | (() => string);
  /** What the line the message points at holds (a key, or `*` for an alias). */
  at: RegExp;
  /** Words the message must carry. */
  says: RegExp;
}

const bomb = () => {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
  return lines.join('\n') + '\n';
};

const cases: BadCase[] = [
  { name: 'interval: 0s', text: config('        interval: 0s'), at: /interval/, says: /at least 100ms/ },
  { name: 'interval: 99999999999999999999d', text: config('        interval: 99999999999999999999d'), at: /interval/, says: /at most 30d/ },
  { name: 'retry_interval: 1180591620717411303424', text: config('        retry_interval: 1180591620717411303424'), at: /retry_interval/, says: /at most 30d/ },
  { name: 'address: 999.1.1.1', text: config('').replace('192.0.2.10', '999.1.1.1'), at: /address/, says: /expected an IP address .* or a host name/ },
  { name: "web.host: '0s'", text: config('').replace('web: { enabled: false }', "web: { host: '0s' }"), at: /host/, says: /address to listen on/ },
  { name: 'escalations.after: 1e308', text: config('notifications: { escalations: [{ after: 1e308, level: 1 }] }'), at: /after/, says: /at most 366d/ },
  { name: 'guard.allow: [0.0.0.0/0]', text: config('guard: { allow: [0.0.0.0/0] }'), at: /allow/, says: /covers every address.*allow_everything: true/ },
  { name: 'an unknown filter', text: config('guard: { jails: [{ name: ssh, filters: [sshdd], sources: [{ type: file, paths: [/var/log/auth.log] }] }] }'), at: /sshdd/, says: /unknown filter|expected one of/ },
  { name: 'a YAML alias bomb', text: bomb, at: /\*/, says: /alias bomb/ },
  { name: 'a document nested 100,000 deep', text: () => `x: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, at: /\[/, says: /nested too deeply/ },
  { name: 'a 9 MiB document', text: () => `# ${'x'.repeat(9 * 1024 * 1024)}\n`, at: /^#/, says: /larger than 8 MiB/ },
];

/** The line `file:N` in the output points at, and its text. */
function pointedLine(stderr: string, file: string): string {
  const m = stderr.match(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`));
  assert.ok(m, `the message names ${file}:LINE:\n${stderr}`);
  const lines = readFileSync(file, 'utf8').split('\n');
  return lines[Number(m[1]) - 1]!.slice(0, 200);
}

describe('bad configs: exit 2, file:line, a sentence, no stack', () => {
  const files = cases.map((c, i) => {
    const file = join(dir, `bad-${i}.yaml`);
    writeFileSync(file, typeof c.text === 'function' ? c.text() : c.text);
    return file;
  });

  test('config validate on each', async () => {
    // Three at a time: each is a Node start (with tsx when dist/ is stale) on a two-core machine.
    const runs: Awaited<ReturnType<typeof mamoru>>[] = [];
    for (let i = 0; i < files.length; i += 3) runs.push(...(await Promise.all(files.slice(i, i + 3).map((f) => mamoru(['config', 'validate', f], { timeoutMs: 120_000 })))));
    runs.forEach((r, i) => {
      const c = cases[i]!;
      assert.equal(r.code, 2, `${c.name}: exit ${r.code}\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /^\s{4}at /m, `${c.name}: a stack trace\n${r.stderr}`);
      assert.match(r.stderr, c.says, c.name);
      assert.match(pointedLine(r.stderr, files[i]!), c.at, `${c.name}: the line named\n${r.stderr}`);
    });
  });

  test('mamoru start on interval: 0s exits 2 with file:line instead of crashing', async () => {
    const r = await mamoru(['start', '-c', files[0]!], { timeoutMs: 120_000, cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr + r.stdout, /RangeError|^\s{4}at /m);
    assert.match(r.stderr, /interval: must be at least 100ms, got "0s"/);
    assert.match(pointedLine(r.stderr, files[0]!), /interval: 0s/);
  });
});
