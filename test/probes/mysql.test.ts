/**
 * The mysql probe against a real MariaDB in the lab's server namespace, side by side with
 * check_mysql and check_mysql_query for each outcome: up, query with the expected value and
 * with another, thresholds on the result, auth failure, refused (stopped), timeout (host
 * dropping every packet), slow (a delaying proxy in front of it); and against in-process
 * servers on 127.0.0.1 that are not MySQL servers at all.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { formatPerfdata } from '../../src/core/perfdata.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import { SecretError } from '../../src/core/secrets.ts';
import mysqlProbe from '../../src/probes/mysql.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';
import { startMariadb, type LabMariadb } from '../lab/daemons/mariadb.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { startSlowProxy, type SlowProxy } from '../lab/slow-proxy.ts';

const CHECK_MYSQL = `${PLUGINS}/check_mysql`;
const CHECK_MYSQL_QUERY = `${PLUGINS}/check_mysql_query`;
const PREREQ = { root: true, commands: ['ip', 'nft', 'mariadbd', 'mariadb-install-db', 'mariadb', CHECK_MYSQL, CHECK_MYSQL_QUERY] };
const KNOWN = 'SELECT value FROM labdb.known';
/** check_mysql's OK line (the server's COM_STATISTICS text). */
const STAT_LINE = /^Uptime: \d+ {2}Threads: \d+ {2}Questions: \d+ {2}Slow queries: \d+ {2}Opens: \d+ {2}Open tables: \d+ {2}Queries per second avg: \d+\.\d{3}$/;

/** The delay the proxy puts before MariaDB's greeting. */
const SLOW_MS = 700;

type Plugin = { state: number; text: string } | 'no answer';

/** Runs a Debian plugin; 'no answer' when it had not finished after waitMs (it has no timeout option). */
function plugin(path: string, args: string[], waitMs = 10_000): Promise<Plugin> {
  return new Promise((resolve) => {
    execFile(path, args, { encoding: 'utf8', timeout: waitMs, killSignal: 'SIGKILL' }, (err, stdout) => {
      if (err && (err as { killed?: boolean }).killed) return resolve('no answer');
      const code = err ? Number((err as { code?: number }).code) : 0;
      resolve({ state: code, text: stdout.split('\n')[0]!.split('|')[0]!.trim() });
    });
  });
}

describe('mysql probe', () => {
  let lab: Lab;
  let db: LabMariadb;
  let slow: SlowProxy;
  const secrets: Record<string, string> = {};
  const secret = (name: string) => {
    const v = secrets[name];
    if (v === undefined) throw new SecretError(name, 'not defined; add it under "secrets:" in the config');
    return v;
  };

  before(async () => {
    if (missing(PREREQ)) return;
    lab = await createLab();
    db = await startMariadb(lab);
    slow = await startSlowProxy(lab, { listenPort: 3307, targetHost: lab.server.ip, targetPort: db.port, delayMs: SLOW_MS });
    secrets.good = db.password;
    secrets.bad = 'not-the-password';
  });
  after(async () => {
    await lab?.destroy();
  });

  const probe = (options: Record<string, unknown>, timeoutMs = 3000, address = lab.server.ip) =>
    runCheck(mysqlProbe, targetFromAddress(address), mysqlProbe.schema.parse({ username: 'lab', password_secret: 'good', ...options }), { timeoutMs, secret });
  const login = (password = db.password) => ['-H', lab.server.ip, '-u', db.user, '-p', password];

  test('up: check_mysql\'s status line, OK from both', async (t) => {
    if (needs(t, PREREQ)) return;
    const r = await probe({});
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.match(r.text, STAT_LINE);
    assert.match(formatPerfdata(r.perfdata), /^time=[\d.]+s;;;0;3 Uptime=\d+c Threads_connected=\d+ /);
    const p = await plugin(CHECK_MYSQL, login());
    assert.notEqual(p, 'no answer');
    assert.equal(r.state, (p as { state: number }).state);
    assert.match((p as { text: string }).text, STAT_LINE);
  });

  test('a database the user may open is OK; another is the server\'s own refusal, from both', async (t) => {
    if (needs(t, PREREQ)) return;
    const ok = await probe({ database: db.database });
    assert.equal(ok.state, NagiosState.OK, ok.text);
    const r = await probe({ database: 'nodb' });
    const p = await plugin(CHECK_MYSQL, [...login(), '-d', 'nodb']);
    assert.deepEqual({ state: r.state, text: r.text }, p);
    assert.equal(r.text, "Access denied for user 'lab'@'%' to database 'nodb'");
  });

  test('auth failure: CRITICAL with the server\'s words, the same as check_mysql', async (t) => {
    if (needs(t, PREREQ)) return;
    const r = await probe({ password_secret: 'bad' });
    const p = await plugin(CHECK_MYSQL, login('not-the-password'));
    assert.deepEqual({ state: r.state, text: r.text }, p);
    assert.equal(r.text, `Access denied for user 'lab'@'${lab.monitorIp}' (using password: YES)`);
  });

  test('a secret that is not defined is UNKNOWN with what to fix', async (t) => {
    if (needs(t, PREREQ)) return;
    const r = await probe({ password_secret: 'missing' });
    assert.equal(r.state, NagiosState.UNKNOWN);
    assert.match(r.text, /secret "missing": not defined/);
  });

  test('query with the expected value is OK; with another value CRITICAL naming both', async (t) => {
    if (needs(t, PREREQ)) return;
    const r = await probe({ query: KNOWN, expect: db.knownValue });
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.equal(r.text, `QUERY OK: '${KNOWN}' returned 42.000000`);
    const p = await plugin(CHECK_MYSQL_QUERY, [...login(), '-q', KNOWN]);
    assert.deepEqual({ state: r.state, text: r.text }, p);
    const other = await probe({ query: KNOWN, expect: '43' });
    assert.equal(other.state, NagiosState.CRITICAL, other.text);
    assert.equal(other.text, `QUERY CRITICAL: '${KNOWN}' returned '42', expected '43'`);
    const text = await probe({ query: "SELECT name FROM labdb.known", expect: 'answer' });
    assert.equal(text.state, NagiosState.OK, text.text);
    assert.equal(text.text, "QUERY OK: 'SELECT name FROM labdb.known' returned 'answer'");
  });

  test('thresholds on the result give check_mysql_query\'s state and text', async (t) => {
    if (needs(t, PREREQ)) return;
    for (const [w, c, state] of [['50', '60', NagiosState.OK], ['40', '50', NagiosState.WARNING], ['30', '40', NagiosState.CRITICAL], ['@40:45', '100', NagiosState.WARNING]] as const) {
      const r = await probe({ query: KNOWN, result_warning: w, result_critical: c });
      const p = await plugin(CHECK_MYSQL_QUERY, [...login(), '-q', KNOWN, '-w', w, '-c', c]);
      assert.equal(r.state, state, `-w ${w} -c ${c}: ${r.text}`);
      assert.deepEqual({ state: r.state, text: r.text }, p, `-w ${w} -c ${c}`);
    }
  });

  test('no rows, not a number, NULL and a bad statement: the same verdicts as check_mysql_query', async (t) => {
    if (needs(t, PREREQ)) return;
    for (const q of [`${KNOWN} WHERE 0`, "SELECT 'abc'", 'SELECT NULL', 'SELEC 1']) {
      const r = await probe({ query: q });
      const p = await plugin(CHECK_MYSQL_QUERY, [...login(), '-q', q]);
      assert.deepEqual({ state: r.state, text: r.text }, p, q);
      assert.notEqual(r.state, NagiosState.OK, q);
    }
  });

  test('a statement with no result set is CRITICAL; a huge result is read one row only', async (t) => {
    if (needs(t, PREREQ)) return;
    const u = await probe({ query: 'UPDATE labdb.known SET value = value' });
    assert.equal(u.state, NagiosState.CRITICAL, u.text);
    assert.match(u.text, /returned no result set/);
    // A billion rows from the sequence engine: the probe hangs up after the first.
    const big = await probe({ database: db.database, query: 'SELECT seq FROM seq_1_to_1000000000' }, 5000);
    assert.equal(big.state, NagiosState.OK, big.text);
    assert.equal(big.text, "QUERY OK: 'SELECT seq FROM seq_1_to_1000000000' returned 1.000000");
  });

  test('slow: a delayed greeting is WARNING or CRITICAL on the response time; OK without thresholds, like check_mysql', async (t) => {
    if (needs(t, PREREQ)) return;
    const plain = await probe({ port: slow.port });
    assert.equal(plain.state, NagiosState.OK, plain.text);
    const p = await plugin(CHECK_MYSQL, [...login(), '-P', String(slow.port)]);
    assert.equal(typeof p === 'object' && p.state, NagiosState.OK);
    const warn = await probe({ port: slow.port, warning: SLOW_MS / 2000, critical: 5 });
    assert.equal(warn.state, NagiosState.WARNING, warn.text);
    assert.match(warn.text, new RegExp(`^MYSQL WARNING - \\d+\\.\\d{3} second response time on ${lab.server.ip.replace(/\./g, '\\.')} port ${slow.port} - Uptime: `));
    const crit = await probe({ port: slow.port, warning: SLOW_MS / 4000, critical: SLOW_MS / 2000 });
    assert.equal(crit.state, NagiosState.CRITICAL, crit.text);
    assert.match(crit.text, /^MYSQL CRITICAL - /);
    const q = await probe({ port: slow.port, query: KNOWN, expect: 42, warning: SLOW_MS / 2000 });
    assert.equal(q.state, NagiosState.WARNING, q.text);
    assert.match(q.text, /^QUERY WARNING: 'SELECT value FROM labdb\.known' returned 42\.000000 in \d+\.\d{3} seconds$/);
  });

  test('refused: the daemon stopped is CRITICAL "Can\'t connect" from both', async (t) => {
    if (needs(t, PREREQ)) return;
    await db.stop();
    try {
      const r = await probe({});
      assert.equal(r.state, NagiosState.CRITICAL, r.text);
      assert.equal(r.text, `Can't connect to MySQL server on '${lab.server.ip}:3306' (111 "Connection refused")`);
      const p = await plugin(CHECK_MYSQL, login());
      assert.equal(typeof p === 'object' && p.state, NagiosState.CRITICAL);
      assert.match((p as { text: string }).text, new RegExp(`^Can't connect to (MySQL )?server on '${lab.server.ip}'`));
      const q = await probe({ query: KNOWN });
      const pq = await plugin(CHECK_MYSQL_QUERY, [...login(), '-q', KNOWN]);
      assert.equal(q.state, typeof pq === 'object' ? pq.state : -1);
      assert.match(q.text, /^QUERY CRITICAL: Can't connect to MySQL server on .* \(111 "Connection refused"\)$/);
    } finally {
      await db.start();
    }
  });

  test('timeout: a host that drops every packet is CRITICAL "Socket timeout"; check_mysql gets no answer either', async (t) => {
    if (needs(t, PREREQ)) return;
    lab.server.dropAll();
    try {
      const [r, p] = await Promise.all([probe({}, 2000), plugin(CHECK_MYSQL, login(), 4000)]);
      assert.equal(r.state, NagiosState.CRITICAL, r.text);
      assert.equal(r.text, `Socket timeout after 2 seconds connecting to MySQL server on '${lab.server.ip}:3306'`);
      // check_mysql has no timeout of its own: Nagios's service check timeout ends it, CRITICAL.
      assert.equal(p, 'no answer');
    } finally {
      lab.server.restore();
    }
  });

  describe('servers that are not MySQL (on 127.0.0.1)', () => {
    const servers: net.Server[] = [];
    const sockets = new Set<net.Socket>();
    const serve = async (onSocket: (s: net.Socket) => void) => {
      const srv = net.createServer((s) => {
        sockets.add(s);
        s.on('error', () => {});
        s.once('close', () => sockets.delete(s));
        onSocket(s);
      });
      await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
      servers.push(srv);
      return (srv.address() as net.AddressInfo).port;
    };
    after(async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    });
    const local = (port: number, timeoutMs = 2000) => probe({ port, password_secret: undefined }, timeoutMs, '127.0.0.1');

    test('an SMTP greeting, binary garbage and a 10 MB banner are "not a MySQL server", at once', async () => {
      const smtp = await serve((s) => s.write('220 mail.example.test ESMTP\r\n'));
      const garbage = await serve((s) => s.end(Buffer.from([0x13, 0x37, 0x00, 0x05, 0x99, 0xff, 0x00])));
      const huge = await serve((s) => s.end(Buffer.alloc(10 * 1024 * 1024, 'A')));
      for (const port of [smtp, garbage, huge]) {
        const r = await local(port);
        assert.equal(r.state, NagiosState.CRITICAL, r.text);
        assert.match(r.text, new RegExp(`^Bad response from MySQL server on '127\\.0\\.0\\.1:${port}': not a MySQL server: it sent "[ -~]{1,5}"$`));
      }
      const p = await plugin(CHECK_MYSQL, ['-H', '127.0.0.1', '-P', String(smtp), '-u', 'x', '-p', 'y'], 5000);
      assert.equal(typeof p === 'object' && p.state, NagiosState.CRITICAL);
    });

    test('an endless stream is cut off with the reason, memory bounded', async () => {
      // A valid-looking header (length 100, sequence 0, protocol 10) and then bytes forever.
      const endless = await serve((s) => {
        s.write(Buffer.from([100, 0, 0, 0, 10]));
        const chunk = Buffer.alloc(16 * 1024, 'z');
        const pump = () => {
          while (!s.destroyed && s.write(chunk));
          if (!s.destroyed) s.once('drain', pump);
        };
        pump();
      });
      const r = await local(endless, 5000);
      assert.equal(r.state, NagiosState.CRITICAL, r.text);
      assert.match(r.text, /^(Bad response|Lost connection)/);
    });

    test('a name that does not resolve is WARNING, as check_mysql makes an unknown host', async () => {
      // A label longer than 63 bytes fails inside the resolver library: no query leaves the machine.
      const name = `${'a'.repeat(70)}.invalid`;
      const r = await probe({ password_secret: undefined }, 2000, name);
      assert.equal(r.state, NagiosState.WARNING, r.text);
      assert.equal(r.text, `Unknown MySQL server host '${name}' (name or service not known)`);
    });

    test('closing mid-greeting and saying nothing are distinct results', async () => {
      const closer = await serve((s) => s.end(Buffer.from([74, 0, 0, 0, 10, 0x35, 0x2e])));
      const silent = await serve(() => {});
      const c = await local(closer);
      assert.equal(c.state, NagiosState.CRITICAL, c.text);
      assert.match(c.text, /^Bad response from MySQL server on '127\.0\.0\.1:\d+': the server closed the connection$/);
      const s = await local(silent, 1000);
      assert.equal(s.state, NagiosState.CRITICAL, s.text);
      assert.match(s.text, /^Socket timeout after 1 seconds: connected to MySQL server on '127\.0\.0\.1:\d+' but the login did not complete$/);
    });
  });
});
