/**
 * Alerts from the systems operators already run, in one shape: Nagios and Icinga notification
 * commands (their macros), Alertmanager webhooks and Icinga 2 notifications. Each becomes an
 * `ExternalAlert` that opens, updates or resolves an incident like mamoru's own checks do.
 * Everything here is parsing of untrusted JSON: bounded, typed, never evaluated.
 */
import { cleanText } from '../core/sanitize.ts';

export type ExternalState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN' | 'UP' | 'DOWN' | 'UNREACHABLE';

export interface ExternalAlert {
  /** `nagios`, `icinga`, `alertmanager`. */
  source: string;
  host: string;
  /** Service description; undefined for a host alert. */
  service?: string | undefined;
  state: ExternalState;
  text: string;
  /** PROBLEM, RECOVERY, ACKNOWLEDGEMENT... when the sender says. */
  type?: string | undefined;
  /**
   * The check command with its arguments, context for triage: Nagios' `$SERVICECHECKCOMMAND$`
   * (`check_snmp!-o .1.3.6.1.4.1.2021.10.1.3.1!5!10`) or `$HOSTCHECKCOMMAND$`, Icinga's `check_command`.
   */
  command?: string | undefined;
  /** An Alertmanager alert's labels (bounded), context for triage (`alertname`, `job`, `oid`...). */
  labels?: Record<string, string> | undefined;
}

const STATES = new Set<ExternalState>(['OK', 'WARNING', 'CRITICAL', 'UNKNOWN', 'UP', 'DOWN', 'UNREACHABLE']);
const MAX = 4096;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? cleanText(v.trim().slice(0, MAX)) : undefined);

function state(v: unknown): ExternalState | undefined {
  const s = str(v)?.toUpperCase();
  if (s === undefined) return undefined;
  if (/^[0-3]$/.test(s)) return (['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const)[Number(s)];
  return STATES.has(s as ExternalState) ? (s as ExternalState) : undefined;
}

export class IngestError extends Error {}

const MAX_LABELS = 32;
/** Labels that say where or how bad, not what: left out of the context triage reads. */
const NOT_CONTEXT = new Set(['instance', 'host', 'hostname', 'severity', 'prometheus', 'replica', 'receiver', 'cluster', 'region', 'env', 'environment']);

/** Label values that are strings, at most MAX_LABELS of them, each bounded; undefined when none. */
function labelsOf(v: unknown): Record<string, string> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, string> = {};
  let n = 0;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const value = str(x);
    if (value === undefined || NOT_CONTEXT.has(k) || !/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(k)) continue;
    out[k] = value.slice(0, 256);
    if (++n >= MAX_LABELS) break;
  }
  return n ? out : undefined;
}

/** A Nagios/Icinga-style alert (our own JSON, what `mamoru ingest nagios` sends, and Icinga 2 scripts). */
export function fromNagiosJson(body: unknown, source = 'nagios'): ExternalAlert {
  const b = (body ?? {}) as Record<string, unknown>;
  const host = str(b.host) ?? str(b.host_name) ?? str(b.hostname);
  const service = str(b.service) ?? str(b.service_name) ?? str(b.service_description);
  const st = state(b.state) ?? state(service ? b.service_state : b.host_state);
  const text = str(b.output) ?? str(service ? b.service_output : b.host_output) ?? '';
  if (!host) throw new IngestError('expected "host" (or host_name)');
  if (!st) throw new IngestError('expected "state": OK, WARNING, CRITICAL, UNKNOWN, UP, DOWN or UNREACHABLE');
  const command = str(b.check_command) ?? str(b.command) ?? str(service ? b.service_check_command : b.host_check_command);
  return { source, host, service, state: st, text, type: str(b.type) ?? str(b.notification_type), command };
}

/** An Alertmanager webhook (version 4): one alert per entry; `resolved` is OK. */
export function fromAlertmanager(body: unknown): ExternalAlert[] {
  const b = (body ?? {}) as { alerts?: unknown };
  if (!Array.isArray(b.alerts)) throw new IngestError('expected an Alertmanager webhook body with "alerts"');
  return b.alerts.slice(0, 500).map((a: unknown) => {
    const x = (a ?? {}) as { status?: unknown; labels?: Record<string, unknown>; annotations?: Record<string, unknown> };
    const labels = x.labels ?? {};
    const ann = x.annotations ?? {};
    const host = (str(labels.instance) ?? str(labels.host) ?? str(labels.job) ?? 'alertmanager').replace(/:\d+$/, '');
    const severity = str(labels.severity)?.toLowerCase();
    const firing = str(x.status) !== 'resolved';
    return {
      source: 'alertmanager',
      host,
      service: str(labels.alertname) ?? 'alert',
      state: firing ? (severity === 'warning' ? 'WARNING' : 'CRITICAL') : 'OK',
      text: str(ann.summary) ?? str(ann.description) ?? str(labels.alertname) ?? '',
      type: firing ? 'PROBLEM' : 'RECOVERY',
      labels: labelsOf(labels),
    };
  });
}

/** The macros a Nagios or Icinga 1 notification command sees in its environment. */
export function fromEnvironment(env: NodeJS.ProcessEnv): Partial<ExternalAlert> {
  for (const p of ['NAGIOS_', 'ICINGA_']) {
    const host = str(env[`${p}HOSTNAME`]);
    if (!host) continue;
    const service = str(env[`${p}SERVICEDESC`]);
    return {
      source: p === 'NAGIOS_' ? 'nagios' : 'icinga',
      host,
      service,
      state: state(service ? env[`${p}SERVICESTATE`] : env[`${p}HOSTSTATE`]),
      text: str(service ? env[`${p}SERVICEOUTPUT`] : env[`${p}HOSTOUTPUT`]) ?? '',
      type: str(env[`${p}NOTIFICATIONTYPE`]),
      command: str(service ? env[`${p}SERVICECHECKCOMMAND`] : env[`${p}HOSTCHECKCOMMAND`]),
    };
  }
  return {};
}
