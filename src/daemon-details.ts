/**
 * What the messages about an incident say besides the state change: the records runbooks and
 * actions wrote into its timeline, and an SNMP reading's limits next to its value. Part of the
 * wiring layer (daemon-alerts.ts hands these to the dispatcher).
 */
import type { Guard as ActionGuard } from './actions/policy.ts';
import type { Clock } from './core/clock.ts';
import { formatPerfdata } from './core/perfdata.ts';
import type { CheckResult } from './core/result.ts';
import { said } from './core/said.ts';
import type { DetailRecord, IncidentDetails } from './notify/compose.ts';
import type { Store } from './store/types.ts';

/**
 * check_snmp's text names only the value (`SNMP CRITICAL - *1500*`); its limit is in the perfdata.
 * What people are told of an snmp check carries the plugin's whole line, as Nagios hands it on, so
 * the message can say "1,500 messages (limit 1,000)".
 */
export function withLimits(probe: string | undefined, result: CheckResult): CheckResult {
  if (probe !== 'snmp' || !result.perfdata.some((p) => p.warn || p.crit)) return result;
  return { ...result, text: `${result.text} | ${formatPerfdata(result.perfdata)}` };
}

/**
 * What runbooks and actions wrote into the timeline (`evidence`, `action`, a runbook's
 * `escalated`), as they wrote it: compose words each record in the contact's language. An
 * approval already given whose action has not ended has no record yet (an action's records come
 * when it ends): it is told as under way, never as still waiting.
 */
export async function incidentDetails(store: Pick<Store, 'incidentEvents'>, approvals: ActionGuard['approvals'], clock: Clock, incidentId: number): Promise<IncidentDetails> {
  const events = await store.incidentEvents(incidentId);
  const records: DetailRecord[] = events.filter((e) => e.kind === 'evidence' || e.kind === 'action' || e.kind === 'escalated').map(({ kind, text, data, at }) => ({ kind, text, data, at }));
  const recorded = new Set(records.filter((r) => r.data?.status !== 'pending').map((r) => r.data?.approvalId));
  for (const r of [...records]) {
    const id = r.data?.approvalId;
    if (r.data?.status !== 'pending' || typeof id !== 'string' || recorded.has(id)) continue;
    const a = approvals.get(id);
    if (a?.status !== 'approved') continue;
    const by = a.by ? ` by ${a.by}` : '';
    const say = said(`Approved${by}; mamoru is carrying it out now: ${a.text}.`, `承認された対応を実施しています${a.by ? `（承認: ${a.by}）` : ''}。`);
    records.push({ kind: 'action', text: `approved${by}: ${a.text} (under way)`, data: { type: r.data.type, status: 'approved', approvalId: id, say }, at: a.decidedAt ?? clock.now() });
  }
  return { records };
}
