/**
 * The guard's SIGKILL loop (issue 16, "the project's own fault suite"), shared by
 * test/guard/kill-loop.test.ts (sized for CI) and bench/faults/run.ts (300 kills): the real
 * daemon (`node bin/mamoru.js start -c FILE`) in a network namespace this harness creates, with
 * an nftables firewall there and a jail on a log file the harness writes. Each round writes
 * attacker failure lines and SIGKILLs the daemon at a dangerous instant (right after an
 * attacker's max_retry-th line; during its ban, a few ms later; or at random while lines flow),
 * then starts it again and checks, once it says it is watching:
 * - every attacker with max_retry lines written is banned in the kernel AND in the store, and
 *   its ban is noted in an attack incident (a `ban` record in its timeline, or listed in the
 *   incident) or its note is still owed (guard_ban_notes: the daemon writes it again at that start);
 * - no attacker with fewer lines is banned (a failure counted twice would ban it);
 * - the kernel's set equals the store's bans in force.
 * At the end the daemon is stopped cleanly and every ban must have been noted exactly once
 * (the attack incidents' totals equal the bans, nothing owed).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { syslogNow } from './rig.ts';

const BIN = fileURLToPath(new URL('../../bin/mamoru.js', import.meta.url));
const MAX_RETRY = 3;
const TABLE = 'mamoru_kill';

export interface KillLoopOptions {
  /** Kills to make (at least `minKills` are made even past the budget). */
  kills: number;
  /** Stop starting new rounds after this long (ms). */
  budgetMs?: number | undefined;
  minKills?: number | undefined;
  /** Progress lines. */
  say?: ((line: string) => void) | undefined;
}

export interface KillLoopResult {
  kills: number;
  attackers: number;
  /** Attackers past their threshold found unbanned (kernel or store) after a restart. */
  bansLost: number;
  /** Attackers below their threshold found banned (a failure counted twice). */
  wrongBans: number;
  /** Restarts where the kernel's set differed from the store's bans. */
  mismatches: number;
  /** Bans neither noted in an incident nor owed after a restart. */
  notesLost: number;
  /** At the end: bans noted more than once (incident totals minus bans). */
  notesDoubled: number;
  /** Milliseconds from spawn to "watching", per start. */
  startMs: number[];
  problems: string[];
}

interface Attacker {
  address: string;
  lines: number;
  /** Lines it gets in all (MAX_RETRY: past its threshold; fewer: must never be banned). */
  goal: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function killLoop(o: KillLoopOptions): Promise<KillLoopResult> {
  const say = o.say ?? (() => undefined);
  const ns = `mkill${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-kill-'));
  const log = join(dir, 'auth.log');
  const db = join(dir, 'mamoru.db');
  const cfg = join(dir, 'mamoru.yaml');
  writeFileSync(log, '');
  writeFileSync(
    cfg,
    `store: { type: sqlite, path: ${db} }
web: { enabled: false }
guard:
  firewall: { type: nftables, table: ${TABLE} }
  state_dir: ${join(dir, 'state')}
  enrich: { whois: { enabled: false } }
  cut_connections: false
  connection_table: { enabled: false }
  jails:
    - name: ssh
      target: host1
      filters: [sshd]
      time_zone: UTC
      sources: [{ type: file, paths: ['${log}'], from: start, poll_interval: 200ms }]
      max_retry: ${MAX_RETRY}
      find_time: 1h
      ban_time: 1h
`,
  );
  spawnSync('ip', ['netns', 'del', ns]);
  spawnSync('ip', ['netns', 'add', ns]);
  spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const result: KillLoopResult = { kills: 0, attackers: 0, bansLost: 0, wrongBans: 0, mismatches: 0, notesLost: 0, notesDoubled: 0, startMs: [], problems: [] };
  const attackers: Attacker[] = [];
  let child: ChildProcess | undefined;
  let out = '';
  const started = Date.now();
  let n = 0;
  const next = (goal: number): Attacker => {
    n++;
    const a = { address: `10.200.${n >> 8}.${n & 255}`, lines: 0, goal };
    attackers.push(a);
    return a;
  };
  const write = (a: Attacker) => {
    a.lines++;
    appendFileSync(log, `${syslogNow()} host sshd[4242]: Failed password for invalid user u${n} from ${a.address} port 40022 ssh2\n`);
  };

  async function start(): Promise<void> {
    out = '';
    const t0 = Date.now();
    const c = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, 'start', '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MAMORU_LOG_FORMAT: 'json' } });
    child = c;
    c.stdout!.on('data', (d) => (out = (out + d).slice(-200_000)));
    c.stderr!.on('data', (d) => (out = (out + d).slice(-200_000)));
    while (!/watching/.test(out)) {
      if (c.exitCode !== null) throw new Error(`mamoru exited (${c.exitCode}) at start:\n${out.slice(-4000)}`);
      if (Date.now() - t0 > 60_000) throw new Error(`mamoru did not start within 60 s:\n${out.slice(-4000)}`);
      await sleep(10);
    }
    result.startMs.push(Date.now() - t0);
  }

  async function kill(): Promise<void> {
    const c = child!;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
    result.kills++;
  }

  function kernel(): Set<string> {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'set', 'inet', TABLE, 'ban4'], { encoding: 'utf8' });
    if (r.status !== 0) return new Set();
    const doc = JSON.parse(r.stdout) as { nftables: { set?: { elem?: unknown[] } }[] };
    const elem = doc.nftables.find((i) => i.set)?.set?.elem ?? [];
    return new Set(elem.map((e) => (typeof e === 'string' ? e : (e as { elem: { val: string } }).elem.val)));
  }

  function stored(): { bans: Set<string>; owed: Set<string>; noted: Set<string>; totals: number } {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const bans = new Set((d.prepare('select address from bans where until is null or until > ?').all(Date.now()) as { address: string }[]).map((r) => r.address));
      const owed = new Set((d.prepare('select ban_key from guard_ban_notes').all() as { ban_key: string }[]).map((r) => r.ban_key));
      const noted = new Set<string>();
      for (const r of d.prepare("select text from incident_events where kind = 'ban'").all() as { text: string }[]) {
        const m = /^banned (\S+)/.exec(r.text);
        if (m) noted.add(m[1]!);
      }
      let totals = 0;
      for (const r of d.prepare("select attack from incidents where kind = 'attack'").all() as { attack: string | null }[]) {
        if (!r.attack) continue;
        const facts = JSON.parse(r.attack) as { total: number; bans?: { address: string }[] };
        totals += facts.total;
        // Listed in its attack incident: noted, even when a kill came before its timeline record.
        for (const b of facts.bans ?? []) noted.add(b.address);
      }
      return { bans, owed, noted, totals };
    } finally {
      d.close();
    }
  }

  function check(round: number): void {
    const k = kernel();
    const s = stored();
    for (const a of attackers) {
      const banned = k.has(a.address) && s.bans.has(a.address);
      if (a.lines >= MAX_RETRY && !banned) {
        result.bansLost++;
        result.problems.push(`round ${round}: ${a.address} (${a.lines} lines) not banned: kernel ${k.has(a.address)}, store ${s.bans.has(a.address)}`);
      }
      if (a.lines < MAX_RETRY && (k.has(a.address) || s.bans.has(a.address))) {
        result.wrongBans++;
        result.problems.push(`round ${round}: ${a.address} banned after only ${a.lines} lines (a failure counted twice)`);
      }
      if (a.lines >= MAX_RETRY && banned && !s.noted.has(a.address) && !s.owed.has(a.address)) {
        result.notesLost++;
        result.problems.push(`round ${round}: ${a.address} banned with no incident note, none owed`);
      }
    }
    const same = k.size === s.bans.size && [...k].every((x) => s.bans.has(x));
    if (!same) {
      result.mismatches++;
      result.problems.push(`round ${round}: kernel [${[...k].sort().join(' ')}] != store [${[...s.bans].sort().join(' ')}]`);
    }
  }

  try {
    await start();
    for (let round = 1; ; round++) {
      const over = o.budgetMs !== undefined && Date.now() - started > o.budgetMs;
      if (result.kills >= o.kills || (over && result.kills >= (o.minKills ?? 0))) break;
      const mode = (['threshold', 'during-ban', 'random'] as const)[round % 3]!;
      // One attacker stays one line short of its threshold every round: it must never be banned.
      const short = next(MAX_RETRY - 1);
      const a = next(MAX_RETRY);
      for (let i = 0; i < MAX_RETRY - 1; i++) write(a);
      write(short);
      await sleep(Math.random() * 100);
      write(short);
      if (mode === 'threshold') {
        write(a);
        await sleep(Math.random() * 40);
      } else if (mode === 'during-ban') {
        write(a);
        await sleep(5 + Math.random() * 60);
      } else {
        const others = [next(MAX_RETRY), next(MAX_RETRY)];
        write(a);
        const deadline = Date.now() + Math.random() * 400;
        while (Date.now() < deadline) {
          const b = others.find((x) => x.lines < x.goal);
          if (!b) break;
          write(b);
          await sleep(Math.random() * 30);
        }
      }
      await kill();
      await start();
      check(round);
      say(`kill ${result.kills} (${mode}): start ${result.startMs.at(-1)} ms; ${attackers.length} attackers, lost ${result.bansLost}, double-counted ${result.wrongBans}, mismatches ${result.mismatches}`);
    }
    // Attackers the random rounds left short: finish them so every one past its goal is checked.
    for (const a of attackers) while (a.lines < a.goal) write(a);
    // The daemon has no deadline to read them (a loaded machine is slow, not wrong): wait until each
    // is in the store and the kernel, up to a minute, then check.
    const t0 = Date.now();
    const pending = () => {
      const k = kernel();
      const b = stored().bans;
      return attackers.some((x) => x.lines >= MAX_RETRY && !(b.has(x.address) && k.has(x.address)));
    };
    while (Date.now() - t0 < 60_000 && pending()) await sleep(100);
    check(0);
    // A clean stop writes every counted window: each ban noted once, nothing owed.
    const c = child!;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await gone;
    const s = stored();
    if (s.owed.size) {
      result.notesLost += s.owed.size;
      result.problems.push(`after a clean stop, ${s.owed.size} incident notes still owed`);
    }
    if (s.totals !== s.bans.size) {
      if (s.totals > s.bans.size) result.notesDoubled += s.totals - s.bans.size;
      else result.notesLost += s.bans.size - s.totals;
      result.problems.push(`attack incidents count ${s.totals} bans, the store holds ${s.bans.size}`);
    }
    result.attackers = attackers.filter((x) => x.goal >= MAX_RETRY).length;
    return result;
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}
