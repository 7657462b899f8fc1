/**
 * A brute force of mamoru's own console, stopped by mamoru's own guard: mamoru runs on the lab's
 * server (console on its address, plain HTTP on purpose), a jail reads the auth log with the
 * built-in `mamoru-auth` filter, and the attacker's namespace guesses passwords until it cannot
 * reach the console any more. The legitimate client still logs in; the kernel set, `mamoru bans`
 * and the auth log agree on who was banned and why.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, mamoru } from '../helpers/cli.ts';
import { needs } from '../helpers/prereq.ts';
import { createLab, type Lab } from '../lab/network.ts';

const PASSWORD = 'the-admin-password-of-the-lab';
const PORT = 8484;
let lab: Lab | undefined;
let daemon: ChildProcess | undefined;

after(async () => {
  if (daemon && daemon.exitCode === null) {
    const gone = new Promise((r) => daemon!.once('exit', r));
    daemon.kill('SIGTERM');
    await gone;
  }
  await lab?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Guesses from `host`'s namespace with a small Node script: POST /login as JSON, one guess at a
 * time, until a request fails to connect within 1.5 s (banned) or `max` guesses were made.
 * Prints one line per guess: the HTTP status, or "blocked".
 */
function guessScript(url: string, max: number): string {
  return `
const url = ${JSON.stringify(url)};
(async () => {
  for (let i = 1; i <= ${max}; i++) {
    try {
      const r = await fetch(url + '/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'admin', password: 'guess-' + i }), signal: AbortSignal.timeout(1500) });
      console.log(String(r.status));
    } catch (e) {
      console.log('blocked');
      return;
    }
  }
})();`;
}

test("a brute force of the console is banned by mamoru's own guard (mamoru-auth filter)", { timeout: 120_000 }, async (t) => {
  if (needs(t, { root: true, commands: ['ip', 'nft'] })) return;
  lab = await createLab();
  const dir = join(lab.dir, 'console');
  mkdirSync(dir, { recursive: true });
  const authLog = join(dir, 'auth.log');
  const table = `mamoru_console_${lab.id.replace(/\W/g, '_')}`;
  const cfg = join(dir, 'mamoru.yaml');
  writeFileSync(
    cfg,
    `store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }
web: { host: ${lab.server.ip}, port: ${PORT}, insecure_http: true }
auth: { log_file: ${authLog} }
log: { level: info }
targets: [{ name: console, address: ${lab.server.ip} }]
guard:
  firewall: { type: nftables, table: ${table} }
  state_dir: ${join(dir, 'guard-state')}
  enrich: { whois: { enabled: false } }
  jails:
    - { name: console, filters: [mamoru-auth], sources: [{ type: file, paths: ['${authLog}'] }], max_retry: 5, find_time: 10m, ban_time: 1h, port: ${PORT} }
`,
  );
  let out = '';
  daemon = lab.server.spawn([process.execPath, BIN, 'start', '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MAMORU_ADMIN_PASSWORD: PASSWORD, MAMORU_LOG_FORMAT: 'json' } });
  daemon.stdout!.on('data', (d) => (out += d));
  daemon.stderr!.on('data', (d) => (out += d));
  const t0 = Date.now();
  while (!/web UI and API on/.test(out)) {
    if (daemon.exitCode !== null) throw new Error(`mamoru exited (${daemon.exitCode}):\n${out}`);
    if (Date.now() - t0 > 30_000) throw new Error(`mamoru did not start:\n${out}`);
    await sleep(50);
  }
  assert.match(out, /in clear text \(web.insecure_http: true\)/, 'a console on plain HTTP off loopback is warned about at start');
  const url = `http://${lab.server.ip}:${PORT}`;

  // The attacker guesses until it is cut off.
  const r = lab.attacker.run([process.execPath, '-e', guessScript(url, 40)], { timeoutMs: 90_000 });
  const answers = r.stdout.trim().split('\n');
  assert.equal(answers.at(-1), 'blocked', `the attacker was never blocked: ${answers.join(' ')}\n${r.stderr}\n${out}`);
  const guesses = answers.filter((a) => a !== 'blocked');
  assert.ok(guesses.every((a) => a === '401' || a === '429'), `every guess was refused: ${guesses.join(' ')}`);
  // Banned at the 5th failure: the guesses that got an answer are 5, plus at most the few the
  // guard had not read yet when they arrived.
  assert.ok(guesses.length >= 5 && guesses.length <= 8, `${guesses.length} guesses before the ban (max_retry 5)`);
  t.diagnostic(`login flood: ${guesses.length} guesses answered, then blocked`);

  // In the kernel, in the store (mamoru bans), and the auth log says why.
  const set = lab.server.run(['nft', 'list', 'set', 'inet', table, 'port4']).stdout;
  assert.match(set, new RegExp(lab.attacker.ip.replace(/\./g, '\\.')), set);
  const bans = await mamoru(['bans', 'list', '--json', '-c', cfg]);
  assert.equal(bans.code, 0, bans.stderr);
  const list = JSON.parse(bans.stdout) as Array<{ address: string; jail: string; port?: number }>;
  assert.deepEqual(list.map((b) => [b.address, b.jail, b.port]), [[lab.attacker.ip, 'console', PORT]]);
  const lines = readFileSync(authLog, 'utf8').trim().split('\n');
  assert.ok(lines.filter((l) => l.includes(`login failed from ${lab!.attacker.ip} for user "admin"`)).length >= 5, lines.join('\n'));

  // The client, another address, still logs in.
  const ok = lab.client.run(
    [process.execPath, '-e', `fetch(${JSON.stringify(url + '/login')}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'admin', password: ${JSON.stringify(PASSWORD)} }) }).then((r) => console.log(r.status, r.headers.get('set-cookie') ? 'cookie' : 'none'))`],
    { timeoutMs: 20_000 },
  );
  assert.equal(ok.stdout.trim(), '200 cookie', ok.stderr);
  assert.ok(readFileSync(authLog, 'utf8').includes(`login ok from ${lab.client.ip} for user "admin"`));
});
