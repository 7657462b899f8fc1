/**
 * snmp-agent-error: the SNMP agent cannot be read. Is snmpd running, is UDP 161 open (from
 * /proc/net/udp)? Not running: start it. Running with its port open: the agent is there, and
 * the error is the question asked of it (community, user, view or access rules) or something
 * on the way, which the alert's own words tell: a person looks. Unless the agent was (re)started
 * moments ago (by mamoru itself, for the check that saw it dead): then a reading that failed
 * while it was down is just that, nothing about its community or firewall changed, and the
 * client is asked for nothing.
 */
import { said } from '../core/said.ts';
import { daemonVerdict } from './daemon-check.ts';
import { Findings, lookAtService, quoted, recentErrors } from './steps.ts';
import { defineRunbook, targetName } from './types.ts';

/** An agent younger than this was started for the outage the alert belongs to. */
const RECENT_MS = 5 * 60_000;

export default defineRunbook({
  name: 'snmp-agent-error',
  summary: 'agent process and UDP 161; start snmpd when it is down',
  async run(ctx) {
    const f = new Findings(ctx.clock);
    const svc = ctx.service.udp_ports.length ? ctx.service : { ...ctx.service, udp_ports: [161] };
    const sctx = { ...ctx, service: svc };
    const where = targetName(ctx);
    const view = await lookAtService(sctx, f);
    const words = { label: `the SNMP agent (${svc.name})`, ja: `SNMP エージェント（${svc.name}）` };
    const simple = daemonVerdict(sctx, f, view, [], words);
    if (simple && (simple.proposed.length > 0 || !view?.up)) {
      if (simple.proposed.length > 0) await recentErrors(sctx, f);
      return simple;
    }
    const master = view!.master.master!;
    const ports = svc.udp_ports.join(', ');
    const ageMs = master.elapsedSeconds * 1000;
    if (ageMs < RECENT_MS) {
      const secs = master.elapsedSeconds;
      f.add('agent-age', `${svc.name} (pid ${master.pid}) started ${secs} s ago`, { pid: master.pid, elapsedSeconds: secs, startedAt: ctx.clock.now() - ageMs }, said(`The SNMP agent was started ${secs} s ago.`, `SNMP エージェントは ${secs} 秒前に起動したところです。`));
      return {
        verdict: `the SNMP agent runs on ${where} (pid ${master.pid}, started ${secs} s ago) and UDP ${ports} is open: the failed reading most likely dates from while it was down; nothing is needed from the client for now`,
        verdictSay: said(
          `The SNMP agent on ${where} was started ${secs} s ago and runs with UDP ${ports} open: the failed reading most likely dates from while it was down. Nothing is needed from you for now.`,
          `${where} の SNMP エージェントは ${secs} 秒前に起動し、UDP ${ports} で稼働しています。読み取りの失敗は停止中に起きたものと考えられます。現時点でお客様の対応は不要です。`,
        ),
        evidence: f.items,
        proposed: [],
      };
    }
    const alertLine = ctx.alert?.text ? ctx.alert.text.split('\n')[0]!.slice(0, 200) : undefined;
    const needed = `The SNMP agent on ${where} runs but does not answer our queries: if its community, SNMPv3 user or access rules, or a firewall in front of it changed, please tell us.`;
    return {
      verdict: `the SNMP agent runs on ${where} (pid ${master.pid}) and UDP ${ports} is open: the agent is there, the question asked of it fails (community, user or access rules) or something between drops it${alertLine ? `; the alert said: ${alertLine}` : ''}`,
      verdictSay: said(
        `The SNMP agent on ${where} runs and UDP ${ports} is open, yet our queries fail: its access settings (community, user or access rules) or something on the way drops them${alertLine ? ` (the check says "${quoted(alertLine)}")` : ''}.`,
        `${where} の SNMP エージェントは稼働し UDP ${ports} も開いていますが、監視からの問い合わせが失敗しています。アクセス設定（コミュニティ名、ユーザー、アクセス制限）か、途中の経路で遮られている可能性があります${alertLine ? `（監視の結果:「${quoted(alertLine)}」）` : ''}。`,
      ),
      evidence: f.items,
      proposed: [],
      neededFromClient: needed,
      neededSay: said(needed, `${where} の SNMP エージェントは稼働していますが、監視からの問い合わせに応答しません。コミュニティ名、SNMPv3 のユーザー、アクセス制限、または手前のファイアウォールを変更された場合は、お知らせください。`),
    };
  },
});
