/**
 * `mamoru start` end to end, as an operator runs it: the default config for this machine, the
 * API and metrics, soft then hard problems, reload on SIGHUP (kept state, bad file rejected),
 * clean stop on SIGTERM with nothing lost, and state restored on the next start.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { mamoru, mamoruProcess } from '../helpers/cli.ts';

let dir: string;
let server: net.Server;
let upPort: number;
let downPort: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-start-'));
  server = net.createServer((s) => {
    s.on('error', () => {});
    s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  upPort = (server.address() as AddressInfo).port;
  const tmp = net.createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  downPort = (tmp.address() as AddressInfo).port;
  await new Promise<void>((r) => tmp.close(() => r()));
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(extra = ''): string {
  return `defaults: { interval: 1s, retry_interval: 1s, max_attempts: 2, timeout: 2s }
store: { type: sqlite, path: ${join(dir, 'data', 'mamoru.db')} }
web: { port: 0 }
log: { level: info }
targets:
  - name: local
    address: 127.0.0.1
    checks:
      - { type: tcp, name: up, port: ${upPort} }
      - { type: tcp, name: down, port: ${downPort} }
${extra}`;
}

/** The daemon's requests carry the token it wrote for this machine's command line, as `mamoru ack` does. */
const auth = () => ({ authorization: `Bearer ${readFileSync(join(dir, 'data', 'cli.token'), 'utf8').trim()}` });

async function getJson(url: string): Promise<any> {
  const r = await fetch(url, { headers: auth() });
  assert.equal(r.status, 200);
  return r.json();
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('start, observe, reload, stop, restart', async () => {
  const cfg = join(dir, 'mamoru.yaml');
  writeFileSync(cfg, config());
  const run = mamoruProcess(['start', '-c', cfg]);
  try {
    const [, url] = await run.waitFor(/web UI and API on (http:\/\/127\.0\.0\.1:\d+)/);
    // The refused port goes soft, then hard after max_attempts (2), and the transition is logged.
    const status = await until('the down check to become hard CRITICAL', async () => {
      const s = await getJson(`${url}/api/status`);
      const down = s.checks.find((c: any) => c.id === 'local/down');
      // The quick re-check can make it hard before the up check has run at all: wait for both.
      const up = s.checks.find((c: any) => c.id === 'local/up');
      return down?.state_name === 'CRITICAL' && down.state_type === 'hard' && up?.text ? s : undefined;
    });
    const up = status.checks.find((c: any) => c.id === 'local/up');
    assert.equal(up.state_name, 'OK');
    assert.match(up.text, /^TCP OK/);
    assert.match(run.output(), /local\/down: OK -> CRITICAL \(soft 1\/2\)/);
    assert.match(run.output(), /local\/down: CRITICAL -> CRITICAL \(hard\)|local\/down: OK -> CRITICAL \(hard\)/);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /mamoru_check_state\{check="local\/down",target="local",type="tcp"\} 2/);
    assert.match(metrics, /mamoru_check_state\{check="local\/up",target="local",type="tcp"\} 0/);
    const page = await (await fetch(`${url}/`, { headers: auth() })).text();
    assert.match(page, /local\/down|<td>down<\/td>/);
    assert.match(page, /Connection refused/);

    // A bad config on SIGHUP is rejected; the running checks go on.
    const lastChange = status.checks.find((c: any) => c.id === 'local/down').last_change;
    writeFileSync(cfg, config('      - { type: tcp, name: broken, portt: 1 }\n'));
    run.child.kill('SIGHUP');
    await run.waitFor(/config reload rejected, keeping the running config/);
    assert.equal((await getJson(`${url}/api/status`)).checks.length, 2);

    // A good one is applied: the new check appears, the old ones keep their state.
    writeFileSync(cfg, config(`      - { type: tcp, name: added, port: ${upPort} }\n`));
    run.child.kill('SIGHUP');
    await run.waitFor(/config reloaded: 3 checks/);
    const after = await getJson(`${url}/api/status`);
    assert.equal(after.checks.length, 3);
    const down = after.checks.find((c: any) => c.id === 'local/down');
    assert.equal(down.state_type, 'hard');
    assert.equal(down.last_change, lastChange, 'a reload does not reset the state');
    await until('the added check to run', async () => {
      const s = await getJson(`${url}/api/status`);
      return s.checks.find((c: any) => c.id === 'local/added')?.state_name === 'OK' && s.checks.find((c: any) => c.id === 'local/added').last_check ? true : undefined;
    });
  } finally {
    run.child.kill('SIGTERM');
  }
  assert.equal(await run.exited, 0, 'SIGTERM stops cleanly with exit 0');
  assert.match(run.output(), /mamoru stopped/);

  // Nothing lost: results and states are in the database after the stop.
  const db = new Database(join(dir, 'data', 'mamoru.db'), { readonly: true });
  try {
    const states = db.prepare('select check_id, state, state_type from check_states order by check_id').all() as any[];
    assert.deepEqual(states.map((s) => [s.check_id, s.state, s.state_type]), [
      ['local/added', 0, 'hard'],
      ['local/down', 2, 'hard'],
      ['local/up', 0, 'hard'],
    ]);
    const n = (db.prepare("select count(*) n from results where check_id = 'local/down'").get() as any).n;
    assert.ok(n >= 2, `results of local/down were stored (${n})`);
    const revisions = (db.prepare('select count(*) n from config_revisions').get() as any).n;
    assert.equal(revisions, 2, 'the first config and the reloaded one (the rejected one is not stored)');
  } finally {
    db.close();
  }

  // Restarted, the hard CRITICAL is known before the first new result.
  const again = mamoruProcess(['start', '-c', cfg]);
  try {
    const [, url] = await again.waitFor(/web UI and API on (http:\/\/127\.0\.0\.1:\d+)/);
    const s = await getJson(`${url}/api/status`);
    const down = s.checks.find((c: any) => c.id === 'local/down');
    assert.equal(down.state_name, 'CRITICAL');
    assert.equal(down.state_type, 'hard');
  } finally {
    again.child.kill('SIGINT');
  }
  assert.equal(await again.exited, 0);
});

test('a config with mistakes: all reported, exit 2, nothing started', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, `store: { type: sqlite, path: ${join(dir, 'bad-data', 'm.db')} }\ntargets:\n  - name: a\n    address: 127.0.0.1\n    checks:\n      - { type: tcp }\n      - { type: htp, port: 1 }\n`);
  const r = await mamoru(['start', '-c', bad]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /2 problems in the configuration/);
  assert.match(r.stderr, /bad\.yaml:6:9: targets\[0\]\.checks\[0\]\.port: missing/);
  assert.match(r.stderr, /bad\.yaml:7:17: targets\[0\]\.checks\[1\]\.type: unknown type "htp"/);
  assert.equal(existsSync(join(dir, 'bad-data')), false, 'no store was created');
});

test('with no config, start writes one for this machine that validates', async () => {
  const home = mkdtempSync(join(tmpdir(), 'mamoru-first-'));
  try {
    const run = mamoruProcess(['start', '--port', '0'], { cwd: home });
    try {
      await run.waitFor(/web UI and API on http/);
    } finally {
      run.child.kill('SIGTERM');
    }
    assert.equal(await run.exited, 0);
    const text = readFileSync(join(home, 'mamoru.yaml'), 'utf8');
    assert.match(text, /type: ping/);
    assert.match(text, /type: disk/);
    assert.match(text, /address: 127\.0\.0\.1/);
    const v = await mamoru(['config', 'validate'], { cwd: home });
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^mamoru\.yaml: OK/);
    assert.ok(existsSync(join(home, 'data', 'mamoru.db')), 'data under ./data/ by default');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('with the web room turned off, the daemon keeps running and checking until it is told to stop', async () => {
  const file = join(dir, 'no-web.yaml');
  writeFileSync(
    file,
    `defaults: { interval: 500ms, retry_interval: 250ms, max_attempts: 2, timeout: 1s }
store: { type: sqlite, path: ${join(dir, 'no-web.db')} }
web: { enabled: false }
targets:
  - name: local
    address: 127.0.0.1
    checks:
      - { type: tcp, name: down, port: ${downPort} }
`,
  );
  const run = mamoruProcess(['start', '-c', file], { env: { MAMORU_LOG_FORMAT: 'json' } });
  try {
    await run.waitFor(/local\/down: \w+ -> CRITICAL \(hard\)/, 30_000);
    assert.equal(run.child.exitCode, null, 'still running');
  } finally {
    run.child.kill('SIGTERM');
  }
  assert.equal(await run.exited, 0);
  assert.match(run.output(), /mamoru stopped/);
});
