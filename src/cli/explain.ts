/**
 * `mamoru explain "<alert text>" [--service S] [--json]`: what mamoru makes of an alert (a plugin's
 * output, or a whole Nagios/Icinga notification): its kind, the service, the runbook it would run
 * and that runbook's steps. Nothing is run; this is triage only, for an operator to check how an
 * alert will be handled. `-` reads the text from standard input (pipe a notification mail in).
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { classify, type Triage } from '../triage/index.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function readable(t: Triage): string {
  const runbook = t.runbook ?? (t.kind === 'ok' ? 'none (nothing to do: all is well)' : 'none (no runbook fits: a person should look)');
  const service = t.service ?? (t.kind === 'host-unreachable' ? 'none (the host itself)' : 'not named by the alert');
  const lines = [`kind:     ${t.kind}`, `service:  ${service}`, `runbook:  ${runbook}`, `because:  ${t.reason}`];
  if (t.steps.length) lines.push('steps:', ...t.steps.map((s, i) => `  ${i + 1}. ${s}`));
  return lines.join('\n') + '\n';
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('show how mamoru reads an alert: its kind, the service, the runbook it would run and its steps')
    .argument('<text>', 'the alert text (plugin output, or a whole Nagios/Icinga notification); "-" reads it from standard input')
    .option('--service <name>', 'the service description or check command (e.g. "HTTP", "check_pop", "Mail Queue")')
    .option('--json', 'print {"kind", "service", "runbook", "steps"} as JSON')
    .addHelpText('after', '\nExamples:\n  mamoru explain "PING CRITICAL - Packet loss = 100%"\n  mamoru explain "CRITICAL - Socket timeout after 10 seconds" --service HTTP --json\n  mamoru explain - < notification.eml')
    .action(async (arg: string, opts: { service?: string; json?: boolean }) => {
      const text = arg === '-' ? await readStdin() : arg;
      if (!text.trim()) throw new UsageError(`explain: the alert text is empty${arg === '-' ? ' (nothing came on standard input)' : ''}; give the plugin output or notification to explain`);
      const t = classify({ text, service: opts.service });
      const out = opts.json ? JSON.stringify({ kind: t.kind, service: t.service, runbook: t.runbook, steps: t.steps }, null, 2) + '\n' : readable(t);
      process.stdout.write(out);
    });
}
