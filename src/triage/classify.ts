/**
 * classify(): an alert (free text from any Nagios-style source, or mamoru's own transition) to a
 * kind, a service, a runbook and its steps, and which context decided. The decisions live in the
 * tables (`rules.ts`, `services.ts`, `runbooks.ts`, `snmp-values.ts`); this file only brings the
 * alert and what is known around it (`context.ts`) into the shape they read.
 */
import { stateName } from '../core/nagios.ts';
import { cluesOf, type Clue, type Decision } from './context.ts';
import { unwrapNotification } from './notification.ts';
import { firstRule, type Alert } from './rules.ts';
import { chooseRunbook, runbookSteps } from './runbooks.ts';
import { hostProbes, serviceFromContent, serviceFromPrefix, serviceFromWords, serviceOfProbe } from './services.ts';
import { readSnmpValue } from './snmp-values.ts';
import type { AlertState, Service, Triage, TriageInput, TransitionInput } from './types.ts';

/**
 * Alert text comes from outside (ingested notifications): the rules read at most this much. Nagios
 * keeps 8 KiB of plugin output by default; a notification's wrapping adds little.
 */
const MAX_TEXT = 64 * 1024;

/** Check names and commands that are host checks (Nagios' `check-host-alive` is check_ping). */
const HOST_CHECK_HINT = /\b(?:check[_-])?(?:ping|fping|icmp|host[_-]alive)\b/i;

function stateWord(s: AlertState | undefined): string | undefined {
  if (s === undefined) return undefined;
  return typeof s === 'number' ? stateName(s) : s.toUpperCase();
}

function isTransition(input: TriageInput): input is TransitionInput {
  return 'probeType' in input;
}

/** The first clue whose words name a service (`check_ftp`, `Mail Queue`, `POP3`). */
function serviceFromClues(clues: readonly Clue[]): { service: Service; by: Decision } | undefined {
  for (const by of ['check', 'service', 'command', 'label'] as const) {
    for (const c of clues) {
      const s = c.by === by ? serviceFromWords(c.value) : undefined;
      if (s) return { service: s, by: { by: c.by, value: c.value } };
    }
  }
  return undefined;
}

/** The service the probe type, the text or the clues tell, and which of them told it. */
function serviceOf(output: string, probe: string | undefined, clues: readonly Clue[]): { service: Service | undefined; by: Decision | null } {
  const fromProbe = probe === undefined ? undefined : (serviceOfProbe as Record<string, Service | null>)[probe];
  if (fromProbe) return { service: fromProbe, by: { by: 'probe', value: probe! } };
  const prefix = serviceFromPrefix(output);
  if (prefix) return { service: prefix, by: { by: 'text', value: output.split('\n')[0]!.slice(0, 120) } };
  const hinted = serviceFromClues(clues);
  if (hinted) return hinted;
  const content = serviceFromContent(output);
  return content ? { service: content, by: { by: 'text', value: output.slice(0, 120) } } : { service: undefined, by: null };
}

/**
 * A host check: mamoru's ping probe (a probe type is all that tells for mamoru's own checks), a
 * host notification, or an alert whose check name, service description or command is a ping.
 */
function hostClue(probe: string | undefined, hostAlert: boolean, clues: readonly Clue[]): Decision | undefined {
  if (probe !== undefined) return hostProbes.includes(probe) ? { by: 'probe', value: probe } : undefined;
  if (hostAlert) return { by: 'notification', value: 'a host notification' };
  const c = clues.find((x) => (x.by === 'check' || x.by === 'service' || x.by === 'command') && HOST_CHECK_HINT.test(x.value));
  return c ? { by: c.by, value: c.value } : undefined;
}

/** The alert as the rules read it, with the service and the clues, each with where it came from. */
export function toAlert(input: TriageInput): Alert {
  const transition = isTransition(input);
  const probe = transition ? input.probeType : input.probe;
  // mamoru's own results are never wrapped in a notification.
  const u = transition || input.probe !== undefined ? { output: input.text.slice(0, MAX_TEXT), hostAlert: false } : unwrapNotification(input.text.slice(0, MAX_TEXT));
  const wrapped = 'service' in u && u.service ? [{ by: 'service' as const, value: u.service }] : [];
  const clues = cluesOf({ ...input, probe }, wrapped);
  const given = stateWord(input.state);
  const fromWrapping = 'state' in u ? u.state : undefined;
  const host = hostClue(probe, u.hostAlert, clues);
  const svc = serviceOf(u.output, probe, clues);
  return {
    output: u.output,
    state: given ?? fromWrapping,
    stateBy: given !== undefined ? { by: 'state', value: given } : fromWrapping !== undefined ? { by: 'notification', value: fromWrapping } : undefined,
    notificationType: 'notificationType' in u ? u.notificationType : undefined,
    hostCheck: host !== undefined,
    hostBy: host,
    hint: clues.filter((c) => c.by === 'check' || c.by === 'service' || c.by === 'command').map((c) => c.value).join(' ') || undefined,
    clues,
    service: svc.service,
    serviceBy: svc.by,
    snmpValue: readSnmpValue(u.output, clues),
  };
}

/**
 * Classifies an alert: free text (`{ text, service?, command?, oids?, labels?, state? }`, the text
 * possibly inside a Nagios or Icinga notification) or mamoru's transition (`{ probeType, state,
 * text, check?, options? }`), and says which context decided.
 */
export function classify(input: TriageInput): Triage {
  const alert = toAlert(input);
  const hit = firstRule(alert);
  const rule = hit?.rule;
  const kind = rule?.kind ?? 'unknown';
  const service = rule?.service !== undefined ? rule.service : (alert.service ?? null);
  const runbook = chooseRunbook(kind, service);
  const decidedBy: Decision = hit ? hit.decision : { by: 'text', value: null };
  const serviceBy: Decision | null = service === null ? null : rule?.service !== undefined ? decidedBy : alert.serviceBy;
  const reason = rule ? (rule.explain?.(alert) ?? rule.means) : 'no rule of the field runbook matches this alert: a person should look';
  return { kind, service, runbook, steps: runbook ? runbookSteps[runbook] : [], reason, decidedBy, serviceBy };
}
