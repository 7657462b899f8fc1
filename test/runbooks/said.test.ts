/**
 * Every runbook's verdict, findings and what it asks of the client, in both languages, over a
 * table of servers that answer like real ones (the hostile-server helper: processes, listening
 * ports, /proc files, a mail log, a queue listing) and a real directory for the disk runbook: each
 * sentence exists in English and in Japanese, and the Japanese carries no English sentence. Then
 * the timeline contract the notify room reads: each action's records name the action and its
 * status (`started`, `pending`, `step`, then the final one with the outcome's status and `say`),
 * the verdict record its runbook and `say`, what is needed from the client its `needed` and
 * `neededSay`. And the SNMP runbook on an agent started moments ago asks the client for nothing.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createGuard, policySchema, type PolicyConfig } from '../../src/actions/policy.ts';
import { serviceSchema, type ServiceConfigInput } from '../../src/actions/service-config.ts';
import type { TimelineRecord } from '../../src/actions/types.ts';
import { systemClock } from '../../src/core/clock.ts';
import { saidFrom } from '../../src/core/said.ts';
import type { Executor, RunResult } from '../../src/executors/types.ts';
import { respond, type IncidentContext } from '../../src/runbooks/run.ts';
import type { RunbookName } from '../../src/triage/types.ts';
import { HostileServer, type FakeProcess } from '../helpers/hostile-server.ts';
import { needs } from '../helpers/prereq.ts';
import { localExecutor } from '../inspect/helpers.ts';
import { asciiRuns, assertSaid } from './said-check.ts';

const ok = (stdout = '', code = 0): RunResult => ({ code, signal: null, stdout, stderr: '', truncated: false, timedOut: false, durationMs: 1 });

/** A loopback port nobody listens on: the monitor's probe is refused at once. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function proc(pid: number, name: string, elapsed = 100_000, ppid = 1): FakeProcess {
  return { pid, ppid, user: 'root', uid: 0, name, args: `/usr/sbin/${name}`, exe: `/usr/sbin/${name}`, elapsed };
}

/** A server: these processes, these TCP ports listening (ss), these UDP ports bound (/proc/net/udp). */
function server(o: { processes?: FakeProcess[]; tcp?: number[]; udp?: number[]; files?: Record<string, string>; commands?: Record<string, (argv: string[]) => RunResult> }): HostileServer {
  const h = new HostileServer();
  h.processes = [{ ...proc(1, 'init'), ppid: 0 }, ...(o.processes ?? [])];
  h.commands.set('true', () => ok());
  const hex = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
  const tcp = (o.tcp ?? []).map((p, i) => `   ${i}: 00000000:${hex(p)} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${2000 + i} 1 0000000000000000 100 0 0 10 0`);
  const udp = (o.udp ?? []).map((p, i) => `   ${i}: 00000000:${hex(p)} 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 ${1000 + i} 2 0000000000000000 0`);
  h.add('/proc/net/udp', { type: 'file', content: `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n${udp.join('\n')}\n` });
  h.add('/proc/net/tcp', { type: 'file', content: `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n${tcp.join('\n')}\n` });
  for (const [path, content] of Object.entries(o.files ?? {})) h.add(path, { type: 'file', content });
  for (const [cmd, fn] of Object.entries(o.commands ?? {})) h.commands.set(cmd, fn);
  return h;
}

function incident(executor: Executor, service: ServiceConfigInput, over: Partial<IncidentContext> = {}, policy: PolicyConfig = policySchema.parse({ mode: 'dry-run' })): IncidentContext {
  return {
    executor,
    address: '127.0.0.1',
    target: 'acc-srv',
    service: serviceSchema.parse({ manager: 'command', page_timeout: '2s', start_timeout: '1s', ...service }),
    clock: systemClock,
    guard: createGuard(policy, systemClock),
    ...over,
  };
}

const triage = (runbook: RunbookName) => ({ kind: 'unknown' as const, runbook, reason: 'test', service: undefined }) as never;

/** A postqueue -p listing: `n` messages from one sender, deferred for one reason. */
function queueListing(n: number): string {
  const lines = ['-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------'];
  for (let i = 0; i < n; i++) lines.push(`${(0xa1b2c3 + i).toString(16).toUpperCase()}     1024 Mon Dec  7 03:00:00  info@example.jp`, '(connect to mx.example.net[192.0.2.9]:25: Connection timed out)', '                                         someone@example.net', '');
  lines.push(`-- ${n} Kbytes in ${n} Requests.`);
  return lines.join('\n') + '\n';
}

/** Dovecot's own failure lines, stamped just now. */
function dovecotFailures(address: string, n: number): string {
  const at = new Date(Date.now() - 60_000).toISOString();
  return Array.from({ length: n }, (_, i) => `${at} acc-srv dovecot: pop3-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<u${i}>, method=PLAIN, rip=${address}, lip=10.0.0.2, session=<x${i}>`).join('\n') + '\n';
}

describe('every runbook speaks both languages: verdict, findings, what is needed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-said-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: { name: string; runbook: RunbookName; make: () => Promise<{ ctx: IncidentContext; verdict: RegExp; needed?: boolean }> }[] = [
    {
      name: 'a service that is down: start it',
      runbook: 'service-down',
      make: async () => ({ ctx: incident(server({}), { name: 'smtpd', ports: [await closedPort()], start: ['true'] }), verdict: /^smtpd is down on acc-srv/ }),
    },
    {
      name: 'MySQL runs but does not listen: restart it',
      runbook: 'mysql-down',
      make: async () => ({ ctx: incident(server({ processes: [proc(200, 'mariadbd')] }), { name: 'mariadb', processes: ['mariadbd'], ports: [await closedPort()], restart: ['true'] }), verdict: /^MySQL runs on acc-srv \(pid 200\) but port \d+ not listening; restart it$/ }),
    },
    {
      name: 'FTP runs and listens but does not answer the monitor: hung, the client asked about a firewall',
      runbook: 'ftp-down',
      make: async () => {
        const port = await closedPort();
        return { ctx: incident(server({ processes: [proc(300, 'vsftpd')], tcp: [port] }), { name: 'vsftpd', ports: [port] }), verdict: /^the FTP server \(vsftpd\) runs on acc-srv \(pid 300\) and port \d+ listening, but it does not answer from the monitor/, needed: true };
      },
    },
    {
      name: 'a port held by another program',
      runbook: 'http-down',
      make: async () => {
        const port = await closedPort();
        return { ctx: incident(server({ tcp: [port] }), { name: 'apache2', ports: [port] }), verdict: /listening on acc-srv but no master process: another program holds the port$/, needed: true };
      },
    },
    {
      name: 'the SNMP agent is not running: start it',
      runbook: 'snmp-agent-error',
      make: async () => ({ ctx: incident(server({}), { name: 'snmpd', start: ['true'] }), verdict: /^the SNMP agent \(snmpd\) is down on acc-srv: UDP 161 not listening, no snmpd process; start it$/ }),
    },
    {
      name: 'the SNMP agent runs for long with UDP 161 open, yet queries fail: the client asked about community and firewall',
      runbook: 'snmp-agent-error',
      make: async () => ({ ctx: incident(server({ processes: [proc(400, 'snmpd')], udp: [161] }), { name: 'snmpd' }, { alert: { text: 'Timeout: No Response from 10.0.0.2.' } }), verdict: /the question asked of it fails/, needed: true }),
    },
    {
      name: 'a mail queue flooded by one sender',
      runbook: 'mail-queue',
      make: async () => ({ ctx: incident(server({ commands: { postqueue: () => ok(queueListing(30)) } }), { name: 'postfix', ports: [25] }), verdict: /^30 messages in the mail queue on acc-srv; top sender info@example\.jp \(30\); most deferred because/, needed: true }),
    },
    {
      name: 'an empty mail queue',
      runbook: 'mail-queue',
      make: async () => ({ ctx: incident(server({ commands: { postqueue: () => ok('Mail queue is empty\n') } }), { name: 'postfix', ports: [25] }), verdict: /^the mail queue on acc-srv is empty now$/ }),
    },
    {
      name: 'a mail queue that cannot be read',
      runbook: 'mail-queue',
      make: async () => ({ ctx: incident(server({}), { name: 'postfix', ports: [25] }), verdict: /could not be read$/ }),
    },
    {
      name: 'POP3 slow with failed logins from one address: the attack named, handed to the guard',
      runbook: 'pop3-slow',
      make: async () => {
        const port = await closedPort();
        return {
          ctx: incident(server({ processes: [proc(500, 'dovecot')], tcp: [port], files: { '/var/log/mail.log': dovecotFailures('203.0.113.7', 14) } }), { name: 'dovecot', ports: [port], mail_log: '/var/log/mail.log' }),
          verdict: /; attack from 203\.0\.113\.7 \(14 failed logins\): evidence for the guard \(block on port \d+\)$/,
        };
      },
    },
    {
      name: 'POP3 slow with no mail log: no attacker named',
      runbook: 'pop3-slow',
      make: async () => {
        const port = await closedPort();
        return { ctx: incident(server({ processes: [proc(501, 'dovecot')], tcp: [port] }), { name: 'dovecot', ports: [port] }), verdict: /no attacker named \(no mail log to name one from/ };
      },
    },
    {
      name: 'the host answers again from the monitor',
      runbook: 'host-unreachable',
      make: async () => ({ ctx: incident(server({}), { name: 'sshd', ports: [] }), verdict: /^acc-srv answers again from the monitor \(ping\)$/ }),
    },
  ];

  for (const c of cases) {
    test(`${c.runbook}: ${c.name}`, async (t) => {
      if (c.runbook === 'host-unreachable' && needs(t, { root: true })) return;
      const { ctx, verdict, needed } = await c.make();
      const res = await respond(ctx, triage(c.runbook));
      assert.match(res.verdict, verdict, res.evidence.map((e) => e.summary).join('\n'));
      assertSaid(res);
      assert.equal(res.summary.neededFromClient !== undefined, needed === true, `needed: ${res.summary.neededFromClient}`);
      // The verdict record carries its runbook and both languages, as the notify room reads it.
      const v = res.records.find((r) => r.text.startsWith('verdict: '))!;
      assert.equal(v.data!.runbook, c.runbook);
      assert.deepEqual(saidFrom(v.data!.say), res.verdictSay);
    });
  }

  test('disk-full: the request to decide what can go reaches the client, in both languages, with the biggest directories', async (t) => {
    if (needs(t, { commands: ['du', 'find', 'stat'] })) return;
    mkdirSync(join(dir, 'backups'));
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'backups', 'site.tar'), Buffer.alloc(5 * 1024 * 1024, 1));
    writeFileSync(join(dir, 'www', 'index.html'), Buffer.alloc(1024 * 1024, 1));
    const exec = localExecutor();
    try {
      const text = `DISK CRITICAL - free space: ${dir} 10 MiB (2% inode=90%);| [Disk use 98% ${dir}]`;
      const res = await respond(incident(exec, { name: 'disk' }, { alert: { text } }), triage('disk-full'));
      assertSaid(res);
      const needed = res.summary.neededSay!;
      assert.match(needed.en, new RegExp(`The biggest directories: ${dir}/backups \\(5\\.\\d MiB\\), ${dir}/www \\(1\\.\\d MiB\\)`));
      assert.match(needed.en, /Please decide what can be deleted or moved, or whether the disk should grow\.$/);
      assert.match(needed.ja, new RegExp(`大きいディレクトリ: ${dir}/backups（5\\.\\d MiB）、${dir}/www（1\\.\\d MiB）`));
      assert.match(needed.ja, /削除または移動してよいデータをご判断いただくか、ディスクの増設をご検討ください。$/);
      // Recorded with the verdict, before anything else, so the first message carries it.
      const rec = res.records.find((r) => r.data?.needed !== undefined)!;
      assert.equal(rec.data!.needed, res.summary.neededFromClient);
      assert.deepEqual(saidFrom(rec.data!.neededSay), needed);
      assert.equal(res.records.indexOf(rec), res.records.findIndex((r) => r.text.startsWith('verdict: ')) + 1);
    } finally {
      await exec.close();
    }
  });
});

describe('the checker itself', () => {
  test('an English sentence inside Japanese is found; quoted log text and names are not', () => {
    assert.deepEqual(asciiRuns('acc-srv の Apache が停止しています（ポート 80 で待ち受けていません）。'), []);
    assert.deepEqual(asciiRuns('エラーログの最後の行:「AH00526: Syntax error on line 3」。'), []);
    assert.deepEqual(asciiRuns('原因: the page does not load on acc-srv'), ['the page does not load on acc-srv']);
  });
});

describe('the timeline contract: each action says its status and, where people read it, its words', () => {
  // The runbook's own "looking into the cause" line comes first, before the look and its actions.
  const statuses = (records: TimelineRecord[]) => {
    const actions = records.filter((r) => r.kind === 'action');
    assert.deepEqual([actions[0]?.data?.type, actions[0]?.data?.status], ['investigate', 'started']);
    return actions.slice(1).map((r) => r.data!.status);
  };

  test('auto: a "started" record before the action runs, its steps, then the final record with the outcome status and say', async () => {
    const port = await closedPort();
    const res = await respond(incident(server({}), { name: 'smtpd', ports: [port], start: ['true'] }, {}, policySchema.parse({})), triage('service-down'));
    assertSaid(res);
    assert.deepEqual(statuses(res.records), ['started', 'step', 'escalate']);
    const started = res.records.find((r) => r.data?.status === 'started' && r.data?.type !== 'investigate')!;
    assert.equal(started.data!.type, 'start-service');
    assert.match(saidFrom(started.data!.say)!.ja, /^acc-srv の smtpd を起動しています。$/);
    const final = res.records.at(-1)!;
    assert.equal(final.text, res.actions[0]!.outcome.text);
    assert.deepEqual(saidFrom(final.data!.say), res.actions[0]!.outcome.say);
    assert.match(saidFrom(final.data!.say)!.en, /^Tried to start smtpd on acc-srv, but it does not answer: a person must look\.$/);
    assert.deepEqual(res.summary.escalationSay, res.actions[0]!.outcome.whySay);
    assert.ok(!res.records.some((r) => /^proposed: /.test(r.text)), 'no "proposed" record: done and not done are told apart');
  });

  test('dry-run: the final record says "would"', async () => {
    const res = await respond(incident(server({}), { name: 'smtpd', ports: [await closedPort()], start: ['true'] }), triage('service-down'));
    assertSaid(res);
    assert.deepEqual(statuses(res.records), ['step', 'dry-run']);
    assert.match(saidFrom(res.records.at(-1)!.data!.say)!.en, /^Would start smtpd on acc-srv \(trial mode: nothing was done\)\.$/);
  });

  test('ask: a "pending" record naming what it would change; denied: the final record says it was not done', async () => {
    const ctx = incident(server({}), { name: 'smtpd', ports: [await closedPort()], start: ['true'] }, {}, policySchema.parse({ modes: { 'start-service': 'ask' } }));
    const res = await respond(ctx, triage('service-down'));
    assertSaid(res);
    assert.deepEqual(statuses(res.records), ['pending']);
    const pending = res.records.at(-1)!;
    assert.equal(pending.data!.type, 'start-service');
    assert.deepEqual(saidFrom(pending.data!.say), { en: 'Waiting for approval to start smtpd on acc-srv.', ja: 'acc-srv の smtpd の起動について、承認をお待ちしています。' });
    assert.equal(typeof pending.data!.expiresAt, 'number', 'the instant stays a number');
    ctx.guard.approvals.deny(res.actions[0]!.approval!.id, 'ops');
    const final = await res.actions[0]!.settled;
    assert.equal(final.status, 'refused');
    const last = res.records.at(-1)!;
    assert.equal(last.data!.status, 'refused');
    assert.deepEqual(saidFrom(last.data!.say), { en: 'Did not start smtpd on acc-srv: it was declined.', ja: 'acc-srv の smtpd の起動は行っていません（承認されませんでした）。' });
  });
});

describe('SNMP: after the agent was started moments ago, no second verdict asking the client to check community and firewall', () => {
  test('an agent up for 12 s with UDP 161 open: the failed reading is from while it was down; nothing is asked of the client', async () => {
    const res = await respond(incident(server({ processes: [proc(600, 'snmpd', 12)], udp: [161] }), { name: 'snmpd' }, { alert: { text: 'UNKNOWN - snmpbulkget: Timeout' } }), triage('snmp-agent-error'));
    assertSaid(res);
    assert.match(res.verdict, /started 12 s ago\) and UDP 161 is open: the failed reading most likely dates from while it was down/);
    assert.doesNotMatch(`${res.verdict} ${res.verdictSay.en}`, /community|firewall/);
    assert.equal(res.summary.neededFromClient, undefined);
    assert.ok(!res.records.some((r) => r.data?.needed !== undefined));
    assert.match(res.verdictSay.ja, /12 秒前に起動/);
  });
});

describe('IMAP is greeted as IMAP', () => {
  test('a mail service on port 143 alone: probed with the IMAP probe, told as IMAP, never as POP3', async () => {
    const res = await respond(incident(server({ processes: [proc(700, 'dovecot')], tcp: [143] }), { name: 'dovecot', ports: [143] }), triage('pop3-slow'));
    assertSaid(res);
    const g = res.evidence.filter((e) => e.what === 'greeting');
    assert.equal(g.length, 1);
    assert.equal(g[0]!.data!.protocol, 'imap');
    assert.match(g[0]!.summary, /^IMAP greeting on 127\.0\.0\.1:143 /);
    assert.match(res.verdict, /^IMAP on acc-srv /);
    assert.doesNotMatch(`${res.verdict}\n${res.verdictSay.en}\n${res.verdictSay.ja}\n${g[0]!.summary}`, /POP3?\b/);
  });
});
