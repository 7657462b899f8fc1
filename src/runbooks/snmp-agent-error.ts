/**
 * snmp-agent-error: the SNMP agent cannot be read. Is snmpd running, is UDP 161 open (from
 * /proc/net/udp)? Not running: start it. Running with its port open: the agent is there, and
 * the error is the question asked of it (community, user, view or access rules) or something
 * on the way, which the alert's own words tell: a person looks.
 */
import { daemonVerdict } from './daemon-check.ts';
import { Findings, lookAtService, recentErrors } from './steps.ts';
import { defineRunbook, targetName } from './types.ts';

export default defineRunbook({
  name: 'snmp-agent-error',
  summary: 'agent process and UDP 161; start snmpd when it is down',
  async run(ctx) {
    const f = new Findings(ctx.clock);
    const svc = ctx.service.udp_ports.length ? ctx.service : { ...ctx.service, udp_ports: [161] };
    const sctx = { ...ctx, service: svc };
    const view = await lookAtService(sctx, f);
    const words = { label: `the SNMP agent (${svc.name})` };
    const simple = daemonVerdict(sctx, f, view, [], words);
    if (simple && (simple.proposed.length > 0 || !view?.up)) {
      if (simple.proposed.length > 0) await recentErrors(sctx, f);
      return simple;
    }
    const said = ctx.alert?.text ? `; the alert said: ${ctx.alert.text.split('\n')[0]!.slice(0, 200)}` : '';
    return {
      verdict: `the SNMP agent runs on ${targetName(ctx)} (pid ${view!.master.master?.pid}) and UDP ${svc.udp_ports.join(', ')} is open: the agent is there, the question asked of it fails (community, user or access rules) or something between drops it${said}`,
      evidence: f.items,
      proposed: [],
      neededFromClient: `The SNMP agent on ${targetName(ctx)} runs but does not answer our queries: if its community, SNMPv3 user or access rules, or a firewall in front of it changed, please tell us.`,
    };
  },
});
