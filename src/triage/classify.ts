/**
 * classify(): an alert (free text from any Nagios-style source, or mamoru's own transition) to a
 * kind, a service, a runbook and its steps. The decisions live in the tables (`rules.ts`,
 * `services.ts`, `runbooks.ts`); this file only brings the alert into the shape they read.
 */
import { stateName } from '../core/nagios.ts';
import { unwrapNotification } from './notification.ts';
import { firstRule, type Alert } from './rules.ts';
import { chooseRunbook, runbookSteps } from './runbooks.ts';
import { hostProbes, serviceFromContent, serviceFromPrefix, serviceFromWords, serviceOfProbe } from './services.ts';
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

/** The alert as the rules read it, with the service the probe type, the text or the hint tells. */
export function toAlert(input: TriageInput): Alert {
  if (isTransition(input)) {
    const fromProbe: Service | null | undefined = (serviceOfProbe as Record<string, Service | null>)[input.probeType];
    return {
      output: input.text.slice(0, MAX_TEXT),
      state: stateWord(input.state),
      hostCheck: hostProbes.includes(input.probeType),
      hint: input.check,
      service: fromProbe ?? serviceFromPrefix(input.text) ?? serviceFromWords(input.check) ?? serviceFromContent(input.text.slice(0, MAX_TEXT)),
    };
  }
  const u = unwrapNotification(input.text.slice(0, MAX_TEXT));
  const hint = [input.service, u.service].filter(Boolean).join(' ') || undefined;
  return {
    output: u.output,
    state: stateWord(input.state) ?? u.state,
    notificationType: u.notificationType,
    hostCheck: u.hostAlert || HOST_CHECK_HINT.test(hint ?? ''),
    hint,
    service: serviceFromPrefix(u.output) ?? serviceFromWords(hint) ?? serviceFromContent(u.output),
  };
}

/**
 * Classifies an alert: free text (`{ text, service?, state? }`, the text possibly inside a Nagios
 * or Icinga notification) or mamoru's transition (`{ probeType, state, text }`).
 */
export function classify(input: TriageInput): Triage {
  const alert = toAlert(input);
  const rule = firstRule(alert);
  const kind = rule?.kind ?? 'unknown';
  const service = rule?.service !== undefined ? rule.service : (alert.service ?? null);
  const runbook = chooseRunbook(kind, service);
  return { kind, service, runbook, steps: runbook ? runbookSteps[runbook] : [], reason: rule?.means ?? 'no rule of the field runbook matches this alert: a person should look' };
}
