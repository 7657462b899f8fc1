/**
 * `mamoru doctor` as a function: the config first (every problem with its file and line; the
 * other checks need a valid one), then each group of checks in turn, and the checklist as people
 * read it (✓ ✗ ! with the fix under each ✗) or as JSON.
 */
import { ConfigError, formatProblem } from '../core/errors.ts';
import { loadConfigFile } from '../config/load.ts';
import { planChecks } from '../config/checks.ts';
import { firewallChecks, icmpChecks } from './firewall-checks.ts';
import { clockChecks, webChecks } from './local-checks.ts';
import { logChecks } from './log-checks.ts';
import { notifyChecks } from './notify-checks.ts';
import { sshChecks } from './ssh-checks.ts';
import { helperChecks } from './helper-checks.ts';
import { storeChecks } from './store-checks.ts';
import { MARKS, mayAccess, type Account, type CheckGroup, type Finding } from './types.ts';

/** The groups in the order they are shown. */
const GROUPS: CheckGroup[] = [storeChecks, firewallChecks, icmpChecks, logChecks, sshChecks, helperChecks, notifyChecks, clockChecks, webChecks];

export interface DoctorReport {
  configFile: string;
  user: string | undefined;
  findings: Finding[];
  ok: boolean;
}

export async function runDoctor(o: { configFile: string; user: Account | undefined; timeoutMs: number }): Promise<DoctorReport> {
  const findings: Finding[] = [];
  const report = () => ({ configFile: o.configFile, user: o.user?.name, findings, ok: !findings.some((f) => f.mark === 'fail') });
  let cfg;
  try {
    cfg = loadConfigFile(o.configFile).config;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems)
      findings.push({ group: 'config', mark: 'fail', text: formatProblem(p), fix: p.line ? `edit ${p.file} line ${p.line}${p.path ? ` (${p.path})` : ''}; \`mamoru config validate ${p.file}\` checks it again` : `see above; \`mamoru config validate ${p.file}\` checks it again` });
    findings.push({ group: 'config', mark: 'warn', text: 'the other checks need a valid config: not run' });
    return report();
  }
  const checks = planChecks(cfg).length;
  findings.push({ group: 'config', mark: 'ok', text: `${o.configFile} is valid (${cfg.targets.length} target${cfg.targets.length === 1 ? '' : 's'}, ${checks} check${checks === 1 ? '' : 's'}, ${cfg.guard.jails.length} jail${cfg.guard.jails.length === 1 ? '' : 's'})` });
  const ctx = { cfg, configFile: o.configFile, user: o.user, timeoutMs: o.timeoutMs };
  if (o.user && !(await mayAccess(ctx, o.configFile, 'r')))
    findings.push({ group: 'config', mark: 'fail', text: `${o.configFile} is not readable by user ${o.user.name}`, fix: `chgrp ${o.user.name} ${o.configFile}; chmod 640 ${o.configFile}` });
  for (const g of GROUPS) {
    try {
      findings.push(...(await g(ctx)));
    } catch (e) {
      findings.push({ group: 'doctor', mark: 'warn', text: `a check could not run: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  return report();
}

/** The checklist for a terminal: one line per finding under its group, the fix indented below. */
export function formatReport(r: DoctorReport): string {
  const lines = [`mamoru doctor: ${r.configFile}${r.user ? `, files as user ${r.user}` : ''}`];
  let group = '';
  for (const f of r.findings) {
    if (f.group !== group) {
      group = f.group;
      lines.push('', group);
    }
    lines.push(`  ${MARKS[f.mark]} ${f.text}`);
    if (f.fix && f.mark !== 'ok') lines.push(`      fix: ${f.fix}`);
  }
  const n = (m: Finding['mark']) => r.findings.filter((f) => f.mark === m).length;
  lines.push('', `${r.findings.length} checks: ${n('ok')} ${MARKS.ok}, ${n('fail')} ${MARKS.fail}, ${n('warn')} ${MARKS.warn}${r.ok ? '' : ' (fix each ✗, then run mamoru doctor again)'}`, '');
  return lines.join('\n');
}
