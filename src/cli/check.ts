/**
 * `mamoru check <type> [options]`: one probe, once, printed as a Nagios plugin line with the
 * plugin's exit code, so it drops into Nagios or Icinga as a command. Options are the config
 * keys as flags (`--host-header`), with the Nagios plugins' short forms (`-H -p -t -w -c`).
 */
import { Command, Option } from 'commander';
import { NagiosState, stateName } from '../core/nagios.ts';
import { formatRange } from '../core/range.ts';
import { formatPluginOutput, type CheckResult } from '../core/result.ts';
import { targetFromAddress } from '../core/target.ts';
import { parseDuration } from '../core/duration.ts';
import { explainIssue, formatPath } from '../config/problems.ts';
import { probes } from '../probes/index.ts';
import type { ProbeDefinition } from '../probes/types.ts';
import { runCheck } from '../scheduler/run-check.ts';
import { fieldsOf, fromFlag, type FieldInfo } from './fields.ts';

const kebab = (k: string) => k.replace(/_/g, '-');

function flagFor(f: FieldInfo, short: string | undefined): Option {
  const long = `--${kebab(f.key)}`;
  const flags = `${short ? `-${short}, ` : ''}${long}${f.kind === 'boolean' ? '' : f.kind === 'array' || f.kind === 'record' ? ' <value...>' : ' <value>'}`;
  let help = f.description ?? '';
  if (f.kind === 'array') help += help ? ' (repeatable)' : '(repeatable)';
  if (f.kind === 'record') help += ' (KEY=VALUE, repeatable)';
  const o = new Option(flags, help);
  if (f.values) o.choices(f.values);
  if (f.defaultValue !== undefined && f.kind !== 'boolean') o.default(typeof f.defaultValue === 'object' ? JSON.stringify(f.defaultValue) : f.defaultValue, typeof f.defaultValue === 'object' ? JSON.stringify(f.defaultValue) : String(f.defaultValue));
  if (f.kind === 'array' || f.kind === 'record') o.argParser((v: string, prev: string[] | undefined) => [...(Array.isArray(prev) ? prev : []), v]);
  return o;
}

/** Builds the probe's options object from parsed flags (defaults are left to the schema). */
function optionsFromFlags(probe: ProbeDefinition, flags: Record<string, unknown>, positional: string[], cmd: Command): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fieldsOf(probe.schema)) {
    const attr = kebab(f.key).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (cmd.getOptionValueSource(attr) === 'default') continue;
    const v = flags[attr];
    if (v === undefined) continue;
    if (f.kind === 'array') out[f.key] = (v as string[]).map((x) => fromFlag(f.itemKind, x));
    else if (f.kind === 'record')
      out[f.key] = Object.fromEntries(
        (v as string[]).map((kv) => {
          const i = kv.indexOf('=');
          return i === -1 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
        }),
      );
    else out[f.key] = f.kind === 'boolean' ? v === true : fromFlag(f.kind, String(v));
  }
  if (probe.positional && positional.length) out[probe.positional] = [...((out[probe.positional] as string[] | undefined) ?? []), ...positional];
  return out;
}

function toJson(r: CheckResult) {
  return {
    state: r.state,
    state_name: stateName(r.state),
    text: r.text,
    perfdata: r.perfdata.map((p) => ({ ...p, warn: p.warn && formatRange(p.warn), crit: p.crit && formatRange(p.crit) })),
    ...(r.longOutput ? { long_output: r.longOutput } : {}),
    started_at: new Date(r.startedAt).toISOString(),
    duration_ms: Math.round(r.durationMs * 1000) / 1000,
  };
}

function unknown(type: string, message: string): never {
  process.stdout.write(`${type.toUpperCase()} UNKNOWN - ${message}\n`);
  process.exit(NagiosState.UNKNOWN);
}

function probeCommand(type: string, probe: ProbeDefinition): Command {
  const cmd = new Command(type).description(probe.summary);
  cmd.addOption(new Option('-H, --host <address>', 'address or name of the target').default('127.0.0.1'));
  cmd.addOption(new Option('-t, --timeout <duration>', 'give up after this long ("10s"; a bare number is seconds)').default('10s'));
  cmd.addOption(new Option('--json', 'print the result as JSON instead of the plugin line'));
  const short = (probe.shortFlags ?? {}) as Record<string, string>;
  for (const f of fieldsOf(probe.schema)) cmd.addOption(flagFor(f, short[f.key]));
  if (probe.positional) cmd.argument('[args...]', `values for --${kebab(probe.positional)} (after "--")`);
  cmd.allowExcessArguments(false);
  cmd.exitOverride();
  cmd.configureOutput({ writeErr: (s) => process.stdout.write(`${type.toUpperCase()} UNKNOWN - ${s.replace(/^error: /, '').trim()}\n`) });
  cmd.action(async (...args: unknown[]) => {
    const positional = probe.positional ? ((args[0] as string[] | undefined) ?? []) : [];
    const flags = cmd.opts();
    let timeoutMs: number;
    try {
      timeoutMs = parseDuration(String(flags.timeout));
    } catch (e) {
      unknown(type, `--timeout: ${(e as Error).message}`);
    }
    const parsed = probe.schema.safeParse(optionsFromFlags(probe, flags, positional, cmd), { reportInput: true });
    if (!parsed.success) {
      const msgs = parsed.error.issues.flatMap((i) => explainIssue(i, () => Object.keys(probe.schema.shape)));
      unknown(type, msgs.map((m) => `${m.path.length ? `--${kebab(formatPath(m.path).replace(/\[\d+\]$/, ''))}: ` : ''}${m.message}`).join('; '));
    }
    const result = await runCheck(probe, targetFromAddress(String(flags.host)), parsed.data, { timeoutMs });
    process.stdout.write(flags.json ? JSON.stringify(toJson(result), null, 2) + '\n' : formatPluginOutput(result) + '\n');
    process.exitCode = result.state;
  });
  return cmd;
}

export function registerCheck(program: Command): void {
  const check = program
    .command('check')
    .description('run one check once and print it as a Nagios plugin would (exit code = state)')
    .addHelpText('after', '\nExamples:\n  mamoru check tcp -H 127.0.0.1 -p 22\n  mamoru check http -H 192.0.2.10 --host-header www.example.com -w 1 -c 5\n  mamoru check disk -w 80 -c 90 --path / --path /var\n  mamoru check nagios-plugin -- /usr/lib/nagios/plugins/check_load -w 5 -c 10');
  for (const [type, probe] of Object.entries(probes)) check.addCommand(probeCommand(type, probe as ProbeDefinition));
}
