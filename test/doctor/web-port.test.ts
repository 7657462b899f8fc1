/**
 * The console's port in `mamoru doctor`: held by the running mamoru daemon it is fine (doctor is
 * run beside the service), held by another program it is a ✗ naming that program, found through
 * /proc, with nothing sent to the port.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mamoru, mamoruProcess } from '../helpers/cli.ts';
import { freePort } from './peers.ts';

describe('mamoru doctor: the web console port', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mamoru-doctor-web-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const config = (name: string, port: number) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, [`store: { type: sqlite, path: ${join(dir, name, 'mamoru.db')} }`, `web: { port: ${port} }`, 'targets: []', ''].join('\n'));
    return file;
  };

  test('held by the running daemon: ✓ with its pid', async () => {
    const port = await freePort();
    const file = config('daemon', port);
    const run = mamoruProcess(['start', '-c', file]);
    try {
      await run.waitFor(/web UI and API on http:\/\/127\.0\.0\.1:\d+/, 60_000);
      const r = await mamoru(['doctor', '-c', file]);
      assert.match(r.stdout, new RegExp(`\n  ✓ 127\\.0\\.0\\.1:${port} is held by the mamoru daemon itself \\(pid ${run.child.pid}\\)\n`), r.stdout);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  test('held by another program: ✗ naming it, and the fix', async () => {
    const port = await freePort();
    const file = config('other', port);
    const other: Server = createServer();
    await new Promise<void>((r) => other.listen(port, '127.0.0.1', r));
    try {
      const r = await mamoru(['doctor', '-c', file]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`\n  ✗ 127\\.0\\.0\\.1:${port} is in use by pid ${process.pid} \\(${process.execPath.replace(/[.]/g, '\\.')} .*\\)\n      fix: stop that program, or set web\\.port to a free port in ${file}\n`), r.stdout);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });
});
