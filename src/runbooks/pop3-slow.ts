/**
 * pop3-slow: a slow POP3 greeting is most likely an attack. Time the `+OK` greeting from the
 * monitor, count SYN_RECV (half-open) and held connections on :110 per remote address, and
 * failed logins per address in the mail log; an address over the thresholds is handed on as
 * attack evidence for the guard (which blocks it on port 110). Half-open connections can be
 * forged, so they are recorded as evidence, never a reason to block on their own. A stopped
 * server is started, as in the service runbook.
 */
import { probeOnce, type Answer } from '../actions/answers.ts';
import { inspectConnections } from '../inspect/connections.ts';
import { inspectErrorLog } from '../inspect/error-log.ts';
import { plural } from '../inspect/types.ts';
import { countFailures, type FailureCount } from './auth-failures.ts';
import { daemonVerdict } from './daemon-check.ts';
import { Findings, lookAtService } from './steps.ts';
import { defineRunbook, targetName, type AttackSource } from './types.ts';

export default defineRunbook({
  name: 'pop3-slow',
  summary: 'greeting time, SYN_RECV and failed logins per source: attack evidence for the guard',
  async run(ctx) {
    const f = new Findings(ctx.clock);
    const svc = ctx.service;
    const where = targetName(ctx);
    const ports = svc.ports.length ? svc.ports : [110];
    const greetings: Answer[] = [];
    for (const port of ports) {
      const a = await probeOnce('pop3', ctx.address, { port }, svc.page_timeout, ctx.signal);
      greetings.push(a);
      f.add('greeting', `POP3 greeting on ${ctx.address}:${port} after ${(a.ms / 1000).toFixed(2)} s: ${a.text}`, { port, ...a });
    }
    const view = await lookAtService(ctx, f);
    const simple = daemonVerdict(ctx, f, view, greetings, { label: `the POP3 server (${svc.name})` });
    if (simple && simple.proposed.length > 0) return simple;

    const sources = new Map<string, AttackSource>();
    const source = (address: string) => {
      let s = sources.get(address);
      if (!s) sources.set(address, (s = { address, connections: 0 }));
      return s;
    };
    // Half-open and established apart: the first can be forged, the second cannot.
    for (const port of ports) {
      const half = await f.look('syn-recv', () => inspectConnections(ctx.executor, { localPort: port, states: ['SYN_RECV', 'NEW_SYN_RECV'], top: 50 }), (c) => ({ port, total: c.total, sources: c.topSources.map((s) => ({ address: s.address, synRecv: s.total })) }));
      const ignore = new Set(ctx.ignoreSources ?? []);
      for (const s of (half?.topSources ?? []).filter((x) => !ignore.has(x.address))) source(s.address).synRecv = (sources.get(s.address)!.synRecv ?? 0) + s.total;
      const held = await f.look('connections', () => inspectConnections(ctx.executor, { localPort: port, states: ['ESTABLISHED', 'CLOSE_WAIT'], top: 50 }), (c) => ({ port, total: c.total, sources: c.topSources.map((s) => ({ address: s.address, connections: s.total })) }));
      for (const s of (held?.topSources ?? []).filter((x) => !ignore.has(x.address))) source(s.address).connections += s.total;
    }

    let failures: FailureCount[] = [];
    if (svc.mail_log) {
      const since = new Date(ctx.clock.now() - svc.attack.auth_window);
      const log = await f.look(
        'mail-log',
        () => inspectErrorLog(ctx.executor, { path: svc.mail_log!, since, maxBytes: 4 * 1024 * 1024, maxLines: 200_000, now: new Date(ctx.clock.now()) }),
        (l) => ({ path: l.path, lines: l.matched }),
      );
      if (log) {
        failures = countFailures(log.lines.map((l) => l.text));
        const top = failures.slice(0, 5).map((c) => `${c.address} ${c.failures}`).join(', ');
        f.add('auth-failures', failures.length ? `failed logins since ${since.toTimeString().slice(0, 8)}: ${top}` : `no failed logins in ${svc.mail_log} since ${since.toTimeString().slice(0, 8)}`, { failures: failures.slice(0, 50) });
        for (const c of failures) source(c.address).authFailures = c.failures;
      }
    } else f.add('auth-failures', 'no mail_log configured: failed logins were not counted');

    const a = svc.attack;
    const attackers = [...sources.values()]
      .filter((s) => (s.authFailures ?? 0) >= a.min_auth_failures || (s.synRecv ?? 0) >= a.min_connections || s.connections >= a.min_connections)
      .sort((x, y) => (y.authFailures ?? 0) + (y.synRecv ?? 0) + y.connections - ((x.authFailures ?? 0) + (x.synRecv ?? 0) + x.connections));
    const slowest = greetings.reduce((m, g) => Math.max(m, g.ms), 0);
    const greet = greetings.every((g) => g.answered) ? `greets in ${(slowest / 1000).toFixed(2)} s` : `does not greet (${greetings.find((g) => !g.answered)?.text})`;
    if (attackers.length === 0) {
      const syn = [...sources.values()].reduce((n, s) => n + (s.synRecv ?? 0), 0);
      const failed = failures.reduce((n, c) => n + c.failures, 0);
      return { verdict: `POP3 on ${where} ${greet}; no sign of an attack (${plural(syn, 'SYN_RECV connection')}, ${plural(failed, 'failed login')})`, evidence: f.items, proposed: [] };
    }
    const words = (s: AttackSource) =>
      `${s.address} (${[s.synRecv ? `${s.synRecv} SYN_RECV` : '', s.connections ? plural(s.connections, 'connection') : '', s.authFailures ? plural(s.authFailures, 'failed login') : ''].filter(Boolean).join(', ')})`;
    const summary = attackers.slice(0, 5).map(words).join('; ');
    const attack = { service: 'pop3', ports, sources: attackers, summary };
    f.add('attack', `attack: ${summary}`, { sources: attackers });
    return {
      verdict: `POP3 on ${where} ${greet}; attack from ${summary}: evidence for the guard (block on port ${ports.join(', ')})`,
      evidence: f.items,
      proposed: [],
      attack,
    };
  },
});
