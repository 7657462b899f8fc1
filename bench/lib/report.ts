/**
 * Turning bench/probes figures into the printed table and the PASS/MISS verdicts: checks,
 * CPU-seconds, CPU-seconds per 1,000 checks, checks per CPU-second, mamoru's ratio to each peer.
 */

/** One measured row: who, how many checks, how much CPU. */
export interface Row {
  name: string;
  checks: number;
  cpu: number;
  /** Shown after the name: sample size, store, pace. */
  note?: string;
}

/** A goal and whether it was met. */
export interface Verdict {
  goal: string;
  value: string;
  pass: boolean;
}

export const perThousand = (r: Row): number => (1000 * r.cpu) / r.checks;
export const perCpuSecond = (r: Row): number => r.checks / r.cpu;

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The table for one kind (tcp or http); the first row is mamoru's headline figure. */
export function table(title: string, rows: Row[], mamoru: Row): string {
  const head = ['', 'checks', 'CPU-s', 'CPU-s/1,000', 'checks/CPU-s', 'mamoru ×'];
  const body = rows.map((r) => [
    r.note ? `${r.name} (${r.note})` : r.name,
    fmt(r.checks),
    fmt(r.cpu, 2),
    fmt(perThousand(r), 3),
    fmt(perCpuSecond(r)),
    r === mamoru ? '' : `${fmt(perCpuSecond(mamoru) / perCpuSecond(r), 1)}×`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [title, line(head), ...body.map(line)].join('\n');
}

/** Goal lines for one kind: absolute checks per CPU-second and the ratio to each peer. */
export function verdicts(kind: string, mamoru: Row, perSecondGoal: number, peers: Array<{ row: Row | undefined; ratio: number }>): Verdict[] {
  const out: Verdict[] = [{ goal: `${kind} ≥ ${fmt(perSecondGoal)} checks per CPU-s`, value: fmt(perCpuSecond(mamoru)), pass: perCpuSecond(mamoru) >= perSecondGoal }];
  for (const { row, ratio } of peers) {
    if (!row) continue;
    const r = perCpuSecond(mamoru) / perCpuSecond(row);
    out.push({ goal: `${kind} ≥ ${ratio}× ${row.name}`, value: `${fmt(r, 1)}×`, pass: r >= ratio });
  }
  return out;
}

export function verdictLines(vs: Verdict[]): string {
  const w = Math.max(...vs.map((v) => v.goal.length));
  return vs.map((v) => `${v.pass ? 'PASS' : 'MISS'}  ${v.goal.padEnd(w)}  ${v.value}`).join('\n');
}
