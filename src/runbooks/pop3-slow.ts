/**
 * pop3-slow: a slow POP3 greeting is most likely an attack. Time each port's greeting from the
 * monitor in its own protocol (`+OK` on POP3's ports, `* OK` on IMAP's: a POP3 greeting asked of
 * an IMAP port is a false warning), count SYN_RECV (half-open) and held connections per remote
 * address, and failed logins per address in the mail log. Only failed logins name an attacker:
 * half-open connections can be forged and held ones prove no intent, so both are supporting
 * evidence, never a reason to block on their own (the guard's jail holds the same line). The
 * guard's bans in force are read too, so an attacker already banned is said to be, and no block
 * is asked for it again. A stopped server is started, as in the service runbook.
 */
import { probeOnce, type Answer } from '../actions/answers.ts';
import { inspectConnections } from '../inspect/connections.ts';
import { inspectErrorLog } from '../inspect/error-log.ts';
import { plural } from '../inspect/types.ts';
import { countFailures, type FailureCount } from './auth-failures.ts';
import { daemonVerdict } from './daemon-check.ts';
import { said, type Said } from '../core/said.ts';
import { attackerSay, attackerWords, failureProtocols, greetingOptions, judge, protocolLabel, protocolOfPort, unprovenSay, unprovenWords, windowJa, windowWords, type MailProtocol } from './mail-attack.ts';
import { couldNot, Findings, lookAtService, quoted } from './steps.ts';
import { defineRunbook, targetName, type AttackSource, type BanInForce } from './types.ts';

interface Greeting extends Answer {
  port: number;
  protocol: MailProtocol;
}

/** How each protocol greets: `greets in 4.02 s`, `does not greet (...)`; POP3 first, each named but a leading POP3. */
function greetWords(greetings: Greeting[]): string {
  const parts: string[] = [];
  for (const protocol of ['pop3', 'imap'] as const) {
    const mine = greetings.filter((g) => g.protocol === protocol);
    if (mine.length === 0) continue;
    const silent = mine.find((g) => !g.answered);
    const slowest = mine.reduce((m, g) => Math.max(m, g.ms), 0);
    const words = silent ? `does not greet (${silent.text})` : `greets in ${(slowest / 1000).toFixed(2)} s`;
    parts.push(parts.length ? `${protocolLabel(protocol)} ${words}` : words);
  }
  return parts.join(', ');
}

/** The same for the message: every protocol named, its own greeting's time, the probe's line quoted when silent. */
function greetSay(greetings: Greeting[], where: string): Said {
  const en: string[] = [];
  const ja: string[] = [];
  for (const protocol of ['pop3', 'imap'] as const) {
    const mine = greetings.filter((g) => g.protocol === protocol);
    if (mine.length === 0) continue;
    const silent = mine.find((g) => !g.answered);
    const slowest = (mine.reduce((m, g) => Math.max(m, g.ms), 0) / 1000).toFixed(2);
    const label = protocolLabel(protocol);
    if (silent) {
      en.push(`${label} does not greet ("${quoted(silent.text)}")`);
      ja.push(`${label} は応答しません（「${quoted(silent.text)}」）`);
    } else {
      en.push(`${label} greets in ${slowest} s`);
      ja.push(`${label} の応答に ${slowest} 秒かかっています`);
    }
  }
  return said(`Mail on ${where}: ${en.join(', ')}.`, `${where} のメール受信: ${ja.join('、')}。`);
}

export default defineRunbook({
  name: 'pop3-slow',
  summary: 'greeting per protocol, failed logins per source (SYN_RECV as support), bans in force: who attacks, what is blocked',
  async run(ctx) {
    const f = new Findings(ctx.clock);
    const svc = ctx.service;
    const where = targetName(ctx);
    const ports = svc.ports.length ? svc.ports : [110];
    const greetings: Greeting[] = [];
    for (const port of ports) {
      // Each port in its own protocol: IMAP's ports (143, 993) with the IMAP probe, never POP3's.
      const protocol = protocolOfPort(port);
      const a = await probeOnce(protocol, ctx.address, greetingOptions(port), svc.page_timeout, ctx.signal);
      greetings.push({ ...a, port, protocol });
      const label = protocolLabel(protocol);
      f.add(
        'greeting',
        `${label} greeting on ${ctx.address}:${port} after ${(a.ms / 1000).toFixed(2)} s: ${a.text}`,
        { port, protocol, ...a },
        a.answered
          ? said(`${label} on port ${port} greets after ${(a.ms / 1000).toFixed(2)} s.`, `ポート ${port} の ${label} は ${(a.ms / 1000).toFixed(2)} 秒で応答しました。`)
          : said(`${label} on port ${port} does not greet: "${quoted(a.text)}".`, `ポート ${port} の ${label} が応答しません（「${quoted(a.text)}」）。`),
      );
    }
    const protocolsSeen = [...new Set(greetings.map((g) => g.protocol))];
    const imapOnly = protocolsSeen.length === 1 && protocolsSeen[0] === 'imap';
    const both = protocolsSeen.length > 1;
    const view = await lookAtService(ctx, f);
    const simple = daemonVerdict(ctx, f, view, greetings, {
      label: both ? `the mail server (${svc.name})` : `the ${imapOnly ? 'IMAP' : 'POP3'} server (${svc.name})`,
      ja: both ? `メールサーバー（${svc.name}）` : `${imapOnly ? 'IMAP' : 'POP3'} サーバー（${svc.name}）`,
    });
    if (simple && simple.proposed.length > 0) return simple;

    const sources = new Map<string, AttackSource>();
    const source = (address: string) => {
      let s = sources.get(address);
      if (!s) sources.set(address, (s = { address, connections: 0 }));
      return s;
    };
    const ignore = new Set(ctx.ignoreSources ?? []);
    // Half-open and established apart: the first can be forged, the second cannot.
    for (const port of ports) {
      const half = await f.look(
        'syn-recv',
        () => inspectConnections(ctx.executor, { localPort: port, states: ['SYN_RECV', 'NEW_SYN_RECV'], top: 50 }),
        (c) => ({ port, total: c.total, sources: c.topSources.map((s) => ({ address: s.address, synRecv: s.total })) }),
        (c) => said(`${plural(c.total, 'half-open connection')} (SYN_RECV) on port ${port}.`, `ポート ${port} の確立途中の接続（SYN_RECV）は ${c.total} 件です。`),
      );
      for (const s of (half?.topSources ?? []).filter((x) => !ignore.has(x.address))) source(s.address).synRecv = (sources.get(s.address)!.synRecv ?? 0) + s.total;
      const held = await f.look(
        'connections',
        () => inspectConnections(ctx.executor, { localPort: port, states: ['ESTABLISHED', 'CLOSE_WAIT'], top: 50 }),
        (c) => ({ port, total: c.total, sources: c.topSources.map((s) => ({ address: s.address, connections: s.total })) }),
        (c) => said(`${plural(c.total, 'open connection')} on port ${port}.`, `ポート ${port} の接続は ${c.total} 件です。`),
      );
      for (const s of (held?.topSources ?? []).filter((x) => !ignore.has(x.address))) source(s.address).connections += s.total;
    }

    const a = svc.attack;
    const window = windowWords(a.auth_window);
    const windowSaid = windowJa(a.auth_window);
    let failures: FailureCount[] = [];
    let protocols = new Map<string, Set<MailProtocol>>();
    if (svc.mail_log) {
      const since = new Date(ctx.clock.now() - a.auth_window);
      const log = await f.look(
        'mail-log',
        () => inspectErrorLog(ctx.executor, { path: svc.mail_log!, since, maxBytes: 4 * 1024 * 1024, maxLines: 200_000, now: new Date(ctx.clock.now()) }),
        (l) => ({ path: l.path, lines: l.matched }),
        (l) => said(`Read ${plural(l.matched, 'line')} of the mail log ${l.path} (the last ${window}).`, `メールログ ${l.path} の直近 ${windowSaid}（${l.matched} 行）を確認しました。`),
      );
      if (log) {
        const lines = log.lines.map((l) => l.text);
        failures = countFailures(lines).filter((c) => !ignore.has(c.address));
        protocols = failureProtocols(lines);
        const top = failures.slice(0, 5).map((c) => `${c.address} ${c.failures}`).join(', ');
        const topJa = failures.slice(0, 5).map((c) => `${c.address}（${c.failures} 回）`).join('、');
        f.add(
          'auth-failures',
          failures.length ? `failed logins in the last ${window} (since ${since.toTimeString().slice(0, 8)}): ${top}` : `no failed logins in ${svc.mail_log} in the last ${window}`,
          { failures: failures.slice(0, 50), since: since.getTime() },
          failures.length ? said(`Failed logins in the last ${window}: ${top}.`, `直近 ${windowSaid}のログイン失敗: ${topJa}。`) : said(`No failed logins in the last ${window}.`, `直近 ${windowSaid}にログイン失敗はありません。`),
        );
        for (const c of failures) source(c.address).authFailures = c.failures;
      }
    } else {
      f.add('auth-failures', 'no mail_log configured: failed logins were not counted, so no address can be named an attacker', undefined, said('No mail log is configured, so failed logins were not counted and no address can be named an attacker.', 'メールログが設定されていないため、ログイン失敗を数えられず、攻撃元を特定できません。'));
    }

    let bans: BanInForce[] = [];
    if (ctx.bans) {
      try {
        bans = await ctx.bans();
        const now = ctx.clock.now();
        bans = bans.filter((b) => b.until === undefined || b.until > now);
        f.add('bans', bans.length ? `bans in force: ${plural(bans.length, 'ban')}` : 'no bans in force', { bans: bans.slice(0, 50) }, bans.length ? said(`${plural(bans.length, 'block')} by the guard in force.`, `ガードによる遮断が ${bans.length} 件有効です。`) : said('No blocks by the guard are in force.', 'ガードによる遮断は現在ありません。'));
      } catch (e) {
        f.add('bans', `could not find out (bans): ${(e as Error).message}`, { error: (e as Error).message }, couldNot('bans'));
      }
    }

    const { attackers, unproven } = judge(sources.values(), protocols, ports, bans, a, ctx.clock.now());
    const head = `${imapOnly ? 'IMAP' : 'POP3'} on ${where} ${greetWords(greetings)}`;
    const headSay = greetSay(greetings, where);
    const others = unproven.slice(0, 3).map(unprovenWords);
    const othersSay = unproven.slice(0, 3).map(unprovenSay);
    const aside = others.length ? `; evidence only, not grounds to block: ${others.join('; ')}` : '';
    const asideSay = othersSay.length ? said(` Not grounds to block: ${othersSay.map((x) => x.en).join('; ')}.`, `遮断の根拠にはしないもの: ${othersSay.map((x) => x.ja).join('。')}。`) : said('', '');
    if (others.length) f.add('unproven', `no failed logins, so not named an attacker: ${others.join('; ')}`, { sources: unproven.slice(0, 50) }, said(`Not named an attacker (no failed logins): ${othersSay.map((x) => x.en).join('; ')}.`, `攻撃元とは判断していないもの（ログイン失敗なし）: ${othersSay.map((x) => x.ja).join('。')}。`));
    if (attackers.length === 0) {
      const syn = [...sources.values()].reduce((n, s) => n + (s.synRecv ?? 0), 0);
      const failed = failures.reduce((n, c) => n + c.failures, 0);
      const why = svc.mail_log ? `no address failed ${plural(a.min_auth_failures, 'login')} in ${window}` : 'no mail log to name one from';
      return {
        verdict: `${head}; no attacker named (${why}; ${plural(syn, 'SYN_RECV connection')}, ${plural(failed, 'failed login')})${aside}`,
        verdictSay: said(
          `${headSay.en} No attacker is named: ${svc.mail_log ? `no address failed ${plural(a.min_auth_failures, 'login')} in ${window}` : 'there is no mail log to name one from'}.${asideSay.en}`,
          `${headSay.ja}攻撃元は特定していません（${svc.mail_log ? `直近 ${windowSaid}に ${a.min_auth_failures} 回以上ログインに失敗したアドレスはありません` : 'メールログがないため特定できません'}）。${asideSay.ja}`,
        ),
        evidence: f.items,
        proposed: [],
      };
    }
    const summary = attackers.slice(0, 5).map((x) => attackerWords(x, a.auth_window)).join('; ');
    const summarySay = attackers.slice(0, 5).map((x) => attackerSay(x, a.auth_window));
    const toBlock = [...new Set(attackers.flatMap((x) => x.unblocked))].sort((x, y) => x - y);
    const block = toBlock.length ? `: evidence for the guard (block on port ${toBlock.join(', ')})` : ': nothing more to block';
    const blockSay = toBlock.length
      ? said(
          ` The guard is asked to block ${attackers.length === 1 ? 'it' : 'them'} on ${toBlock.length === 1 ? 'port' : 'ports'} ${toBlock.slice(0, -1).join(', ')}${toBlock.length > 1 ? ' and ' : ''}${toBlock.at(-1)} too.`,
          `攻撃元はポート ${toBlock.join('、')} でも遮断するようガードに依頼します。`,
        )
      : said(' Nothing more needs blocking.', 'これ以上の遮断は不要です。');
    const attack = { service: 'pop3', ports: toBlock, sources: attackers, summary };
    f.add('attack', `attack: ${summary}`, { sources: attackers }, said(`Attack: ${summarySay.map((x) => x.en).join('; ')}.`, `攻撃: ${summarySay.map((x) => x.ja).join('。')}。`));
    return {
      verdict: `${head}; attack from ${summary}${block}${aside}`,
      verdictSay: said(`${headSay.en} The cause is a login attack: ${summarySay.map((x) => x.en).join('; ')}.${blockSay.en}${asideSay.en}`, `${headSay.ja}原因はログイン攻撃です: ${summarySay.map((x) => x.ja).join('。')}。${blockSay.ja}${asideSay.ja}`),
      evidence: f.items,
      proposed: [],
      attack,
    };
  },
});
