/**
 * bench/guard: ban latency, from the threshold line being written to the rule being in the
 * kernel. mamoru runs on the lab's server (inside its namespace) with one jail on a log file the
 * bench appends to; each run uses a new address (documentation range: only text in a log, no
 * traffic is sent to it). The clock starts just before the threshold line is appended and stops
 * at the time mamoru logs "banned" (logged after `nft` has returned). Goal (issue 6): median
 * <= 200 ms. Needs root (the lab).
 *
 *   node --import tsx bench/guard/run.ts [runs] [nftables|iptables|ipset]
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab } from '../../test/lab/network.ts';
import { BIN } from '../../test/helpers/cli.ts';
import { until } from '../../test/helpers/wait.ts';

const runs = Number(process.argv[2] ?? 20);
const firewall = process.argv[3] ?? 'nftables';
const GOAL_MS = 200;

const lab = await createLab();
try {
  const log = join(lab.dir, 'mail.log');
  writeFileSync(log, '');
  const cfg = join(lab.dir, 'mamoru.yaml');
  writeFileSync(
    cfg,
    `store: { type: sqlite, path: ${join(lab.dir, 'mamoru.db')} }
web: { enabled: false }
guard:
  firewall: { type: ${firewall} }
  state_dir: ${join(lab.dir, 'state')}
  enrich: { whois: { enabled: false } }
  jails:
    - { name: pop3, filters: [dovecot], sources: [{ type: file, paths: ['${log}'] }], max_retry: 3, find_time: 10m, ban_time: 10m, port: 110 }
`,
  );
  const child = lab.server.spawn([process.execPath, BIN, 'start', '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MAMORU_LOG_FORMAT: 'json' } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await until('mamoru to start', () => /watching/.test(out), 30_000);
  const line = (ip: string, i: number) => {
    const d = new Date();
    const stamp = `${d.toLocaleString('en-US', { month: 'short' })} ${String(d.getDate()).padStart(2, ' ')} ${d.toTimeString().slice(0, 8)}`;
    return `${stamp} mail1 dovecot: pop3-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<admin>, method=PLAIN, rip=${ip}, lip=10.0.0.5, session=<s${i}>\n`;
  };
  const latencies: number[] = [];
  for (let i = 1; i <= runs; i++) {
    const ip = `203.0.113.${i}`;
    appendFileSync(log, line(ip, 1) + line(ip, 2));
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    appendFileSync(log, line(ip, 3));
    const m = await until(`the ban of ${ip}`, () => new RegExp(`\\{[^\\n]*"time":(\\d+)[^\\n]*"msg":"banned ${ip.replace(/\./g, '\\.')} `).exec(out) ?? undefined, 10_000, 5);
    const ms = Number(m[1]) - t0;
    latencies.push(ms);
    process.stdout.write(`run ${i}: threshold line -> rule in the kernel in ${ms} ms\n`);
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  const s = [...latencies].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  process.stdout.write(`\nban latency with ${firewall}, ${runs} runs: median ${median} ms, min ${s[0]} ms, max ${s[s.length - 1]} ms\n`);
  process.stdout.write(`goal: median <= ${GOAL_MS} ms: ${median <= GOAL_MS ? 'PASS' : 'MISS'}\n`);
} finally {
  await lab.destroy();
}
