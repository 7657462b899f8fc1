/**
 * The field runbook's scenarios end to end (issue 13, "Tests"): one lab (the client's server with
 * the daemons a scenario needs, an attacker, a legitimate client), a central mamoru in this
 * process watching the server over the network and fixing it over SSH, and, where a scenario
 * needs the guard, a second mamoru on the server (inside its namespace, as it runs on a real
 * server). Two contacts receive everything: a Japanese client on a webhook and English ops by
 * e-mail; every message is kept with its arrival time. The checkers here say what a person would
 * object to in a message: its count, its cause, its language, the tense of its action lines.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import type { TestContext } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { silentLogger } from '../../src/core/log.ts';
import type { IncidentEvent, IncidentRecord } from '../../src/core/incident.ts';
import { Daemon } from '../../src/daemon.ts';
import type { Store } from '../../src/store/types.ts';
import { apacheServiceInput } from '../actions/lab-services.ts';
import { BIN } from '../helpers/cli.ts';
import { startApache, type LabApache, type LabApacheOptions } from '../lab/daemons/apache.ts';
import { startDovecot, type LabDovecot } from '../lab/daemons/dovecot.ts';
import { startMariadb, type LabMariadb } from '../lab/daemons/mariadb.ts';
import { startPostfix, type LabPostfix } from '../lab/daemons/postfix.ts';
import { mountTmpfs, startSnmpd, type Snmpd } from '../lab/daemons/snmpd.ts';
import { startSshd, type LabSshd } from '../lab/daemons/sshd.ts';
import { startVsftpd, type LabVsftpd } from '../lab/daemons/vsftpd.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { parseMail } from '../notify/mail.ts';

/** The target every scenario watches. */
export const SRV = 'srv';

export type DaemonName = 'apache' | 'mariadb' | 'vsftpd' | 'dovecot' | 'postfix' | 'snmpd';

/** The Debian programs each lab daemon needs (for `needs()`). */
export const programs: Record<DaemonName, string> = { apache: 'apache2', mariadb: 'mariadbd', vsftpd: 'vsftpd', dovecot: 'dovecot', postfix: 'postfix', snmpd: 'snmpd' };

/** The prerequisites of a scenario with these daemons. */
export const prereq = (...daemons: DaemonName[]) => ({ root: true, commands: ['ip', 'nft', '/usr/sbin/sshd', 'ss', ...daemons.map((d) => programs[d])] });

// ---------------------------------------------------------------- what the contacts receive

export interface Received {
  contact: 'client' | 'ops';
  /** When it arrived, ms. */
  at: number;
  subject: string;
  text: string;
  /** open, update, recovered... (the webhook says it; for a mail, from its subject). */
  event: string;
}

/** The two contacts' mailboxes: a webhook receiver (client, ja) and an SMTP server (ops, en). */
export class Inbox {
  readonly all: Received[] = [];
  webhookUrl = '';
  smtpPort = 0;
  private http?: http.Server;
  private smtp?: SMTPServer;

  /** Listens on the lab's bridge address: the central mamoru and the one on the server both reach it. */
  async listen(host: string): Promise<void> {
    this.http = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = Date.now();
        try {
          const b = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { subject: string; text: string; event: string };
          this.all.push({ contact: 'client', at, subject: b.subject, text: b.text, event: b.event });
        } catch {
          /* not a message */
        }
        res.end('ok');
      });
    });
    await new Promise<void>((r) => this.http!.listen(0, host, r));
    this.webhookUrl = `http://${host}:${(this.http.address() as AddressInfo).port}/hook`;
    this.smtp = new SMTPServer({
      logger: false,
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      onData: (stream, _session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const { headers, body } = parseMail(Buffer.concat(chunks).toString('utf8'));
          const subject = headers.subject ?? '';
          const event = /^\[RECOVERED\]/.test(subject) ? 'recovered' : /^\[UPDATE\]/.test(subject) ? 'update' : /^\[PROBLEM\]/.test(subject) ? 'open' : 'other';
          this.all.push({ contact: 'ops', at: Date.now(), subject, text: body, event });
          cb();
        });
      },
    });
    await new Promise<void>((r) => this.smtp!.listen(0, host, r));
    this.smtpPort = (this.smtp.server.address() as AddressInfo).port;
  }

  client(since = 0): Received[] {
    return this.all.filter((m) => m.contact === 'client' && m.at >= since);
  }

  ops(since = 0): Received[] {
    return this.all.filter((m) => m.contact === 'ops' && m.at >= since);
  }

  async close(): Promise<void> {
    this.http?.closeAllConnections();
    await Promise.all([new Promise((r) => (this.http ? this.http.close(() => r(undefined)) : r(undefined))), new Promise((r) => (this.smtp ? this.smtp.close(() => r(undefined)) : r(undefined)))]);
    this.keep();
  }

  /** What the contacts read, kept as test-artifacts/messages/<scenario>.txt (gitignored) for people to read. */
  private keep(): void {
    const file = process.argv.find((a) => a.endsWith('.test.ts'));
    if (!file || this.all.length === 0) return;
    const dir = join(process.cwd(), 'test-artifacts', 'messages');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${basename(file, '.test.ts')}.txt`), shown(this.all) + '\n');
  }
}

/** A message as one line per field, for assertion messages. */
export const shown = (ms: Received[]) => ms.map((m) => `--- ${m.contact} +${m.at} [${m.event}] ${m.subject}\n${m.text}`).join('\n');

// ---------------------------------------------------------------- the lab

export interface ScenarioLab {
  lab: Lab;
  sshd: LabSshd;
  inbox: Inbox;
  apache?: LabApache;
  mariadb?: LabMariadb;
  vsftpd?: LabVsftpd;
  dovecot?: LabDovecot;
  postfix?: LabPostfix;
  snmpd?: Snmpd;
  /** A small tmpfs mounted under lab.dir, when asked for. */
  tmpfs?: string;
  /** A file holding the SNMP community (a secret). */
  communityFile?: string;
  destroy(): Promise<void>;
}

/** The lab with sshd, the contacts' peers and the named daemons, started at once. */
export async function startScenarioLab(want: Partial<Record<DaemonName, true>> & { apacheOptions?: LabApacheOptions; tmpfs?: string }): Promise<ScenarioLab> {
  const lab = await createLab();
  const inbox = new Inbox();
  try {
    // Before sshd: its private mount namespace is a copy taken at its start (see the lab's sshd.ts).
    const tmpfs = want.tmpfs ? mountTmpfs(lab, want.tmpfs) : undefined;
    const [sshd, apache, mariadb, vsftpd, dovecot, postfix, snmpd] = await Promise.all([
      startSshd(lab),
      want.apache ? startApache(lab, want.apacheOptions) : undefined,
      want.mariadb ? startMariadb(lab) : undefined,
      want.vsftpd ? startVsftpd(lab) : undefined,
      want.dovecot ? startDovecot(lab) : undefined,
      want.postfix ? startPostfix(lab) : undefined,
      // With Postfix, the agent's `extend mailq` counts Postfix's deferred queue.
      want.snmpd ? startSnmpd(lab, want.postfix ? { mailQueueDir: join(lab.dir, 'postfix', 'queue', 'deferred') } : {}) : undefined,
      inbox.listen(lab.monitorIp),
    ]);
    let communityFile: string | undefined;
    if (snmpd) {
      communityFile = join(lab.dir, 'community.secret');
      writeFileSync(communityFile, snmpd.community, { mode: 0o600 });
    }
    const s: ScenarioLab = {
      lab, sshd, inbox, apache, mariadb, vsftpd, dovecot, postfix, snmpd, communityFile, tmpfs,
      async destroy() {
        await inbox.close();
        await lab.destroy();
      },
    };
    return s;
  } catch (e) {
    await inbox.close();
    await lab.destroy();
    throw e;
  }
}

const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The services of the lab's server as an operator writes them (test/actions/lab-services.ts, plus dovecot, snmpd, postfix). */
export function servicesOf(s: ScenarioLab): object[] {
  const out: object[] = [];
  const { lab } = s;
  if (s.apache) out.push(apacheServiceInput(lab, s.apache));
  if (s.mariadb) {
    const dir = join(lab.dir, 'mariadb');
    const datadir = join(dir, 'data');
    out.push({
      name: 'mariadb', manager: 'command', processes: ['mariadbd'], process_match: `--datadir=${datadir}`, ports: [s.mariadb.port],
      start: ['mariadbd', '--no-defaults', `--datadir=${datadir}`, `--socket=${s.mariadb.socket}`, `--pid-file=${join(dir, 'mysqld.pid')}`, `--log-error=${s.mariadb.logFile}`, `--port=${s.mariadb.port}`, `--bind-address=${lab.server.ip}`, '--user=root', '--skip-name-resolve', '--innodb-buffer-pool-size=16M', '--max-connections=50'],
      start_detached: true, stop: ['pkill', '-TERM', '-f', `^mariadbd --no-defaults --datadir=${regexEscape(datadir)} `], error_log: s.mariadb.logFile, page_timeout: '3s', start_timeout: '30s',
    });
  }
  if (s.vsftpd) {
    const conf = join(lab.dir, 'vsftpd', 'vsftpd.conf');
    out.push({ name: 'vsftpd', manager: 'command', processes: ['vsftpd'], process_match: conf, ports: [s.vsftpd.port], start: ['vsftpd', conf], start_detached: true, stop: ['pkill', '-TERM', '-f', `^vsftpd ${regexEscape(conf)}$`], error_log: s.vsftpd.logFile, page_timeout: '3s', start_timeout: '15s' });
  }
  if (s.dovecot) {
    const conf = join(lab.dir, 'dovecot', 'dovecot.conf');
    out.push({ name: 'dovecot', manager: 'command', processes: ['dovecot'], process_match: conf, ports: [110, 143, 995, 993], start: ['dovecot', '-c', conf], mail_log: s.dovecot.logFile, page_timeout: '3s', start_timeout: '15s' });
  }
  if (s.snmpd) {
    const base = join(lab.dir, 'snmpd');
    const conf = s.snmpd.configFile;
    out.push({
      name: 'snmpd', manager: 'command', processes: ['snmpd'], process_match: conf, udp_ports: [161],
      start: ['env', `SNMP_PERSISTENT_DIR=${join(base, 'persist')}`, 'MIBS=', 'snmpd', '-C', '-c', conf, '-Lf', s.snmpd.logFile, '-p', join(base, 'snmpd.pid'), '-M', '/usr/share/snmp/mibs'],
      pid_file: join(base, 'snmpd.pid'), page_timeout: '3s', start_timeout: '15s',
    });
  }
  if (s.postfix) out.push({ name: 'postfix', manager: 'command', processes: ['master'], ports: [25, 465], mail_queue: s.postfix.mailqArgv, page_timeout: '3s' });
  return out;
}

export interface MamoruOptions {
  /** YAML lines of the srv target's checks (each `- {...}`). */
  checks: string[];
  /** Extra targets, YAML list items (each starting with `- name:`), indented by two. */
  moreTargets?: string;
  /** Extra top-level YAML (e.g. a `disk` service is added through `services`). */
  extraServices?: object[];
  /** The remediation policy's YAML (flow style). @defaultValue '{}' */
  policy?: string;
  /** Changes to a lab service by name (merged over servicesOf). */
  serviceOverrides?: Record<string, object>;
  /** Secrets the checks name (written to files under the run's directory). */
  secrets?: Record<string, string>;
  /** The guard's jails (flow-style YAML list items) for the mamoru on the server; none: no second mamoru. */
  jails?: string[];
}

export interface Running {
  daemon: Daemon;
  store: Store;
  /** The mamoru on the server (the guard), when jails were given. */
  guard?: ChildProcess;
  guardOut(): string;
  stop(): Promise<void>;
}

const contactsYaml = (s: ScenarioLab) => `contacts:
  - name: client
    language: ja
    time_zone: Asia/Tokyo
    channels:
      - { type: webhook, url: '${s.inbox.webhookUrl}' }
  - name: ops
    language: en
    time_zone: UTC
    channels:
      - { type: email, host: ${s.lab.monitorIp}, port: ${s.inbox.smtpPort}, tls: none, from: mamoru@example.jp, to: [ops@example.com] }
`;

let runs = 0;

/** Writes the central config and starts the central mamoru (and the guard's, with jails). */
export async function startMamoru(s: ScenarioLab, o: MamoruOptions): Promise<Running> {
  const n = runs++;
  const dir = join(s.lab.dir, `mamoru-${n}`);
  s.lab.server.exec(['mkdir', '-p', dir]);
  const db = join(dir, 'mamoru.db');
  const services = [...servicesOf(s).map((x) => ({ ...x, ...(o.serviceOverrides?.[(x as { name: string }).name] ?? {}) })), ...(o.extraServices ?? [])];
  const cfg = join(dir, 'central.yaml');
  const secrets: Record<string, string> = {};
  if (s.communityFile) secrets.community = s.communityFile;
  for (const [name, value] of Object.entries(o.secrets ?? {})) {
    secrets[name] = join(dir, `${name}.secret`);
    writeFileSync(secrets[name], value, { mode: 0o600 });
  }
  const secretsYaml = Object.keys(secrets).length ? `secrets: { ${Object.entries(secrets).map(([k, f]) => `${k}: { file: ${f} }`).join(', ')} }\n` : '';
  writeFileSync(
    cfg,
    `defaults: { interval: 1s, retry_interval: 500ms, max_attempts: 2, timeout: 2s }
store: { type: sqlite, path: ${db} }
web: { enabled: false }
log: { level: warn }
${secretsYaml}notifications: { settle: 300ms, cool_down: 1m }
remediation: { policy: ${o.policy ?? '{}'} }
targets:
  - name: ${SRV}
    address: ${s.lab.server.ip}
    executor: { type: ssh, host: ${s.lab.server.ip}, private_key_file: ${s.sshd.privateKeyFile}, known_hosts_file: ${s.sshd.knownHostsFile} }
    services: ${JSON.stringify(services)}
    checks:
${o.checks.map((c) => `      ${c}`).join('\n')}
${o.moreTargets ?? ''}
${contactsYaml(s)}`,
  );
  const daemon = await Daemon.start({ configFile: cfg, log: silentLogger });
  const store = (daemon as unknown as { store: Store }).store;
  let guard: ChildProcess | undefined;
  let out = '';
  if (o.jails?.length) {
    // The mamoru on the server: the guard only, its bans in the server's own firewall. It shares
    // the central store file, so the central runbooks see the bans in force (RunbookContext.bans).
    const gcfg = join(dir, 'guard.yaml');
    writeFileSync(
      gcfg,
      `store: { type: sqlite, path: ${db} }
web: { enabled: false }
notifications: { settle: 300ms }
targets: [{ name: ${SRV}, address: ${s.lab.server.ip} }]
guard:
  firewall: { type: nftables, table: mamoru_${s.lab.id.replace(/\W/g, '_')} }
  state_dir: ${join(dir, 'guard-state')}
  enrich: { whois: { enabled: false } }
  connection_table: { interval: 500ms }
  jails:
${o.jails.map((j) => `    - ${j}`).join('\n')}
${contactsYaml(s)}`,
    );
    guard = s.lab.server.spawn([process.execPath, BIN, 'start', '-c', gcfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MAMORU_LOG_FORMAT: 'json' } });
    guard.stdout!.on('data', (d) => (out += d));
    guard.stderr!.on('data', (d) => (out += d));
    const t0 = Date.now();
    while (!/watching/.test(out)) {
      if (guard.exitCode !== null) throw new Error(`the guard's mamoru exited (${guard.exitCode}):\n${out}`);
      if (Date.now() - t0 > 20_000) throw new Error(`the guard's mamoru did not start:\n${out}`);
      await sleep(50);
    }
  }
  return {
    daemon,
    store,
    guard,
    guardOut: () => out,
    async stop() {
      if (guard && guard.exitCode === null) {
        const gone = new Promise((r) => guard!.once('exit', r));
        guard.kill('SIGTERM');
        await gone;
      }
      await daemon.stop();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every incident of the store with its timeline. */
export async function incidents(store: Store): Promise<Array<IncidentRecord & { timeline: IncidentEvent[] }>> {
  const all = await store.incidents();
  return Promise.all(all.map(async (i) => ({ ...i, timeline: await store.incidentEvents(i.id) })));
}

export const timelineText = (incs: Array<IncidentRecord & { timeline: IncidentEvent[] }>) =>
  incs.map((i) => `#${i.id} ${i.target} ${i.status} ${i.title}\n${i.timeline.map((e) => `  ${new Date(e.at).toISOString().slice(11, 23)} ${e.kind}: ${e.text}`).join('\n')}`).join('\n');

// ---------------------------------------------------------------- the checkers

/** The lines of a Japanese message outside its technical block (■ 監視の記録（技術情報）), quotes taken out. */
function jaProse(text: string): string[] {
  const out: string[] = [];
  let technical = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('■')) technical = /技術情報/.test(line);
    if (technical) continue;
    // Quoted log lines and plugin output are not our sentences.
    out.push(line.replace(/「[^」]*」|"[^"]*"|`[^`]*`/g, '「」'));
  }
  return out;
}

/** A run of three or more ASCII words: an English sentence (or most of one). */
const ENGLISH = /\b[A-Za-z][A-Za-z'’-]*(?:[ ,]+[A-Za-z][A-Za-z'’-]*){2,}\b/;

/** The lines of a Japanese message that carry English prose (empty when it is wholly Japanese). */
export function englishIn(text: string): string[] {
  return jaProse(text).filter((l) => ENGLISH.test(l));
}

/** The lines under "What mamoru did" / "■ 実施した対応" (and an update's "What changed" / 状況). */
export function actionLines(text: string): string[] {
  const out: string[] = [];
  let inActions = false;
  for (const line of text.split('\n')) {
    if (/^(What mamoru did:|■ 実施した対応)/.test(line)) {
      inActions = true;
      continue;
    }
    if (inActions && (line.trim() === '' || line.startsWith('■') || /^What /.test(line))) {
      inActions = false;
      continue;
    }
    if (inActions) out.push(line);
  }
  return out;
}

const PROPOSED = /\bproposed\b|提案/i;

/** The incident a message is about (its footer: `インシデント番号: #3` / `Incident #3`). */
export const incidentOf = (m: Received): number | undefined => {
  const x = /(?:インシデント番号: |Incident )#(\d+)/.exec(m.text);
  return x ? Number(x[1]) : undefined;
};

/**
 * Action lines whose tense is wrong: "proposed" for an action that was done before the message
 * went out (in its incident's timeline a proposal of that type followed by the records of its
 * run), or "proposed" beside its own result.
 */
export function tenseProblems(m: Received, timeline: IncidentEvent[]): string[] {
  const done = new Set<string>();
  let proposed: string | undefined;
  for (const e of timeline) {
    if (e.kind !== 'action' || e.at > m.at) continue;
    const type = (e.data as { type?: string } | undefined)?.type;
    if (/^proposed: /.test(e.text) && type) proposed = type;
    else if (proposed) done.add(proposed);
  }
  return actionLines(m.text).filter((l) => PROPOSED.test(l) && ([...done].some((d) => l.includes(d)) || /exit 0|: ok\b|verified|answers|完了|しました/.test(l)));
}

export interface Expect {
  /** How many messages each contact gets at most (and at least 1). */
  client: { max: number; min?: number };
  ops: { max: number; min?: number };
  /** Every subject's cause (ja and en). */
  cause: { ja: RegExp; en: RegExp };
  /** A subject that must never appear (a wrong cause). */
  never?: RegExp;
}

/**
 * The common checks of a scenario: counts, each subject's cause, the language of every Japanese
 * message, the tense of every action line. Each failing check is its own subtest so a report can
 * name it.
 */
export async function checkMessages(t: TestContext, s: ScenarioLab, store: Store, since: number, e: Expect): Promise<void> {
  const client = s.inbox.client(since);
  const ops = s.inbox.ops(since);
  const all = shown([...client, ...ops]);
  const incs = await incidents(store);
  const timelineOf = (m: Received) => incs.find((i) => i.id === incidentOf(m))?.timeline ?? [];
  await t.test('client: number of messages', () => {
    assert.ok(client.length >= (e.client.min ?? 1) && client.length <= e.client.max, `${client.length} messages, expected ${e.client.min ?? 1}..${e.client.max}\n${shown(client)}`);
  });
  await t.test('ops: number of messages', () => {
    assert.ok(ops.length >= (e.ops.min ?? 1) && ops.length <= e.ops.max, `${ops.length} messages, expected ${e.ops.min ?? 1}..${e.ops.max}\n${shown(ops)}`);
  });
  await t.test("every subject names the cause", () => {
    const wrong = [...client.filter((m) => !e.cause.ja.test(m.subject)), ...ops.filter((m) => !e.cause.en.test(m.subject))];
    assert.deepEqual(wrong.map((m) => m.subject), [], all);
    if (e.never) assert.deepEqual([...client, ...ops].filter((m) => e.never!.test(m.subject)).map((m) => m.subject), []);
  });
  await t.test('the client reads Japanese only (outside the technical block)', () => {
    const english = client.flatMap((m) => englishIn(m.text).map((l) => `${m.subject}: ${l}`));
    assert.deepEqual(english, [], shown(client));
  });
  await t.test('no "proposed" for a done action', () => {
    const bad = [...client, ...ops].flatMap((m) => tenseProblems(m, timelineOf(m)).map((l) => `${m.subject}: ${l}`));
    assert.deepEqual(bad, [], all);
  });
}

// ---------------------------------------------------------------- timings

export interface Timing {
  scenario: string;
  fault: number;
  firstMessage?: number;
  fixed?: number;
  recovery?: number;
  subjects: string[];
}

const secs = (t: Timing, v: number | undefined) => (v === undefined ? '-' : ((v - t.fault) / 1000).toFixed(1));

/** Watches for the fix (polls `fixed`) from the fault on; `done()` fills in the messages' times. */
export function timing(scenario: string, s: ScenarioLab, fault: number, fixed: () => boolean | Promise<boolean>): { t: Timing; done(): Timing } {
  const t: Timing = { scenario, fault, subjects: [] };
  let stop = false;
  // Fixed: the first time it holds after it has failed once (the fault took effect).
  let broken = false;
  void (async () => {
    while (!stop && t.fixed === undefined) {
      try {
        const ok = await fixed();
        if (!ok) broken = true;
        else if (broken) t.fixed = Date.now();
      } catch {
        broken = true;
      }
      await sleep(100);
    }
  })();
  return {
    t,
    done() {
      stop = true;
      const client = s.inbox.client(fault);
      const any = s.inbox.all.filter((m) => m.at >= fault);
      t.firstMessage = any[0]?.at;
      t.recovery = any.find((m) => m.event === 'recovered')?.at;
      t.subjects = client.map((m) => m.subject);
      return t;
    },
  };
}

/** One table line per scenario (the closing note quotes these). */
export function report(tc: TestContext, t: Timing): void {
  tc.diagnostic(`| ${t.scenario} | fault→first message ${secs(t, t.firstMessage)} s | →fixed ${secs(t, t.fixed)} s | →recovery message ${secs(t, t.recovery)} s | client: ${t.subjects.join(' / ') || '(none)'} |`);
}

/** Waits for a condition on the inbox, failing with everything received. */
export async function waitInbox(s: ScenarioLab, what: string, fn: () => boolean, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!fn()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${shown(s.inbox.all)}`);
    await sleep(100);
  }
}

/** With SCENARIO_DEBUG set: the incidents' timelines and every message, for a person reading a run. */
export async function debugDump(tc: TestContext, s: ScenarioLab, store: Store, since = 0, extra = ''): Promise<void> {
  if (!process.env.SCENARIO_DEBUG) return;
  if (extra) tc.diagnostic(extra.slice(-6000));
  const incs = await incidents(store);
  tc.diagnostic(`${timelineText(incs)}\n${incs.flatMap((i) => i.timeline.filter((e) => e.kind === 'action').map((e) => `${e.text} ${JSON.stringify(e.data)}`)).join('\n')}\n${shown(s.inbox.all.filter((m) => m.at >= since))}`);
}

/** Something listens on this TCP port in the server namespace. */
export const listening = (s: ScenarioLab, port: number) => s.lab.server.run(['ss', '-Hltn', 'sport', '=', `:${port}`]).stdout.trim() !== '';

/** The page answers from the monitor within a second. */
export function pageAnswers(s: ScenarioLab, port = 80): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: s.lab.server.ip, port, path: '/', timeout: 1000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 400);
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.on('error', () => resolve(false));
  });
}

/** The addresses the guard's nftables table holds (the bans applied in the server's firewall). */
export function bannedInKernel(s: ScenarioLab): string {
  return s.lab.server.run(['nft', 'list', 'table', 'inet', `mamoru_${s.lab.id.replace(/\W/g, '_')}`]).stdout;
}
