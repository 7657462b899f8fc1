/**
 * The disk probes' one result form, whoever measured (statfs here, hrStorage over SNMP):
 * `DISK CRITICAL [Disk use 90% /] [Disk use 30% /boot] [Inum use 2% /] [Inum use 0% /boot]`,
 * every filesystem's space first, then every inode figure; the state is the worst of them all;
 * perfdata like check_disk's (bytes used, thresholds in bytes, total as max).
 */
import { NagiosState, stateName, worstState } from '../core/nagios.ts';
import type { PerfDatum } from '../core/perfdata.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';

export interface Usage {
  /** Mount point or storage description, as shown. */
  name: string;
  used: number;
  total: number;
  /** Used percent as df counts it (of what is usable, for space). */
  usedPct: number;
}

/** Percent thresholds: WARNING/CRITICAL once the used percent reaches them. */
export interface PercentThresholds {
  warning: number;
  critical: number;
}

function judge(pct: number, t: PercentThresholds): NagiosState {
  return pct >= t.critical ? NagiosState.CRITICAL : pct >= t.warning ? NagiosState.WARNING : NagiosState.OK;
}

const upTo = (n: number) => ({ start: 0, end: n, inside: false });

function perf(u: Usage, label: string, unit: string, t: PercentThresholds): PerfDatum {
  return { label, value: u.used, unit, warn: upTo(Math.floor((u.total * t.warning) / 100)), crit: upTo(Math.floor((u.total * t.critical) / 100)), min: 0, max: u.total };
}

export function diskReport(space: Usage[], spaceT: PercentThresholds, inodes: Usage[] = [], inodeT?: PercentThresholds): ProbeOutcome {
  const states: NagiosState[] = [];
  const parts: string[] = [];
  const perfdata: PerfDatum[] = [];
  // Floor, so the number shown reaches a threshold exactly when the state says it does.
  for (const u of space) {
    states.push(judge(u.usedPct, spaceT));
    parts.push(`[Disk use ${Math.floor(u.usedPct)}% ${u.name}]`);
    perfdata.push(perf(u, u.name, 'B', spaceT));
  }
  if (inodeT)
    for (const u of inodes) {
      states.push(judge(u.usedPct, inodeT));
      parts.push(`[Inum use ${Math.floor(u.usedPct)}% ${u.name}]`);
      perfdata.push(perf(u, `${u.name} inodes`, '', inodeT));
    }
  const state = worstState(...states);
  return outcome(state, `DISK ${stateName(state)} ${parts.join(' ')}`, perfdata);
}
