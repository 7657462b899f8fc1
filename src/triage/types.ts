/**
 * Triage's vocabulary: what kind of failure an alert is, which service it concerns, and which
 * runbook answers it. The lists are values (not only types) so the CLI, the docs and the tests
 * can enumerate them.
 */
import type { NagiosState } from '../core/nagios.ts';
import type { AlertContext, Decision } from './context.ts';

/** What happened, in the field runbook's terms (`ok` is an OK or recovery; `unknown`, no rule fits). */
export const alertKinds = ['host-unreachable', 'service-timeout', 'service-slow', 'service-refused', 'mail-queue', 'snmp-agent-error', 'disk-full', 'ok', 'unknown'] as const;
export type AlertKind = (typeof alertKinds)[number];

/** The services triage can name (the runbooks are chosen by kind and service). */
export const services = ['http', 'pop3', 'ftp', 'mysql', 'smtp', 'imap', 'ssh', 'snmp', 'disk', 'dns'] as const;
export type Service = (typeof services)[number];

/** The runbooks triage hands alerts to (built in `src/runbooks/`, one file each). */
export const runbookNames = ['host-unreachable', 'http-down', 'http-slow', 'mysql-down', 'ftp-down', 'pop3-slow', 'mail-queue', 'snmp-agent-error', 'disk-full', 'service-down'] as const;
export type RunbookName = (typeof runbookNames)[number];

/** A state as an alert may carry it: a plugin exit code, or the word Nagios/Icinga print. */
export type AlertState = NagiosState | 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN' | 'UP' | 'DOWN' | 'UNREACHABLE';

/**
 * Free alert text: a plugin's output, possibly inside a Nagios/Icinga notification, with what is
 * known around it (`service` is the service description or, where that is all, the check command).
 */
export interface AlertTextInput extends AlertContext {
  text: string;
  /** The state, when the sender said it apart from the text (the plugin's exit code, `$SERVICESTATE$`). */
  state?: AlertState | undefined;
  /** mamoru's probe type, when the text came from one of its checks (`mamoru explain --probe`). */
  probe?: string | undefined;
}

/** mamoru's own transition: the probe type tells the service directly; the check's config tells more. */
export interface TransitionInput extends AlertContext {
  /** The probe's `type` (`http`, `pop3`, `disk-snmp`, ...). */
  probeType: string;
  /** The state the check moved to. */
  state: NagiosState;
  /** The result's text (the plugin-style line). */
  text: string;
  /** The check's name in the config, a further hint (`mail-queue` on an snmp check). */
  check?: string | undefined;
}

export type TriageInput = AlertTextInput | TransitionInput;

/** Triage's answer: what happened, to which service, and what would be done about it. */
export interface Triage {
  kind: AlertKind;
  /** null when neither the text nor the check tells the service. */
  service: Service | null;
  /** null when there is nothing to run (`ok`) or nothing known to run (`unknown`). */
  runbook: RunbookName | null;
  /** The runbook's steps in words (empty without a runbook). */
  steps: readonly string[];
  /** What the matching rule says the alert means (evidence of why this runbook was chosen). */
  reason: string;
  /** Which context decided the kind (the text, the check's OID, name, service description, ...). */
  decidedBy: Decision;
  /** Which context named the service (null without a service). */
  serviceBy: Decision | null;
}
