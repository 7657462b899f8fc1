/**
 * What is known around an alert's text, and which of it decided the reading. The text alone is
 * often ambiguous (`SNMP CRITICAL - *2345*` is any value over its threshold); the check that
 * produced it says more: mamoru's probe type, the check's name, the OIDs and labels in its
 * config, or an ingested alert's service description, check command and labels. This file turns
 * all of it into an ordered list of clues, each named by where it came from, so a rule can use
 * the first clue that tells and `explain` can say which one did.
 *
 * Everything here may come from outside (an ingested alert): values are cut and lists bounded.
 */

/** Where the reading came from: `explain --json` prints it as `decided_by`. */
export const decisionSources = ['text', 'state', 'notification', 'probe', 'check', 'service', 'command', 'oid', 'label', 'default'] as const;
export type DecidedBy = (typeof decisionSources)[number];

/** Which context decided, and what it said (null: nothing to quote, e.g. the field runbook's default). */
export interface Decision {
  by: DecidedBy;
  value: string | null;
}

/** What the check that produced an alert says about it, as far as it is known. */
export interface AlertContext {
  /** The check's name in mamoru's config (`mail-queue`), or a check name an operator gave. */
  check?: string | undefined;
  /** The service description (`Mail Queue`, `HTTP`), or a check command when that is all the sender has. */
  service?: string | undefined;
  /**
   * The check command with its arguments: Nagios' `$SERVICECHECKCOMMAND$`
   * (`check_snmp!-o .1.3.6.1.4.1.2021.10.1.3.1!5!10`), Icinga's `check_command` (`snmp`).
   */
  command?: string | undefined;
  /** OIDs the check reads (numeric or by name), from mamoru's config or the sender. */
  oids?: readonly string[] | undefined;
  /** Labels of the values: an snmp check's `label`s, an Alertmanager alert's labels (their values). */
  labels?: readonly string[] | Readonly<Record<string, string>> | undefined;
  /**
   * A mamoru check's options from the config, as planned: `oid` and `label` (snmp), `path`
   * (disk, disk-snmp) and `command` (nagios-plugin) are read from them; anything else is ignored.
   */
  options?: Readonly<Record<string, unknown>> | undefined;
}

/** One piece of context, named by its source. */
export interface Clue {
  by: DecidedBy;
  value: string;
}

const MAX_VALUE = 1024;
const MAX_LIST = 64;

const cut = (s: unknown): string | undefined => (typeof s === 'string' && s.trim() !== '' ? s.trim().slice(0, MAX_VALUE) : undefined);

function list(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.slice(0, MAX_LIST).filter((x): x is string => typeof x === 'string');
  if (v && typeof v === 'object') return Object.values(v as Record<string, unknown>).slice(0, MAX_LIST).filter((x): x is string => typeof x === 'string');
  return [];
}

/**
 * The clues in the order they are believed: what names the value exactly (an OID, a label) before
 * what an operator called the check (its name, its service description), before the command that
 * runs it (whose arguments often hold the OID, whose name is often only `check_snmp`), before the
 * probe type. `extra` are clues the caller found elsewhere (a notification's service description).
 */
export function cluesOf(ctx: AlertContext & { probe?: string | undefined }, extra: readonly Clue[] = []): Clue[] {
  const out: Clue[] = [];
  const add = (by: DecidedBy, v: unknown) => {
    const value = cut(v);
    if (value !== undefined && !out.some((c) => c.by === by && c.value === value)) out.push({ by, value });
  };
  const o = ctx.options ?? {};
  for (const v of [...list(ctx.oids), ...list(o.oid)]) add('oid', v);
  for (const v of [...list(ctx.labels), ...list(o.label), ...list(o.path)]) add('label', v);
  add('check', ctx.check);
  add('service', ctx.service);
  for (const c of extra) add(c.by, c.value);
  add('command', ctx.command);
  // A nagios-plugin check's argv is its check command.
  const argv = list(o.command);
  if (argv.length) add('command', argv.join(' '));
  add('probe', ctx.probe);
  return out.slice(0, MAX_LIST);
}

/** How a decision reads in one line of `explain`. */
export function sayDecision(d: Decision): string {
  const q = d.value === null ? '' : ` "${d.value.length > 120 ? `${d.value.slice(0, 117)}...` : d.value}"`;
  switch (d.by) {
    case 'text':
      return `the alert text${q}`;
    case 'state':
      return `the state given beside the text${q}`;
    case 'notification':
      return `the notification's wrapping${q}`;
    case 'probe':
      return `the probe type${q}`;
    case 'check':
      return `the check's name${q}`;
    case 'service':
      return `the service description${q}`;
    case 'command':
      return `the check command${q}`;
    case 'oid':
      return `the OID${q}`;
    case 'label':
      return `the label${q}`;
    case 'default':
      return d.value === null ? "the field runbook's default" : `the field runbook's default: ${d.value}`;
  }
}
