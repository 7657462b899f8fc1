/**
 * The field runbook's POP3 story end to end, with mamoru running on the lab's server (inside its
 * namespace, as it runs on a real server): a brute force from the attacker against the real
 * Dovecot is banned after the threshold, new connections are dropped and the open one is cut,
 * the client is still served, the ban is in the store and in an incident with who the address
 * is; the ban ends on time; a restart puts a ban back within a second. Once with nftables, once
 * with iptables.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BIN } from '../helpers/cli.ts';
import { needs } from '../helpers/prereq.ts';
import { startDovecot, type LabDovecot } from '../lab/daemons/dovecot.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { startAgent, type Agent } from '../firewall/net.ts';

/** N failed POP3 logins, one connection each, from inside a namespace. */
const BRUTE = `
const net = require('node:net');
const [host, port, n] = process.argv.slice(1);
(async () => {
  for (let i = 0; i < Number(n); i++) {
    await new Promise((resolve) => {
      const s = net.connect(Number(port), host);
      let step = 0;
      s.setTimeout(3000, () => { s.destroy(); resolve(); });
      s.on('data', (d) => {
        const t = d.toString();
        if (step === 0 && t.startsWith('+OK')) { s.write('USER admin\\r\\n'); step = 1; }
        else if (step === 1) { s.write('PASS wrong' + i + '\\r\\n'); step = 2; }
        else if (step === 2) { s.end('QUIT\\r\\n'); step = 3; }
      });
      s.on('close', resolve);
      s.on('error', resolve);
    });
  }
})();
`;

let lab: Lab;
let dovecot: LabDovecot;
let attacker: Agent;
let client: Agent;

before(async () => {
  if (process.getuid?.() !== 0) return;
  lab = await createLab();
  dovecot = await startDovecot(lab);
  attacker = startAgent(lab.attacker);
  client = startAgent(lab.client);
});
after(async () => {
  attacker?.stop();
  client?.stop();
  await lab?.destroy();
});

interface Running {
  child: ChildProcess;
  out: () => string;
  waitFor(re: RegExp, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

function startMamoru(cfg: string): Running {
  const child = lab.server.spawn([process.execPath, BIN, 'start', '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MAMORU_LOG_FORMAT: 'json' } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return {
    child,
    out: () => out,
    async waitFor(re, ms = 20_000) {
      const t0 = Date.now();
      while (!re.test(out)) {
        if (child.exitCode !== null) throw new Error(`mamoru exited (${child.exitCode}):\n${out}`);
        if (Date.now() - t0 > ms) throw new Error(`mamoru did not print ${re} within ${ms} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Opens N connections and keeps them; with the ACKs dropped they stay SYN_RECV on the server. */
const HOLD = `
const net = require('node:net');
const [host, port, n] = process.argv.slice(1);
const keep = [];
for (let i = 0; i < Number(n); i++) { const s = net.connect(Number(port), host); s.on('error', () => {}); keep.push(s); }
setInterval(() => {}, 1000);
`;

const cli = (cfg: string, args: string[]) => lab.server.run([process.execPath, BIN, ...args, '-c', cfg], { timeoutMs: 30_000 });

for (const firewall of ['nftables', 'iptables'] as const) {
  describe(`guard with ${firewall}`, () => {
    test('brute force banned, dropped and cut; client served; stored with an incident; ended on time; back after a restart', async (t) => {
      if (needs(t, { root: true, commands: ['nft', 'iptables', 'ss', 'conntrack', 'dovecot'] })) return;
      const dir = join(lab.dir, `guard-${firewall}`);
      lab.server.exec(['mkdir', '-p', dir]);
      const cfg = join(dir, 'mamoru.yaml');
      writeFileSync(
        cfg,
        `store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }
web: { enabled: false }
guard:
  firewall: { type: ${firewall}${firewall === 'nftables' ? `, table: mamoru_${lab.id.replace(/\W/g, '_')}` : ''} }
  state_dir: ${join(dir, 'state')}
  enrich: { whois: { enabled: false } }
  jails:
    - name: pop3
      target: mail1
      filters: [dovecot]
      sources: [{ type: file, paths: ['${dovecot.logFile}'] }]
      max_retry: 3
      find_time: 1m
      ban_time: 8s
      port: ${dovecot.ports.pop3}
`,
      );
      const ip = lab.server.ip;
      const port = dovecot.ports.pop3;
      let m = startMamoru(cfg);
      try {
        await m.waitFor(/watching/);
        assert.equal(await client.connect(ip, port), 'connected');
        const open = await attacker.hold(ip, port);
        lab.attacker.exec([process.execPath, '-e', BRUTE, ip, String(port), '3'], { timeoutMs: 20_000 });
        await m.waitFor(new RegExp(`banned ${lab.attacker.ip.replace(/\./g, '\\.')} on port ${port}`), 10_000);

        assert.equal(await attacker.connect(ip, port, 1000), 'timeout', 'new connections from the attacker are dropped');
        assert.equal(await open.closed(3000), 'closed', "the attacker's open connection is cut");
        assert.equal(await client.connect(ip, port), 'connected', 'the client is still served');

        const bans = JSON.parse(cli(cfg, ['bans', '--json']).stdout) as Array<{ address: string; port: number; jail: string; banCount: number }>;
        assert.deepEqual(bans.map((b) => [b.address, b.port, b.jail, b.banCount]), [[lab.attacker.ip, port, 'pop3', 1]]);
        const incidents = JSON.parse(cli(cfg, ['incidents', '--json']).stdout) as Array<{ id: number; target: string; title: string }>;
        assert.equal(incidents.length, 1);
        assert.equal(incidents[0]!.target, 'mail1');
        assert.match(incidents[0]!.title, /attack blocked - banned/);
        const deadline = Date.now() + 5000;
        let shown = '';
        while (Date.now() < deadline && !/who is/.test(shown)) {
          shown = cli(cfg, ['incident', String(incidents[0]!.id)]).stdout;
          await new Promise((r) => setTimeout(r, 200));
        }
        assert.match(shown, new RegExp(`ban +banned ${lab.attacker.ip.replace(/\./g, '\\.')} on port ${port} until .*: pop3: 3 failures in 1m \\(dovecot\\)`));
        assert.match(shown, new RegExp(`evidence +who is ${lab.attacker.ip.replace(/\./g, '\\.')}: nothing known \\(private`));

        // The ban ends on time (kernel timeout or mamoru's reconcile) and the attacker can connect again.
        const ended = Date.now() + 16_000;
        let again = 'timeout';
        while (Date.now() < ended && again !== 'connected') again = await attacker.connect(ip, port, 500);
        assert.equal(again, 'connected', 'the ban ended');

        // A second round: banned again (the second ban lasts twice as long), then a restart
        // after someone wiped the rules: the stored ban is back within a second of the start.
        lab.attacker.exec([process.execPath, '-e', BRUTE, ip, String(port), '3'], { timeoutMs: 20_000 });
        await m.waitFor(/banned .* until .*"banCount":2|ban #2/, 10_000).catch(async () => m.waitFor(new RegExp(`banned ${lab.attacker.ip.replace(/\./g, '\\.')}[\\s\\S]*banned ${lab.attacker.ip.replace(/\./g, '\\.')}`), 10_000));
        await m.stop();
        if (firewall === 'nftables') lab.server.run(['nft', 'delete', 'table', 'inet', `mamoru_${lab.id.replace(/\W/g, '_')}`]);
        else for (const x of ['iptables', 'ip6tables']) lab.server.run([x, '-D', 'INPUT', '-j', 'MAMORU']), lab.server.run([x, '-F', 'MAMORU']);
        assert.equal(await attacker.connect(ip, port, 1000), 'connected', 'rules wiped while mamoru was down');
        m = startMamoru(cfg);
        await m.waitFor(/re-applied 1 stored ban/, 20_000);
        assert.equal(await attacker.connect(ip, port, 1000), 'timeout', 'the ban is back');
        assert.equal(await client.connect(ip, port), 'connected');
      } finally {
        await m.stop();
        const flushed = cli(cfg, ['bans', 'flush']);
        assert.equal(flushed.status, 0, flushed.stderr);
        if (firewall === 'nftables') lab.server.run(['nft', 'delete', 'table', 'inet', `mamoru_${lab.id.replace(/\W/g, '_')}`]);
      }
    });
  });
}

describe('guard and the connection table', () => {
  test('a SYN flood alone never bans; failed logins do, and the ban carries the SYN_RECV evidence', async (t) => {
    if (needs(t, { root: true, commands: ['nft', 'dovecot'] })) return;
    const dir = join(lab.dir, 'guard-syn');
    lab.server.exec(['mkdir', '-p', dir]);
    const cfg = join(dir, 'mamoru.yaml');
    const table = `mamoru_syn_${lab.id.replace(/\W/g, '_')}`;
    const ip = lab.server.ip;
    const port = dovecot.ports.pop3;
    writeFileSync(
      cfg,
      `store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }
web: { enabled: false }
guard:
  firewall: { type: nftables, table: ${table} }
  state_dir: ${join(dir, 'state')}
  enrich: { whois: { enabled: false } }
  connection_table: { interval: 300ms }
  jails:
    - { name: pop3, filters: [dovecot], sources: [{ type: file, paths: ['${dovecot.logFile}'] }], max_retry: 3, find_time: 1m, ban_time: 1m, port: ${port} }
`,
    );
    const m = startMamoru(cfg);
    const flood = `mamoru_halfopen_${lab.id.replace(/\W/g, '_')}`;
    try {
      await m.waitFor(/watching/);
      // The attacker's kernel answers the SYN-ACK, but its ACK never leaves: half-open on the server.
      lab.attacker.exec(['nft', '-f', '-'], { input: `table inet ${flood} {\n chain output {\n  type filter hook output priority 0; policy accept;\n  ip daddr ${ip} tcp dport ${port} tcp flags & (syn | ack) == ack drop\n }\n}\n` });
      const holder = lab.attacker.spawn([process.execPath, '-e', HOLD, ip, String(port), '20']);
      const deadline = Date.now() + 10_000;
      let syn = 0;
      while (Date.now() < deadline && syn < 10) {
        syn = lab.server.exec(['ss', '-Htn', 'state', 'syn-recv', 'sport', '=', `:${port}`]).split('\n').filter((l) => l.trim()).length;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(syn >= 10, `half-open connections on the server (${syn}):\n${lab.server.run(['iptables-save']).stdout}\n${lab.server.run(['nft', 'list', 'ruleset']).stdout}`);
      await new Promise((r) => setTimeout(r, 1500));
      assert.doesNotMatch(m.out(), /"msg":"banned/, 'no ban from SYN_RECV alone');
      assert.deepEqual(JSON.parse(cli(cfg, ['bans', '--json']).stdout), []);
      holder.kill('SIGKILL');
      lab.attacker.run(['nft', 'delete', 'table', 'inet', flood]);

      lab.attacker.exec([process.execPath, '-e', BRUTE, ip, String(port), '3'], { timeoutMs: 20_000 });
      await m.waitFor(new RegExp(`banned ${lab.attacker.ip.replace(/\./g, '\\.')} on port ${port}: [^"]*SYN_RECV`), 10_000);
    } finally {
      lab.attacker.run(['nft', 'delete', 'table', 'inet', flood]);
      await m.stop();
      lab.server.run(['nft', 'delete', 'table', 'inet', table]);
    }
  });
});
