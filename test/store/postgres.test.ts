/**
 * The postgres store: the shared contract on the machine's PostgreSQL (127.0.0.1:5432, user
 * postgres, trust), each harness on a database of its own, created and dropped here; then what
 * only a server store has: its options, errors that name the server and database but never the
 * password, a password that comes from a secret (checked by a server of our own that asks for
 * one), and a database from a newer mamoru refused. PostgreSQL missing is a failure, not a skip.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { silentLogger } from '../../src/core/log.ts';
import { SecretError } from '../../src/core/secrets.ts';
import { stores, StoreOpenError, StoreSchemaTooNewError, type Store, type StoreContext } from '../../src/store/index.ts';
import { migrations, versionOf } from '../../src/store/migrations/index.ts';
import { runStoreContract, result, T0 } from './contract.ts';
import { createDatabase, dropDatabase, SERVER } from './pg-harness.ts';

const postgres = stores.postgres;
const open = (config: Record<string, unknown>, ctx: Partial<StoreContext> = {}) => postgres.create(postgres.schema.parse(config), { log: silentLogger, ...ctx });

runStoreContract('postgres', async () => {
  const name = await createDatabase();
  return {
    persistent: true,
    open: (config = {}, ctx = {}) => open({ url: `${SERVER}/${name}`, ...config }, ctx),
    cleanup: () => dropDatabase(name),
  };
}, { persistent: true });

/** Runs `fn` on a fresh database; closes what it opened and drops the database after. */
async function withDatabase(fn: (url: string, opened: Store[]) => Promise<void>): Promise<void> {
  const name = await createDatabase();
  const opened: Store[] = [];
  try {
    await fn(`${SERVER}/${name}`, opened);
  } finally {
    for (const s of opened) await s.close().catch(() => {});
    await dropDatabase(name);
  }
}

/** A port nothing listens on (bound, then closed). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const PASSWORD = 'pw-Kx9#only-in-the-secret';

/** The server programs of the newest PostgreSQL installed (Debian keeps them off the PATH). */
function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions.map((v) => join(root, v, 'bin', name)).find((f) => existsSync(f));
  if (!bin) throw new Error(`${name} not found under ${root}: install the postgresql package`);
  return bin;
}

/**
 * A PostgreSQL server of our own that checks passwords (scram-sha-256), on a free loopback port
 * and a temporary directory, run as the postgres user: the machine's server trusts loopback and
 * would accept any password. Stopped and removed by the returned function.
 */
async function passwordServer(user: string, password: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-pg-'));
  chownSync(dir, uid, gid);
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGINT');
      const t = setTimeout(() => child!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const data = join(dir, 'data');
    const pwfile = join(dir, 'pw');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    chownSync(pwfile, uid, gid);
    const env = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
    execFileSync(pgBin('initdb'), ['-D', data, '-U', user, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-sync'], { uid, gid, env, stdio: 'ignore', cwd: dir, timeout: 60_000 });
    const port = await freePort();
    child = spawn(pgBin('postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], { uid, gid, env, stdio: 'ignore', cwd: dir });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const c = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres', connectionTimeoutMillis: 1_000 });
      try {
        await c.connect();
        await c.end();
        break;
      } catch (e) {
        await c.end().catch(() => {});
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`our PostgreSQL on port ${port} did not start: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    return { url: `postgres://${user}@127.0.0.1:${port}/postgres`, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A logger at debug level whose lines are kept, to look for what must never be logged. */
function capturingLogger(): { log: Logger; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { log: pino({ level: 'debug' }, stream) as unknown as Logger, text: () => lines.join('') };
}

describe('postgres store', () => {
  test('options: defaults shared with sqlite, a password in the url refused, unknown keys refused', () => {
    assert.deepEqual(postgres.schema.parse({ url: 'postgres://mamoru@db.example.com/mamoru' }), {
      url: 'postgres://mamoru@db.example.com/mamoru',
      pool_size: 10,
      connect_timeout: 10_000,
      retention_raw: 48 * 3_600_000,
      retention_ok: 2 * 3_600_000,
      retention_minute: 30 * 86_400_000,
      retention_hour: 400 * 86_400_000,
      flush_interval: 1_000,
      flush_rows: 500,
    });
    const withPassword = postgres.schema.safeParse({ url: `postgres://mamoru:${encodeURIComponent(PASSWORD)}@db.example.com/mamoru` });
    assert.equal(withPassword.success, false);
    assert.match(withPassword.error!.issues[0]!.message, /must not hold a password.*password_secret/);
    assert.ok(!JSON.stringify(withPassword.error!.issues).includes(encodeURIComponent(PASSWORD)), 'the issue does not repeat the password');
    assert.match(postgres.schema.safeParse({ url: 'mysql://x@h/db' }).error!.issues[0]!.message, /postgres:\/\//);
    assert.match(postgres.schema.safeParse({ url: 'postgres://x@h' }).error!.issues[0]!.message, /database name/);
    assert.equal(postgres.schema.safeParse({ url: 'postgres://x@h/db', path: './x.db' }).success, false);
    assert.equal(postgres.schema.safeParse({ url: 'postgres://x@h/db?sslmode=verify-full' }).success, true);
    for (const mode of ['allow', 'toString']) assert.match(postgres.schema.safeParse({ url: `postgres://x@h/db?sslmode=${mode}` }).error!.issues[0]!.message, /sslmode must be one of disable, require, verify-full/);
    assert.match(postgres.schema.safeParse({ url: 'postgres://x@h/db?options=-c%20x' }).error!.issues[0]!.message, /only sslmode and host/);
  });

  test('a port nothing listens on: a StoreOpenError naming host, port and database, not the password', async () => {
    const port = await freePort();
    const url = `postgres://mamoru@127.0.0.1:${port}/mamoru_prod`;
    await assert.rejects(open({ url, password_secret: 'db' }, { secret: () => PASSWORD }), (e: unknown) => {
      assert.ok(e instanceof StoreOpenError, String(e));
      assert.equal(e.location, `postgres://mamoru@127.0.0.1:${port}/mamoru_prod`);
      assert.match(e.reason, /ECONNREFUSED/);
      assert.match(e.hint, new RegExp(`accepts connections on 127\\.0\\.0\\.1:${port}`));
      assert.ok(!e.message.includes(PASSWORD) && !String(e.stack).includes(PASSWORD), e.message);
      return true;
    });
  });

  test('a database that does not exist: the error names it and says how to create it', async () => {
    const url = `${SERVER}/mamoru_missing_${process.pid}`;
    await assert.rejects(open({ url }), (e: unknown) => {
      assert.ok(e instanceof StoreOpenError, String(e));
      assert.equal(e.location, `postgres://postgres@127.0.0.1:5432/mamoru_missing_${process.pid}`);
      assert.match(e.reason, /3D000.*does not exist/);
      assert.match(e.hint, new RegExp(`createdb -O postgres mamoru_missing_${process.pid}`));
      return true;
    });
  });

  test('a secret that cannot be read is a StoreOpenError saying which secret', async () => {
    await assert.rejects(open({ url: `${SERVER}/postgres`, password_secret: 'pg-main' }, { secret: (name) => { throw new SecretError(name, 'not defined; add it under "secrets:" in the config'); } }), (e: unknown) => {
      assert.ok(e instanceof StoreOpenError, String(e));
      assert.match(e.reason, /secret "pg-main": not defined/);
      return true;
    });
  });

  test('tables and types on PostgreSQL: bigint times, double precision, identity ids, schema_version visible to psql', () =>
    withDatabase(async (url, opened) => {
      const store = await open({ url });
      opened.push(store);
      await store.appendResults([result({ startedAt: T0, durationMs: 2.25 })]);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const cols = await c.query<{ table_name: string; column_name: string; data_type: string; is_identity: string }>("select table_name, column_name, data_type, is_identity from information_schema.columns where table_schema = 'public' and table_name in ('results', 'rollups_minute') order by table_name, column_name");
        const type = (t: string, col: string) => cols.rows.find((r) => r.table_name === t && r.column_name === col);
        assert.equal(type('results', 'started_at')?.data_type, 'bigint');
        assert.equal(type('results', 'duration_ms')?.data_type, 'double precision');
        assert.equal(type('results', 'id')?.is_identity, 'YES');
        assert.equal(type('rollups_minute', 'count')?.data_type, 'integer');
        const meta = await c.query("select key, value from store_meta where key = 'schema_version'");
        assert.equal(Number(meta.rows[0].value), store.schemaVersion);
        const rolled = await c.query('select count, duration_sum from rollups_minute');
        assert.deepEqual(rolled.rows, [{ count: 1, duration_sum: 2.25 }]);
      } finally {
        await c.end();
      }
    }));

  test('a socket directory in the url (?host=) reaches the server over its Unix socket, and is shown', () =>
    withDatabase(async (url, opened) => {
      const db = url.slice(url.lastIndexOf('/') + 1);
      const store = await open({ url: `postgres://postgres@localhost/${db}?host=/var/run/postgresql` });
      opened.push(store);
      assert.equal(store.location, `postgres://postgres@localhost:5432/${db}?host=/var/run/postgresql`);
      await store.appendResults([result({ startedAt: T0 })]);
      assert.equal((await store.latestResults('web1/http')).length, 1);
    }));

  test('a database another mamoru migrated further is refused before anything is touched', () =>
    withDatabase(async (url, opened) => {
      const store = await open({ url });
      await store.close();
      const latest = Math.max(...Object.keys(migrations).map(versionOf));
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query("insert into kysely_migration (name, timestamp) values ('0999-from-a-newer-mamoru', '2027-01-01T00:00:00.000Z')");
        await c.query("create table newer_things (note text)");
      } finally {
        await c.end();
      }
      await assert.rejects(open({ url }).then((s) => void opened.push(s)), (e: unknown) => {
        assert.ok(e instanceof StoreSchemaTooNewError, String(e));
        assert.equal(e.databaseVersion, 999);
        assert.equal(e.knownVersion, latest);
        assert.ok(e.message.includes(url), e.message);
        return true;
      });
    }));

  test('the password comes from the secret store.password_secret names, and never reaches an error or a log', async () => {
    const server = await passwordServer('mamoru_owner', PASSWORD);
    const opened: Store[] = [];
    try {
      const asked: string[] = [];
      const { log, text } = capturingLogger();
      const store = await open({ url: server.url, password_secret: 'pg-main' }, { log, secret: (name) => (asked.push(name), PASSWORD) });
      opened.push(store);
      assert.deepEqual(asked, ['pg-main']);
      await store.appendResults([result({ startedAt: T0 })]);
      assert.equal((await store.latestResults('web1/http')).length, 1);
      await store.close();

      const wrong = 'not-the-password-7f3a';
      await assert.rejects(open({ url: server.url, password_secret: 'pg-main' }, { log, secret: () => wrong }).then((s) => void opened.push(s)), (e: unknown) => {
        assert.ok(e instanceof StoreOpenError, String(e));
        assert.equal(e.location, server.url);
        assert.match(e.reason, /28P01.*password authentication failed for user "mamoru_owner"/);
        assert.match(e.hint, /store\.password_secret/);
        assert.ok(!e.message.includes(wrong) && !e.message.includes(PASSWORD), e.message);
        return true;
      });
      assert.ok(text().includes('store opened'), 'the capture saw the store log');
      assert.ok(!text().includes(PASSWORD) && !text().includes(wrong), 'no password in the log');
    } finally {
      for (const s of opened) await s.close().catch(() => {});
      await server.stop();
    }
  });

  test('two stores writing the same checks at once: every result in its buckets exactly once', () =>
    withDatabase(async (url, opened) => {
      const a = await open({ url, flush_rows: 50 });
      const b = await open({ url, flush_rows: 50 });
      opened.push(a, b);
      // The same three checks from both, interleaved in time: both writers hit the same buckets.
      const batch = (from: number, k: number) => Array.from({ length: 400 }, (_, i) => result({ checkId: `c${i % 3}`, target: 't', startedAt: T0 + (from + i) * 1_000, durationMs: k + i, state: (i % 4) as 0 | 1 | 2 | 3, perfdata: i % 5 ? [{ label: 'x', value: i, unit: '' }] : [] }));
      await Promise.all([0, 1, 2, 3].map((k) => (k % 2 ? a : b).appendResults(batch(k * 100, k))));
      for (const r of batch(50, 9)) a.write(r);
      for (const r of batch(60, 7)) b.write(r);
      await Promise.all([a.flush(), b.flush()]);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        for (const [table, size] of [['rollups_minute', 60_000], ['rollups_hour', 3_600_000]] as const) {
          const want = await c.query(`select check_id, started_at - started_at % ${size} as bucket_start, count(*)::int as count, sum(case when state = 0 then 1 else 0 end)::int as ok, sum(case when state = 3 then 1 else 0 end)::int as unknown, min(duration_ms) as duration_min, max(duration_ms) as duration_max, sum(duration_ms) as duration_sum, count(perf_value)::int as perf_count, sum(perf_value) as perf_sum from results group by 1, 2 order by 1, 2`);
          const have = await c.query(`select check_id, bucket_start, count, ok, unknown, duration_min, duration_max, duration_sum, perf_count, perf_sum from ${table} order by 1, 2`);
          assert.equal(want.rows.reduce((n, r) => n + r.count, 0), 6 * 400, 'every result is stored');
          assert.deepEqual(have.rows, want.rows, table);
        }
        const wm = await c.query("select value from store_meta where key = 'rolled_up_to_id'");
        const max = await c.query('select max(id) as max from results');
        assert.equal(Number(wm.rows[0].value), Number(max.rows[0].max), 'the watermark is the newest id, never moved back');
      } finally {
        await c.end();
      }
    }));
});
