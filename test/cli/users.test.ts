/**
 * `mamoru users`, `mamoru tokens` and `mamoru audit` as an operator runs them: the real CLI as a
 * child process on a temporary config and SQLite file; what they did is then checked through a
 * real AuthService on the same file (a login with the password set, the token printed).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execFile } from 'node:child_process';
import { createAuthService } from '../../src/auth/service.ts';
import type { AuthService } from '../../src/auth/types.ts';
import { authSchema } from '../../src/config/web.ts';
import { systemClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/log.ts';
import { stores } from '../../src/store/index.ts';
import { BIN, mamoru, type CliRun } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-users-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'mamoru.db');
const cfg = join(dir, 'mamoru.yaml');
writeFileSync(cfg, `store: { type: sqlite, path: ${db} }\n`);

/** The CLI with `input` on standard input. */
function withStdin(args: string[], input: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { timeout: 30_000, env: { ...process.env, MAMORU_PASSWORD: '' } }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: number }).code : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
    child.stdin!.end(input);
  });
}

/** The same store, seen through the service, as the daemon would. */
async function service<T>(fn: (a: AuthService) => Promise<T>): Promise<T> {
  const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path: db }), { log: silentLogger });
  try {
    return await fn(createAuthService({ store, clock: systemClock, log: silentLogger, config: authSchema.parse({ log_file: '' }) }));
  } finally {
    await store.close();
  }
}

const ok = (r: CliRun) => {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r;
};

test('users: add (stdin, environment), list, passwd, remove; mistakes are usage errors', async () => {
  assert.equal(ok(await mamoru(['users', '-c', cfg])).stdout, 'no users (the first start of the daemon creates "admin")\n');
  assert.equal(ok(await withStdin(['users', 'add', 'taro', '--role', 'operator', '--password-stdin', '-c', cfg], 'taro has a long password\n')).stdout, 'added user taro (operator, sees everything)\n');
  const added = ok(await mamoru(['users', 'add', 'client-a', '--role', 'viewer', '--targets', 'web1, db1', '--tags', 'client-a', '--json', '-c', cfg], { env: { MAMORU_PASSWORD: 'client a password' } }));
  assert.deepEqual(JSON.parse(added.stdout).scope, { targets: ['web1', 'db1'], tags: ['client-a'] });
  assert.ok(!added.stdout.includes('scrypt'), 'no password hash printed');

  const list = ok(await mamoru(['users', 'list', '-c', cfg])).stdout.split('\n');
  assert.match(list[0]!, /^NAME +ROLE +SEES +CREATED +PASSWORD SET$/);
  assert.match(list[1]!, /^client-a +viewer +targets web1,db1; tags client-a +\d{4}-/);
  assert.match(list[2]!, /^taro +operator +everything +\d{4}-/);
  const json = JSON.parse(ok(await mamoru(['users', 'list', '--json', '-c', cfg])).stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(json.map((u) => [u.name, u.role, 'passwordHash' in u]), [['client-a', 'viewer', false], ['taro', 'operator', false]]);

  // One at a time: seven CLIs starting at once on a loaded 2-core machine can pass the timeout.
  const refusals: [() => Promise<CliRun>, RegExp][] = [
    [() => withStdin(['users', 'add', 'taro', '--role', 'viewer', '--password-stdin', '-c', cfg], 'another long password\n'), /a user named "taro" exists already/],
    [() => withStdin(['users', 'add', 'jiro', '--role', 'root', '--password-stdin', '-c', cfg], 'another long password\n'), /role "root" is not a user's role: use one of viewer, operator, admin/],
    [() => withStdin(['users', 'add', 'jiro', '--role', 'viewer', '--password-stdin', '-c', cfg], 'short\n'), /too short: use at least 12 characters/],
    [() => withStdin(['users', 'add', 'Jiro', '--role', 'viewer', '--password-stdin', '-c', cfg], 'another long password\n'), /user name "Jiro" is not allowed/],
    [() => withStdin(['users', 'add', 'jiro', '--role', 'viewer', '-c', cfg], ''), /no password for jiro: give it on standard input with --password-stdin, set MAMORU_PASSWORD, or run this on a terminal/],
    [() => withStdin(['users', 'passwd', 'nobody', '--password-stdin', '-c', cfg], 'another long password\n'), /no user named "nobody"; "mamoru users list" shows them/],
    [() => mamoru(['users', 'remove', 'nobody', '-c', cfg]), /no user named "nobody"/],
  ];
  for (const [run, re] of refusals) {
    const r = await run();
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
  }

  await service(async (a) => {
    assert.equal((await a.login('taro', 'taro has a long password', '192.0.2.1')).ok, true);
    assert.equal((await a.login('client-a', 'client a password', '192.0.2.1')).ok, true);
  });
  const s = await service(async (a) => {
    const r = await a.login('taro', 'taro has a long password', '192.0.2.1');
    return r.ok ? r.sessionId : '';
  });
  assert.equal(ok(await withStdin(['users', 'passwd', 'taro', '--password-stdin', '-c', cfg], 'a new password for taro\r\n')).stdout, 'password of taro set; their sessions were ended\n');
  await service(async (a) => {
    assert.equal(await a.session(s), undefined, 'the session from before the change is over');
    assert.equal((await a.login('taro', 'taro has a long password', '192.0.2.1')).ok, false);
    assert.equal((await a.login('taro', 'a new password for taro', '192.0.2.1')).ok, true);
  });

  assert.equal(ok(await mamoru(['users', 'remove', 'client-a', '-c', cfg])).stdout, 'removed user client-a with their sessions and tokens\n');
  assert.deepEqual((await service((a) => a.users())).map((u) => u.name), ['taro']);
});

test('tokens: create prints the token once, list never shows it, revoke by name and id', async () => {
  const created = ok(await mamoru(['tokens', 'create', 'ci-ingest', '--role', 'ingest', '--expires', '30d', '-c', cfg]));
  const token = created.stdout.trim();
  assert.match(created.stdout, /^mamoru_[A-Za-z0-9_-]{43}\n$/, 'the token alone on standard output');
  assert.match(created.stderr, /token ci-ingest \(id \d+, role ingest, expires \d{4}-.*\): keep it now, it is not shown again/);
  const p = await service((a) => a.token(token));
  assert.deepEqual([p?.actor, p?.role], ['token:ci-ingest', 'ingest']);

  const viewer = JSON.parse(ok(await mamoru(['tokens', 'create', 'dash', '--role', 'viewer', '--user', 'taro', '--tags', 'prod', '--json', '-c', cfg])).stdout) as { token: string; id: number; scope: unknown };
  assert.match(viewer.token, /^mamoru_/);
  assert.deepEqual(viewer.scope, { targets: [], tags: ['prod'] });

  const table = ok(await mamoru(['tokens', '-c', cfg])).stdout;
  assert.match(table, /^ID +NAME +ROLE +USER +SEES +CREATED +EXPIRES +LAST USED +STATE\n/);
  assert.match(table, /\n\d+ +ci-ingest +ingest +- +everything +\S+ +\d{4}-\S+ +\S+ +live\n/);
  assert.match(table, /\n\d+ +dash +viewer +taro +tags prod +\S+ +never +- +live\n/);
  assert.ok(!table.includes(token) && !table.includes(viewer.token), 'list never prints a token');

  for (const [args, re] of [
    [['tokens', 'create', 'x', '--role', 'operator', '--user', 'nobody'], /no user named "nobody"/],
    [['tokens', 'create', 'x', '--role', 'viewer', '--expires', 'soon'], /--expires: expected a duration/],
    [['tokens', 'create', 'ci-ingest', '--role', 'ingest'], /a token named "ci-ingest" exists already/],
    [['tokens', 'revoke', 'nothing'], /no live token with id or name "nothing"/],
  ] as const) {
    const r = await mamoru([...args, '-c', cfg]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
  }

  assert.equal(ok(await mamoru(['tokens', 'revoke', 'ci-ingest', '-c', cfg])).stdout, 'revoked token ci-ingest\n');
  assert.equal(ok(await mamoru(['tokens', 'revoke', String(viewer.id), '-c', cfg])).stdout, `revoked token ${viewer.id}\n`);
  assert.equal(await service((a) => a.token(token)), undefined);
  assert.equal(await service((a) => a.token(viewer.token)), undefined);
  assert.match(ok(await mamoru(['tokens', '-c', cfg])).stdout, /ci-ingest .* revoked \d{4}-/);
});

test('audit: what the commands did, newest first, by "cli"; paged with --before; JSON', async () => {
  const text = ok(await mamoru(['audit', '-c', cfg])).stdout;
  assert.match(text, /^ID +AT +WHO +FROM +ACTION +SUBJECT +DETAIL\n/);
  const actions = text.trimEnd().split('\n').slice(1).map((l) => l.split(/ {2,}/)[4]);
  for (const a of ['user-add', 'user-passwd', 'user-remove', 'token-create', 'token-revoke', 'login', 'login-failed']) assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
  const all = JSON.parse(ok(await mamoru(['audit', '--json', '--limit', '1000', '-c', cfg])).stdout) as Array<{ id: number; actor: string; action: string; subject: string; address: string | null }>;
  assert.ok(all.every((r, i) => i === 0 || r.id < all[i - 1]!.id), 'newest first');
  assert.deepEqual(all.filter((r) => r.action === 'user-remove').map((r) => [r.actor, r.subject, r.address]), [['cli', 'user:client-a', null]]);
  assert.deepEqual(all.filter((r) => r.action === 'login').map((r) => [r.actor, r.address])[0], ['user:taro', '192.0.2.1']);
  const page = JSON.parse(ok(await mamoru(['audit', '--json', '--limit', '2', '--before', String(all[1]!.id), '-c', cfg])).stdout) as typeof all;
  assert.deepEqual(page, all.slice(2, 4));
  const bad = await mamoru(['audit', '--limit', 'lots', '-c', cfg]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--limit expects a whole number from 1 to 1000, got "lots"/);
});
