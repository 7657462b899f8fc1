/**
 * bench/scale's table (one column per size, and Nagios beside them) and its verdicts on the goals
 * of issue 19: PASS, MISS, or n/a when the size the goal names was not run.
 */
import type { Size, WrittenConfig } from './config.ts';
import type { ReaderFigures } from './daemon.ts';
import type { LagFromMetrics } from './metrics.ts';
import type { NagiosFigures } from './nagios.ts';
import type { StoreLag } from './store-lag.ts';

export interface SizeResult {
  size: Size;
  config: Omit<WrittenConfig, 'file'> & { file?: undefined };
  /** Why the size was not measured (the daemon refused the config, did not start, ...). */
  skipped?: string;
  ready?: { ms: number; cpu: number; line: string };
  windowS?: number;
  results?: number | undefined;
  notOk?: number;
  perSecond?: number | undefined;
  cpu?: number;
  /** The seconds `cpu` was read over: the window between the scrapes, without their own time. */
  cpuWindowS?: number;
  rssKb?: number;
  rssPeakKb?: number;
  lagMetrics?: LagFromMetrics | undefined;
  lagStore?: StoreLag;
  eventLoop?: { name: string; seconds: number } | undefined;
  scrapeMs?: number[];
  scrapeBytes?: number;
  reader?: ReaderFigures;
  loadEnd?: string;
}

export interface ScaleVerdict {
  goal: string;
  value: string;
  status: 'PASS' | 'MISS' | 'n/a';
}

const GOAL_RATE = 1_000_000 / 300;
const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? '–' : n === Infinity ? '∞' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const ms = (s: number | undefined) => (s === undefined ? '–' : s === Infinity ? '> 30 s' : fmt(s * 1000, s < 0.01 ? 1 : 0));

/** Checks per CPU-second: the window's rate over the seconds the CPU was read. */
const perCpu = (r: SizeResult) => (r.perSecond !== undefined && r.cpu && r.cpuWindowS ? (r.perSecond * r.cpuWindowS) / r.cpu : undefined);

/** The per-check figures of one measured size. */
function derived(r: SizeResult, baselineKb: number | undefined) {
  const checksPerCpu = perCpu(r);
  const kbPerCheck = baselineKb !== undefined && r.rssKb !== undefined ? (r.rssKb - baselineKb) / r.size.checks : undefined;
  const lag = r.lagStore?.slot ? { p99: r.lagStore.slot.p99, max: r.lagStore.slot.max, from: 'store' } : r.lagMetrics && r.lagMetrics.runs > 0 ? { p99: r.lagMetrics.p99, max: r.lagMetrics.maxBound, from: 'metrics, bucket bound' } : undefined;
  return { checksPerCpu, kbPerCheck, lag };
}

function verdicts(results: SizeResult[], baselineKb: number | undefined): ScaleVerdict[] {
  const out: ScaleVerdict[] = [];
  const ran = results.filter((r) => !r.skipped);
  const big = results.filter((r) => r.size.checks / r.size.intervalS >= GOAL_RATE - 1);
  if (big.length === 0) out.push({ goal: '3,333 checks/s sustained, lag p99 < 1 s, max < 2 s', value: 'no size at ≥ 3,333/s run', status: 'n/a' });
  for (const r of big) {
    const goal = `3,333 checks/s sustained, lag p99 < 1 s, max < 2 s (${r.size.label})`;
    if (r.skipped) {
      out.push({ goal, value: `not run: ${r.skipped.replace(/\s+/g, ' ').replace(/^mamoru exited \(\d+\) before it was ready: /, '').slice(0, 100)}`, status: 'MISS' });
      continue;
    }
    const { lag } = derived(r, baselineKb);
    const rateOk = (r.perSecond ?? 0) >= 0.99 * GOAL_RATE;
    const pass = rateOk && lag !== undefined && lag.p99 < 1 && lag.max < 2;
    out.push({ goal, value: `${fmt(r.perSecond)}/s, p99 ${ms(lag?.p99)} ms, max ${ms(lag?.max)} ms (${lag?.from ?? 'no lag figure'})`, status: pass ? 'PASS' : 'MISS' });
  }
  for (const r of ran) {
    const { checksPerCpu } = derived(r, baselineKb);
    out.push({ goal: `≥ 5,000 checks per CPU-s, whole process tree (${r.size.label})`, value: fmt(checksPerCpu), status: checksPerCpu !== undefined && checksPerCpu >= 5000 ? 'PASS' : 'MISS' });
  }
  const at100k = results.find((r) => r.size.checks === 100_000);
  if (!at100k) {
    out.push({ goal: '≤ 4 KB RSS per configured check at 100,000 checks', value: 'no 100,000-check size run', status: 'n/a' });
    out.push({ goal: 'ready ≤ 3 s at 100,000 checks', value: 'no 100,000-check size run', status: 'n/a' });
  } else if (at100k.skipped) {
    out.push({ goal: '≤ 4 KB RSS per configured check at 100,000 checks', value: 'not run', status: 'MISS' });
    out.push({ goal: 'ready ≤ 3 s at 100,000 checks', value: 'not run', status: 'MISS' });
  } else {
    const { kbPerCheck } = derived(at100k, baselineKb);
    out.push({ goal: '≤ 4 KB RSS per configured check at 100,000 checks', value: kbPerCheck === undefined ? 'no 1-check baseline' : `${fmt(kbPerCheck, 2)} KB`, status: kbPerCheck === undefined ? 'n/a' : kbPerCheck <= 4 ? 'PASS' : 'MISS' });
    out.push({ goal: 'ready ≤ 3 s at 100,000 checks', value: `${fmt(at100k.ready!.ms / 1000, 2)} s`, status: at100k.ready!.ms <= 3000 ? 'PASS' : 'MISS' });
  }
  for (const r of ran) {
    const s = r.eventLoop?.seconds;
    out.push({ goal: `event loop never blocked > 50 ms (${r.size.label})`, value: s === undefined ? 'no metric' : `${ms(s)} ms`, status: s === undefined ? 'n/a' : s <= 0.05 ? 'PASS' : 'MISS' });
  }
  for (const r of ran) if (r.notOk) out.push({ goal: `every result OK (${r.size.label})`, value: `${fmt(r.notOk)} not OK`, status: 'MISS' });
  return out;
}

function table(rows: Array<[string, ...string[]]>, head: string[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

const spread = (s: { p50: number; p90: number; p99: number; max: number } | undefined) => (s ? `${ms(s.p50)} / ${ms(s.p90)} / ${ms(s.p99)} / ${ms(s.max)}` : '–');

/** Prints the table and the verdicts to stdout; returns the verdicts. */
export function printReport(o: { results: SizeResult[]; baselineKb: number | undefined; nagios: NagiosFigures | undefined; nagiosSkipped: string | undefined; load: { start: string; end: string }; distNote: string | undefined }): ScaleVerdict[] {
  const ran = o.results;
  const head = ['', ...ran.map((r) => `mamoru ${r.size.label}`), ...(o.nagios ? [`Nagios 4 ${o.nagios.label}`] : [])];
  const n = o.nagios;
  const row = (name: string, f: (r: SizeResult) => string, nag?: string): [string, ...string[]] => [name, ...ran.map((r) => (r.skipped ? 'not run' : f(r))), ...(n ? [nag ?? ''] : [])];
  const rows: Array<[string, ...string[]]> = [
    row('checks/s demanded', (r) => fmt(r.size.checks / r.size.intervalS), n && fmt(n.demanded)),
    row('checks/s achieved (window)', (r) => fmt(r.perSecond), n && fmt(n.perSecond)),
    row('results in window (not OK)', (r) => `${fmt(r.results)} (${fmt(r.notOk)})`, n && `${fmt(n.checks)} (${fmt(n.notOk)})`),
    row('lag p50/p90/p99/max ms, store*', (r) => spread(r.lagStore?.slot), n && spread(n.latency)),
    row('lag p50/p90/p99/max ms, /metrics*', (r) => (r.lagMetrics ? `${ms(r.lagMetrics.p50)} / ${ms(r.lagMetrics.p90)} / ${ms(r.lagMetrics.p99)} / ≤ ${ms(r.lagMetrics.maxBound)}` : 'no histogram'), n && `status.dat max ${ms(n.statusLatencyMax)}`),
    row('spacing − interval p99/max ms', (r) => (r.lagStore?.spacing ? `${ms(r.lagStore.spacing.p99)} / ${ms(r.lagStore.spacing.max)} (${fmt(r.lagStore.spacing.n)})` : '– (one run a check)')),
    row('stored OK results (off phase)', (r) => `${fmt(r.lagStore?.ok)} (${fmt(r.lagStore?.offPhase)})`),
    row('CPU-s in window, whole tree', (r) => fmt(r.cpu, 1), n && fmt(n.cpu, 1)),
    row('checks per CPU-s', (r) => fmt(perCpu(r)), n && fmt(n.checks / n.cpu)),
    row('CPU-µs per check', (r) => fmt(1e6 / (perCpu(r) ?? NaN)), n && fmt((1e6 * n.cpu) / n.checks)),
    row('RSS MB at end (peak)', (r) => `${fmt((r.rssKb ?? NaN) / 1024)} (${fmt((r.rssPeakKb ?? NaN) / 1024)})`, n && fmt(n.rssKb / 1024)),
    row('RSS KB per check above 1-check*', (r) => fmt(derived(r, o.baselineKb).kbPerCheck, 2), n && `${fmt(n.rssKb / n.services, 2)} (all/N)`),
    row('ready s (CPU-s)', (r) => `${fmt(r.ready!.ms / 1000, 2)} (${fmt(r.ready!.cpu, 2)})`, n && `${fmt(n.startedMs / 1000, 2)} (status.dat)`),
    row('event loop longest block ms', (r) => (r.eventLoop ? ms(r.eventLoop.seconds) : 'no metric')),
    row('reader GETs p50/max ms (failed)', (r) => `${fmt(r.reader!.p50Ms)} / ${fmt(r.reader!.maxMs)} (${r.reader!.failed})`),
    row('/metrics scrape ms, MB', (r) => `${r.scrapeMs!.map((x) => fmt(x)).join(', ')}; ${fmt((r.scrapeBytes ?? 0) / 1e6, 1)}`),
    row('load average at end', (r) => r.loadEnd!.split(' ')[0]!),
  ];
  const lines = [`\nload average at start ${o.load.start}, at end ${o.load.end}; 1-check daemon VmRSS ${o.baselineKb === undefined ? 'not measured' : `${fmt(o.baselineKb / 1024, 1)} MB`}`];
  if (o.distNote) lines.push(`NOTE: ${o.distNote}`);
  lines.push(table(rows, head));
  if (n) lines.push("* Nagios's column: its check latency from the perfdata lines of the window, status.dat's max check_latency, and its tree's RSS / N (no 1-service baseline)");
  for (const r of ran) if (r.skipped) lines.push(`${r.size.label} not run: ${r.skipped.split('\n').slice(0, 3).join(' ').slice(0, 400)}`);
  for (const r of ran) if (r.lagStore?.note) lines.push(`${r.size.label} store lag: ${r.lagStore.note}`);
  for (const r of ran) if (r.eventLoop) lines.push(`${r.size.label} event loop figure from ${r.eventLoop.name} (max since the scrape at the window's start, whose own block it includes)`);
  if (!o.nagios) lines.push(`Nagios 4: skipped: ${o.nagiosSkipped ?? 'not run'}`);
  const vs = verdicts(o.results, o.baselineKb);
  const w = Math.max(...vs.map((v) => v.goal.length));
  lines.push('', ...vs.map((v) => `${v.status.padEnd(4)}  ${v.goal.padEnd(w)}  ${v.value}`));
  console.log(lines.join('\n'));
  return vs;
}
