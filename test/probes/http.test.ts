/**
 * The http probe against a real nginx (statuses, body regex, virtual hosts, redirects and loops,
 * HTTPS certificates valid, expiring in 10 days and expired), in-process servers for what nginx
 * will not do (no answer, not HTTP, an endless body), a refused port, a test host that drops every
 * packet, and side by side with check_http for the same live condition.
 */
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import { formatPerfdata } from '../../src/core/perfdata.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import http from '../../src/probes/http.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { createLab, type Lab, type LabHost } from '../lab/network.ts';
import { freePort, startNginx, tlsHosts, type TestNginx } from '../helpers/nginx.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';

const CHECK_HTTP = `${PLUGINS}/check_http`;
const LAB = { commands: ['nginx', 'openssl'] };
// A label longer than 63 bytes fails inside the resolver library: no query leaves the machine.
const UNRESOLVABLE = `${'a'.repeat(70)}.invalid`;

function runHttp(address: string, options: Record<string, unknown>, timeoutMs = 1000) {
  return runCheck(http, targetFromAddress(address), http.schema.parse(options), { timeoutMs });
}

/** check_http's state and first line (or the line that carries its verdict). */
function checkHttp(args: string[]): Promise<{ state: number; text: string }> {
  return new Promise((resolve) => {
    execFile(CHECK_HTTP, args, { encoding: 'utf8' }, (err, stdout) => {
      const code = err ? Number((err as { code?: number }).code) : 0;
      resolve({ state: code, text: stdout.trim().split('|')[0]!.trim() });
    });
  });
}

const leading = (text: string) => /^HTTP (OK|WARNING|CRITICAL|UNKNOWN)/.exec(text)?.[0];

describe('http probe against nginx', () => {
  let ng: TestNginx | undefined;
  before(async () => {
    if (!missing(LAB)) ng = await startNginx();
  });
  after(async () => ng?.stop());
  const lab = (t: TestContext) => needs(t, LAB);

  test('a page is OK with check_http\'s text, size and perfdata', async (t) => {
    if (lab(t)) return;
    const r = await runHttp('127.0.0.1', { port: ng!.port });
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.match(r.text, /^HTTP OK: HTTP\/1\.1 200 OK - \d+ bytes in \d+\.\d{3} second response time$/);
    const size = Number(/ (\d+) bytes/.exec(r.text)![1]);
    assert.ok(size > ng!.indexBody.length, 'the size counts headers and body, as check_http does');
    assert.match(formatPerfdata(r.perfdata), new RegExp(`^time=[\\d.]+s;;;0;1 size=${size}B;;;0$`));
  });

  test('4xx is WARNING, 5xx CRITICAL, 204 OK', async (t) => {
    if (lab(t)) return;
    const missingPage = await runHttp('127.0.0.1', { port: ng!.port, path: '/no/such/page' });
    assert.equal(missingPage.state, NagiosState.WARNING, missingPage.text);
    assert.match(missingPage.text, /^HTTP WARNING: HTTP\/1\.1 404 Not Found - \d+ bytes in /);
    const broken = await runHttp('127.0.0.1', { port: ng!.port, path: '/status/503' });
    assert.equal(broken.state, NagiosState.CRITICAL, broken.text);
    assert.match(broken.text, /^HTTP CRITICAL: HTTP\/1\.1 503 Service Temporarily Unavailable - /);
    const empty = await runHttp('127.0.0.1', { port: ng!.port, path: '/status/204' });
    assert.equal(empty.state, NagiosState.OK, empty.text);
  });

  test('expect_status accepts listed codes and makes any other CRITICAL', async (t) => {
    if (lab(t)) return;
    const accepted = await runHttp('127.0.0.1', { port: ng!.port, path: '/no/such/page', expect_status: [404] });
    assert.equal(accepted.state, NagiosState.OK, accepted.text);
    const other = await runHttp('127.0.0.1', { port: ng!.port, path: '/no/such/page', expect_status: [200, 201] });
    assert.equal(other.state, NagiosState.CRITICAL, other.text);
    assert.equal(other.text, `HTTP CRITICAL - Invalid HTTP response received from host on port ${ng!.port}: HTTP/1.1 404 Not Found (expected 200,201)`);
  });

  test('body_regex: found is OK, not found is CRITICAL "pattern not found"', async (t) => {
    if (lab(t)) return;
    const found = await runHttp('127.0.0.1', { port: ng!.port, body_regex: 'All systems n.minal' });
    assert.equal(found.state, NagiosState.OK, found.text);
    const notFound = await runHttp('127.0.0.1', { port: ng!.port, body_regex: 'Welcome to site A' });
    assert.equal(notFound.state, NagiosState.CRITICAL, notFound.text);
    assert.match(notFound.text, /^HTTP CRITICAL: HTTP\/1\.1 200 OK - pattern not found - \d+ bytes in /);
  });

  test('host_header reaches a virtual host by IP', async (t) => {
    if (lab(t)) return;
    const r = await runHttp('127.0.0.1', { port: ng!.port, host_header: 'site-a.test', body_regex: 'Welcome to site A' });
    assert.equal(r.state, NagiosState.OK, r.text);
    // An absolute redirect to the site's own name still goes to the address being checked.
    const moved = await runHttp('127.0.0.1', { port: ng!.port, host_header: 'site-a.test', path: '/moved', redirects: 'follow', body_regex: 'site A' });
    assert.equal(moved.state, NagiosState.OK, moved.text);
    assert.match(moved.text, /^HTTP OK: HTTP\/1\.1 200 OK/);
  });

  test('response time over the warning or critical threshold', async (t) => {
    if (lab(t)) return;
    const warn = await runHttp('127.0.0.1', { port: ng!.port, warning: 0.000001 });
    assert.equal(warn.state, NagiosState.WARNING, warn.text);
    assert.match(formatPerfdata(warn.perfdata), /^time=[\d.]+s;0\.000001;;0;1 /);
    const crit = await runHttp('127.0.0.1', { port: ng!.port, warning: 0.000002, critical: 0.000001 });
    assert.equal(crit.state, NagiosState.CRITICAL, crit.text);
    assert.match(crit.text, /^HTTP CRITICAL: HTTP\/1\.1 200 OK - \d+ bytes/);
  });

  test('redirects: ok, warning, critical, follow', async (t) => {
    if (lab(t)) return;
    const ok = await runHttp('127.0.0.1', { port: ng!.port, path: '/redirect' });
    assert.equal(ok.state, NagiosState.OK, ok.text);
    assert.match(ok.text, /^HTTP OK: HTTP\/1\.1 301 Moved Permanently - /);
    const warn = await runHttp('127.0.0.1', { port: ng!.port, path: '/redirect', redirects: 'warning' });
    assert.equal(warn.state, NagiosState.WARNING, warn.text);
    const crit = await runHttp('127.0.0.1', { port: ng!.port, path: '/redirect', redirects: 'critical' });
    assert.equal(crit.state, NagiosState.CRITICAL, crit.text);
    const follow = await runHttp('127.0.0.1', { port: ng!.port, path: '/redirect-far', redirects: 'follow', body_regex: 'mamoru test page' });
    assert.equal(follow.state, NagiosState.OK, follow.text);
    assert.match(follow.text, /^HTTP OK: HTTP\/1\.1 200 OK - /);
  });

  test('follow: too many hops is WARNING, a loop is CRITICAL, and neither hangs', async (t) => {
    if (lab(t)) return;
    const deep = await runHttp('127.0.0.1', { port: ng!.port, path: '/redirect-far', redirects: 'follow', max_redirects: 1 });
    assert.equal(deep.state, NagiosState.WARNING, deep.text);
    assert.equal(deep.text, `HTTP WARNING - maximum redirection depth 1 exceeded - http://127.0.0.1:${ng!.port}/`);
    const self = await runHttp('127.0.0.1', { port: ng!.port, path: '/loop', redirects: 'follow' });
    assert.equal(self.state, NagiosState.CRITICAL, self.text);
    assert.equal(self.text, `HTTP CRITICAL - redirection creates an infinite loop - http://127.0.0.1:${ng!.port}/loop`);
    const pingPong = await runHttp('127.0.0.1', { port: ng!.port, path: '/loop-a', redirects: 'follow', max_redirects: 20 });
    assert.equal(pingPong.state, NagiosState.CRITICAL, pingPong.text);
    assert.match(pingPong.text, /^HTTP CRITICAL - redirection creates an infinite loop - /);
  });

  test('HEAD and a large file: only the first MiB of a body is read', async (t) => {
    if (lab(t)) return;
    const head = await runHttp('127.0.0.1', { port: ng!.port, method: 'HEAD' });
    assert.equal(head.state, NagiosState.OK, head.text);
    const big = await runHttp('127.0.0.1', { port: ng!.port, path: '/big.bin', body_regex: ng!.bigTail.trim() }, 5000);
    assert.equal(big.state, NagiosState.CRITICAL, 'the tail lies past the first MiB, so it is never seen');
    assert.match(big.text, /pattern not found/);
    const size = big.perfdata.find((p) => p.label === 'size')!.value!;
    assert.ok(size > ng!.bigSize, `size ${size} comes from Content-Length plus headers`);
  });

  test('HTTPS: certificate days left against cert_warning_days / cert_critical_days', async (t) => {
    if (lab(t)) return;
    const base = { port: ng!.tlsPort, tls: true };
    const valid = await runHttp('127.0.0.1', { ...base, host_header: tlsHosts.valid, cert_warning_days: 30, cert_critical_days: 14 });
    assert.equal(valid.state, NagiosState.OK, valid.text);
    assert.match(valid.text, /^HTTP OK: HTTP\/1\.1 200 OK - certificate 'valid\.test' expires in 36[45] days \(/);
    const soonWarn = await runHttp('127.0.0.1', { ...base, host_header: tlsHosts.soon, cert_warning_days: 30, cert_critical_days: 5 });
    assert.equal(soonWarn.state, NagiosState.WARNING, soonWarn.text);
    assert.match(soonWarn.text, /^HTTP WARNING: HTTP\/1\.1 200 OK - certificate 'soon\.test' expires in (9|10) days \(/);
    const soonCrit = await runHttp('127.0.0.1', { ...base, host_header: tlsHosts.soon, cert_warning_days: 30, cert_critical_days: 14 });
    assert.equal(soonCrit.state, NagiosState.CRITICAL, soonCrit.text);
    const expired = await runHttp('127.0.0.1', { ...base, host_header: tlsHosts.expired, cert_warning_days: 30 });
    assert.equal(expired.state, NagiosState.CRITICAL, expired.text);
    assert.match(expired.text, /certificate 'expired\.test' expired on 2020-02-01 00:00:00 UTC/);
  });

  test('HTTPS: tls_verify makes a self-signed certificate CRITICAL with the reason', async (t) => {
    if (lab(t)) return;
    const unverified = await runHttp('127.0.0.1', { port: ng!.tlsPort, tls: true, host_header: tlsHosts.valid });
    assert.equal(unverified.state, NagiosState.OK, unverified.text);
    const verified = await runHttp('127.0.0.1', { port: ng!.tlsPort, tls: true, host_header: tlsHosts.valid, tls_verify: true });
    assert.equal(verified.state, NagiosState.CRITICAL, verified.text);
    assert.match(verified.text, /^HTTP CRITICAL - certificate verification failed for 127\.0\.0\.1 port \d+: self-signed certificate/);
  });

  test('plain HTTP to the HTTPS port is what nginx says: 400', async (t) => {
    if (lab(t)) return;
    const r = await runHttp('127.0.0.1', { port: ng!.tlsPort });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.match(r.text, /^HTTP WARNING: HTTP\/1\.1 400 Bad Request/);
  });

  describe('parity with check_http', () => {
    const same = async (t: TestContext, options: Record<string, unknown>, args: string[], expected: NagiosState) => {
      if (needs(t, { ...LAB, commands: [...LAB.commands, CHECK_HTTP] })) return;
      const [ours, theirs] = await Promise.all([runHttp('127.0.0.1', options, 3000), checkHttp(['-I', '127.0.0.1', '-t', '3', ...args])]);
      assert.equal(theirs.state, expected, theirs.text);
      assert.equal(ours.state, theirs.state, `${ours.text} / ${theirs.text}`);
      if (leading(theirs.text)) assert.equal(leading(ours.text), leading(theirs.text), `${ours.text} / ${theirs.text}`);
      return { ours, theirs };
    };
    test('200: both OK', async (t) => void (await same(t, { port: ng?.port }, ['-p', String(ng?.port)], NagiosState.OK)));
    test('404: both WARNING', async (t) => void (await same(t, { port: ng?.port, path: '/nope' }, ['-p', String(ng?.port), '-u', '/nope'], NagiosState.WARNING)));
    test('500: both CRITICAL', async (t) => void (await same(t, { port: ng?.port, path: '/status/500' }, ['-p', String(ng?.port), '-u', '/status/500'], NagiosState.CRITICAL)));
    test('pattern not found: both CRITICAL', async (t) => {
      const r = await same(t, { port: ng?.port, body_regex: 'zzz' }, ['-p', String(ng?.port), '-r', 'zzz'], NagiosState.CRITICAL);
      if (r) assert.equal(r.ours.text.replace(/\d+\.\d{3} second/, 'T second'), r.theirs.text.replace(/\d+\.\d{3} second/, 'T second'));
    });
    test('expect mismatch: both CRITICAL, Invalid HTTP response', async (t) => {
      const r = await same(t, { port: ng?.port, path: '/nope', expect_status: [200] }, ['-p', String(ng?.port), '-u', '/nope', '-e', '200'], NagiosState.CRITICAL);
      if (r) assert.ok(r.ours.text.startsWith(r.theirs.text), `${r.ours.text} / ${r.theirs.text}`);
    });
    test('redirect loop under follow: both CRITICAL', async (t) => {
      const r = await same(t, { port: ng?.port, path: '/loop', redirects: 'follow' }, ['-p', String(ng?.port), '-u', '/loop', '-f', 'follow'], NagiosState.CRITICAL);
      if (r) assert.equal(r.ours.text, r.theirs.text);
    });
    test('redirect under -f warning: both WARNING', async (t) => void (await same(t, { port: ng?.port, path: '/redirect', redirects: 'warning' }, ['-p', String(ng?.port), '-u', '/redirect', '-f', 'warning'], NagiosState.WARNING)));
    test('virtual host by IP: the same page size', async (t) => {
      const r = await same(t, { port: ng?.port, host_header: 'site-a.test' }, ['-p', String(ng?.port), '-H', 'site-a.test'], NagiosState.OK);
      if (r) assert.equal(/ (\d+) bytes/.exec(r.ours.text)?.[1], /(\d+) bytes/.exec(r.theirs.text)?.[1]);
    });
    test('certificate expiring in 10 days: the same state as check_http -C', async (t) => {
      for (const [w, c] of [[30, 14], [30, 5], [5, 2]] as const) {
        const r = await same(t, { port: ng?.tlsPort, tls: true, host_header: tlsHosts.soon, cert_warning_days: w, cert_critical_days: c }, ['-p', String(ng?.tlsPort), '-S', '--sni', '-H', tlsHosts.soon, '-C', `${w},${c}`], c >= 9 ? NagiosState.CRITICAL : w >= 9 ? NagiosState.WARNING : NagiosState.OK);
        if (!r) return;
      }
    });
    test('expired certificate: both CRITICAL', async (t) => {
      await same(t, { port: ng?.tlsPort, tls: true, host_header: tlsHosts.expired, cert_warning_days: 30 }, ['-p', String(ng?.tlsPort), '-S', '--sni', '-H', tlsHosts.expired, '-C', '30'], NagiosState.CRITICAL);
    });
  });
});

describe('http probe against broken servers', () => {
  const servers: net.Server[] = [];
  const open = new Set<net.Socket>();
  const serve = async (onSocket: (s: net.Socket) => void) => {
    const srv = net.createServer((s) => {
      s.on('error', () => {});
      open.add(s);
      s.once('close', () => open.delete(s));
      onSocket(s);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    servers.push(srv);
    return (srv.address() as net.AddressInfo).port;
  };
  let silent: number, notHttp: number, endless: number, hangup: number, halfway: number, http10: number, midHeaders: number, hugeHeaders: number;
  before(async () => {
    silent = await serve(() => {});
    // Like NATS: a greeting in its own protocol, then a hang-up when no CONNECT follows.
    notHttp = await serve((s) => {
      s.write('INFO {"server_id":"test","version":"2.9.10","max_payload":1048576}\r\n');
      setTimeout(() => s.end("-ERR 'Authentication Timeout'\r\n"), 200);
    });
    endless = await serve((s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = Buffer.alloc(16 * 1024, 'y');
      const frame = Buffer.concat([Buffer.from(chunk.length.toString(16) + '\r\n'), chunk, Buffer.from('\r\n')]);
      const pump = () => {
        while (!s.destroyed && s.write(frame));
        if (!s.destroyed) s.once('drain', pump);
      };
      pump();
    });
    hangup = await serve((s) => s.once('data', () => s.destroy()));
    halfway = await serve((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a little')));
    // An old server: HTTP/1.0, no Content-Length, the body ends where the connection does.
    http10 = await serve((s) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello')));
    midHeaders = await serve((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Le')));
    // Headers that never end: 256 KiB of one header line, and the connection left open.
    hugeHeaders = await serve((s) => s.once('data', () => s.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(256 * 1024)}`)));
  });
  after(async () => {
    for (const s of open) s.destroy();
    await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  });

  test('a server that accepts and never answers: CRITICAL Socket timeout', async () => {
    const r = await runHttp('127.0.0.1', { port: silent }, 1000);
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, 'HTTP CRITICAL - Socket timeout after 1 seconds');
  });

  test('a server that speaks another protocol: CRITICAL Invalid HTTP response', async () => {
    const r = await runHttp('127.0.0.1', { port: notHttp });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.match(r.text, new RegExp(`^HTTP CRITICAL - Invalid HTTP response received from host on port ${notHttp}`));
  });

  test('an endless body is cut after the first MiB: a result, not a hang', async () => {
    const r = await runHttp('127.0.0.1', { port: endless, body_regex: 'never-there' }, 5000);
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.match(r.text, /^HTTP CRITICAL: HTTP\/1\.1 200 OK - pattern not found - \d+ bytes in /);
  });

  test('a hang-up before any response: CRITICAL No data received', async () => {
    const r = await runHttp('127.0.0.1', { port: hangup });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, 'HTTP CRITICAL - No data received from host');
  });

  test('a body shorter than its Content-Length: CRITICAL', async () => {
    const r = await runHttp('127.0.0.1', { port: halfway });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.match(r.text, /^HTTP CRITICAL - connection to 127\.0\.0\.1 port \d+ closed before the whole response was received/);
  });

  test('an HTTP/1.0 answer shows its version, and the size check_http counts', async (t) => {
    const r = await runHttp('127.0.0.1', { port: http10 });
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.match(r.text, /^HTTP OK: HTTP\/1\.0 200 OK - 50 bytes in /);
    if (needs(t, { commands: [CHECK_HTTP] })) return;
    const theirs = await checkHttp(['-I', '127.0.0.1', '-p', String(http10)]);
    assert.match(theirs.text, /^HTTP OK: HTTP\/1\.0 200 OK - 50 bytes in /);
  });

  test('a hang-up in the middle of the headers: CRITICAL Invalid HTTP response', async () => {
    const r = await runHttp('127.0.0.1', { port: midHeaders });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.match(r.text, new RegExp(`^HTTP CRITICAL - Invalid HTTP response received from host on port ${midHeaders}: the connection closed in the middle`));
  });

  test('headers beyond the limit: CRITICAL Invalid HTTP response at once, not a timeout', async () => {
    const r = await runHttp('127.0.0.1', { port: hugeHeaders }, 5000);
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.match(r.text, new RegExp(`^HTTP CRITICAL - Invalid HTTP response received from host on port ${hugeHeaders}: .*Header overflow`));
  });

  test('a refused port: CRITICAL with "Connection refused"', async () => {
    const port = await freePort();
    const r = await runHttp('127.0.0.1', { port });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, `HTTP CRITICAL - connect to address 127.0.0.1 and port ${port}: Connection refused`);
  });

  test('a name that does not resolve: CRITICAL with the name', async () => {
    const r = await runHttp(UNRESOLVABLE, { port: 80 });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, `HTTP CRITICAL - cannot resolve host "${UNRESOLVABLE}": name or service not known`);
  });

  test('parity: refused is CRITICAL for both, and both say Connection refused', async (t) => {
    if (needs(t, { commands: [CHECK_HTTP] })) return;
    const port = await freePort();
    const [ours, theirs] = await Promise.all([runHttp('127.0.0.1', { port }), checkHttp(['-I', '127.0.0.1', '-p', String(port)])]);
    assert.equal(ours.state, theirs.state, `${ours.text} / ${theirs.text}`);
    assert.match(theirs.text, /Connection refused/);
    assert.match(ours.text, /Connection refused/);
  });

  test('parity: a non-HTTP answer is CRITICAL for both', async (t) => {
    if (needs(t, { commands: [CHECK_HTTP] })) return;
    const [ours, theirs] = await Promise.all([runHttp('127.0.0.1', { port: notHttp }), checkHttp(['-I', '127.0.0.1', '-p', String(notHttp), '-t', '2'])]);
    assert.equal(ours.state, theirs.state, `${ours.text} / ${theirs.text}`);
    assert.ok(theirs.text.startsWith(`HTTP CRITICAL - Invalid HTTP response received from host on port ${notHttp}`), theirs.text);
    assert.ok(ours.text.startsWith(`HTTP CRITICAL - Invalid HTTP response received from host on port ${notHttp}`), ours.text);
  });
});

describe('http probe against a host that drops every packet', () => {
  let lab: Lab | undefined;
  let host: LabHost | undefined;
  const prereq = { root: true, commands: ['ip', 'nft'] };
  before(async () => {
    if (missing(prereq)) return;
    host = (lab = await createLab()).server;
    host.dropAll();
  });
  after(() => lab?.destroy());

  test('connect times out: CRITICAL Socket timeout, like check_http', async (t) => {
    if (needs(t, { ...prereq, commands: [...prereq.commands, CHECK_HTTP] })) return;
    const [ours, theirs] = await Promise.all([runHttp(host!.ip, { port: 80 }, 1000), checkHttp(['-I', host!.ip, '-t', '1'])]);
    assert.equal(ours.text, 'HTTP CRITICAL - Socket timeout after 1 seconds');
    assert.equal(ours.state, theirs.state, `${ours.text} / ${theirs.text}`);
    assert.match(theirs.text, /Socket timeout after 1 seconds/);
  });
});
