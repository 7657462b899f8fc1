/**
 * `mamoru explain "<alert text>" [context flags] [--json]`: what mamoru makes of an alert (a
 * plugin's output, or a whole Nagios/Icinga notification): its kind, the service, the runbook it
 * would run and that runbook's steps, and which context decided (the text itself, or the check
 * around it: probe type, check name, service description, check command, OID, label). Nothing is
 * run; this is triage only, for an operator to check how an alert will be handled. `-` reads the
 * text from standard input (pipe a notification mail in).
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { sayDecision } from '../triage/context.ts';
import { classify, type Triage } from '../triage/index.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The one line that says what decided: the kind's source, and the service's when another told it. */
function decidedLine(t: Triage): string {
  const kind = sayDecision(t.decidedBy);
  const same = t.serviceBy === null || (t.serviceBy.by === t.decidedBy.by && t.serviceBy.value === t.decidedBy.value);
  return `decided:  by ${kind}${same ? '' : `; the service (${t.service}) by ${sayDecision(t.serviceBy!)}`}`;
}

function readable(t: Triage): string {
  const runbook = t.runbook ?? (t.kind === 'ok' ? 'none (nothing to do: all is well)' : 'none (no runbook fits: a person should look)');
  const service = t.service ?? (t.kind === 'host-unreachable' ? 'none (the host itself)' : 'not named by the alert');
  const lines = [`kind:     ${t.kind}`, `service:  ${service}`, `runbook:  ${runbook}`, `because:  ${t.reason}`, decidedLine(t)];
  if (t.steps.length) lines.push('steps:', ...t.steps.map((s, i) => `  ${i + 1}. ${s}`));
  return lines.join('\n') + '\n';
}

function asJson(t: Triage): string {
  return (
    JSON.stringify(
      {
        kind: t.kind,
        service: t.service,
        runbook: t.runbook,
        steps: t.steps,
        decided_by: t.decidedBy.by,
        decided_value: t.decidedBy.value,
        service_by: t.serviceBy?.by ?? null,
        service_value: t.serviceBy?.value ?? null,
      },
      null,
      2,
    ) + '\n'
  );
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface Options {
  service?: string;
  probe?: string;
  check?: string;
  command?: string;
  oid?: string[];
  label?: string[];
  json?: boolean;
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('show how mamoru reads an alert: its kind, the service, the runbook it would run, its steps, and which context decided')
    .argument('<text>', 'the alert text (plugin output, or a whole Nagios/Icinga notification); "-" reads it from standard input')
    .option('--service <description>', 'the service description (e.g. "HTTP", "Mail Queue"; Nagios $SERVICEDESC$)')
    .option('--command <command>', 'the check command with its arguments (e.g. "check_snmp!-o .1.3.6.1.4.1.2021.10.1.3.1"; Nagios $SERVICECHECKCOMMAND$, Icinga check_command)')
    .option('--probe <type>', "mamoru's probe type that produced the text (e.g. snmp, pop3): read as mamoru's own result, not a notification")
    .option('--check <name>', "the check's name in mamoru's config (e.g. mail-queue)")
    .option('--oid <oid>', 'an OID the check reads, numeric or by name (repeatable)', collect)
    .option('--label <label>', "a label of the check's value (an snmp check's label, an Alertmanager label value; repeatable)", collect)
    .option('--json', 'print {"kind", "service", "runbook", "steps", "decided_by", "decided_value", "service_by", "service_value"} as JSON')
    .addHelpText(
      'after',
      [
        '',
        'decided_by says which context decided the kind: text, state, notification, probe, check, service, command, oid, label,',
        "or default (an SNMP threshold alert with nothing else known is the mail queue, as the field runbook reads it).",
        '',
        'Examples:',
        '  mamoru explain "PING CRITICAL - Packet loss = 100%"',
        '  mamoru explain "CRITICAL - Socket timeout after 10 seconds" --service HTTP --json',
        '  mamoru explain "SNMP CRITICAL - *2345*"                      (the mail queue, by default)',
        '  mamoru explain "SNMP CRITICAL - *12*" --oid 1.3.6.1.4.1.2021.10.1.3.1   (the load average: no runbook)',
        '  mamoru explain - < notification.eml',
      ].join('\n'),
    )
    .action(async (arg: string, opts: Options) => {
      const text = arg === '-' ? await readStdin() : arg;
      if (!text.trim()) throw new UsageError(`explain: the alert text is empty${arg === '-' ? ' (nothing came on standard input)' : ''}; give the plugin output or notification to explain`);
      const t = classify({ text, service: opts.service, probe: opts.probe, check: opts.check, command: opts.command, oids: opts.oid, labels: opts.label });
      process.stdout.write(opts.json ? asJson(t) : readable(t));
    });
}
