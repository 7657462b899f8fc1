/**
 * Remediation as config: per target, how mamoru reaches the server (an executor: this machine, or
 * SSH) and which services run there (how to start them, which checks concern them); globally, the
 * guard policy for actions (dry-run, ask, auto, rate limits) and how long the first message waits
 * for the runbook, so it can say what was found and done.
 */
import { z } from 'zod';
import { serviceSchema } from '../actions/service-config.ts';
import { policySchema } from '../actions/policy.ts';
import { duration } from '../core/schema.ts';
import { BOUNDS } from './bounds.ts';
import { executors } from '../executors/index.ts';
import type { Triage } from '../triage/types.ts';

const executorEntries = Object.entries(executors) as [string, (typeof executors)[keyof typeof executors]][];
export const executorSchema = z.discriminatedUnion(
  'type',
  executorEntries.map(([type, e]) => (e.schema as z.ZodObject).safeExtend({ type: z.literal(type) })) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

/** A service on a target, and the checks whose problems are about it. */
export const targetServiceSchema = serviceSchema.safeExtend({
  checks: z.array(z.string()).default([]).meta({ description: "names of this target's checks that watch this service (default: checks on one of its ports or udp_ports, a check's default port included)" }),
});

export const remediationSchema = z
  .strictObject({
    enabled: z.boolean().default(true).meta({ description: 'run runbooks for new problems on targets with an executor' }),
    policy: policySchema.prefault({}),
    wait: duration('how long the first message of an incident waits for the runbook after the problem is confirmed: it says what was found and done by then (or what is under way); what comes later goes out as an update', BOUNDS.settle).prefault('2s'),
  })
  .prefault({});

export type RemediationConfig = z.output<typeof remediationSchema>;
export type TargetServiceConfig = z.output<typeof targetServiceSchema>;

/** A problem as the service matching sees it. */
export interface ProblemRef {
  /** The check's name (for an ingested alert, its service description). */
  check: string;
  /** The check's effective port (see check-port.ts); undefined when it has none. */
  port: number | undefined;
  /** What triage made of it: its kind, the service it names, the runbook it chose. */
  triage: Pick<Triage, 'kind' | 'service' | 'runbook' | 'reason'>;
}

/**
 * Kinds about what a server holds (its disks, its mail queue), not about what listens on the
 * port the check reads them through: a mail queue read over SNMP is postfix's, not snmpd's.
 */
const HELD: ReadonlySet<string> = new Set(['mail-queue', 'disk-full']);

/**
 * The service a problem concerns: the one whose `checks` names the check; else, for a service
 * that names no checks, the one on the check's port (TCP or UDP, the probe's default port
 * included); else the one triage names (an ingested alert has no check of ours).
 */
export function serviceForProblem(services: readonly TargetServiceConfig[], p: ProblemRef): TargetServiceConfig | undefined {
  const port = HELD.has(p.triage.kind) ? undefined : p.port;
  const open = services.filter((s) => s.checks.length === 0);
  return (
    services.find((s) => s.checks.includes(p.check)) ??
    (port === undefined ? undefined : open.find((s) => s.ports.includes(port) || s.udp_ports.includes(port))) ??
    (p.triage.service === null ? undefined : open.find((s) => s.name.toLowerCase().startsWith(p.triage.service!)))
  );
}

/** A usual daemon for a service triage names, for the examples in a hint. */
const usualDaemon: Readonly<Record<string, string>> = { http: 'apache2', mysql: 'mariadb', ftp: 'vsftpd', smtp: 'postfix', pop3: 'dovecot', imap: 'dovecot', snmp: 'snmpd', dns: 'named', ssh: 'ssh' };

export type Unremediated = 'no-runbook' | 'no-service' | 'no-executor';

/**
 * Why no runbook runs for a problem on a target set up for remediation, and what to configure
 * so one does: said once in the incident's timeline and the log, because silence here looked
 * like a fix that never ran (issue 13).
 */
export function unremediated(target: { name: string; executor?: unknown }, service: TargetServiceConfig | undefined, p: ProblemRef): { reason: Unremediated; text: string } {
  if (p.triage.runbook === null) return { reason: 'no-runbook', text: `${p.check}: no runbook answers this problem (${p.triage.reason}); mamoru reports it and changes nothing` };
  const name = usualDaemon[p.triage.service ?? ''] ?? 'NAME';
  if (!service) {
    const port = HELD.has(p.triage.kind) ? undefined : p.port;
    if (port !== undefined) {
      const key = p.triage.service === 'snmp' ? 'udp_ports' : 'ports';
      return { reason: 'no-service', text: `${p.check}: no service of ${target.name} listens on port ${port}: add \`services: [{ name: ${name}, ${key}: [${port}] }]\` (or name the check in a service's \`checks:\`) for the ${p.triage.runbook} runbook to act on it` };
    }
    return { reason: 'no-service', text: `${p.check}: no service of ${target.name} is tied to this check: add \`checks: [${p.check}]\` to the service it concerns (e.g. \`services: [{ name: ${name}, checks: [${p.check}] }]\`) for the ${p.triage.runbook} runbook to act on it` };
  }
  return { reason: 'no-executor', text: `${p.check}: ${target.name} has no executor, so mamoru cannot reach ${service.name}: add \`executor: { type: ssh, host: ..., private_key_file: ... }\` (or \`{ type: local }\` on this machine) for the ${p.triage.runbook} runbook to act on it` };
}
