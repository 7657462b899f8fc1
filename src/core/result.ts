/**
 * CheckResult: what every probe, plugin and ingested alert becomes. The text is the one line a
 * Nagios plugin prints; perfdata is typed; duration and start time are filled in by the runner.
 */
import { NagiosState, stateName } from './nagios.ts';
import { formatPerfdata, parsePerfdataLenient, type PerfDatum } from './perfdata.ts';
import { cleanText } from './sanitize.ts';

/** What a probe returns: state, text and measurements. Timing is the runner's job. */
export interface ProbeOutcome {
  state: NagiosState;
  /** One line, e.g. `TCP OK - 0.001 second response time on 127.0.0.1 port 80`. */
  text: string;
  perfdata: PerfDatum[];
  /** Further lines of plugin output (Nagios "long output"), if any. */
  longOutput?: string | undefined;
}

export interface CheckResult extends ProbeOutcome {
  /** When the probe started, ms since the epoch. */
  startedAt: number;
  /** How long the probe took, ms. */
  durationMs: number;
}

/**
 * A probe's result. Text and long output are cleaned here (core/sanitize.ts: escape sequences
 * removed, control characters "?"), so what a server or plugin said is inert wherever the result
 * goes: the CLI line, the store, the page, the messages.
 */
export function outcome(state: NagiosState, text: string, perfdata: PerfDatum[] = [], longOutput?: string): ProbeOutcome {
  return { state, text: oneLine(text), perfdata, longOutput: longOutput === undefined ? undefined : cleanText(longOutput) };
}

/**
 * Nagios reads only the first line as the status text: fold anything else into it safely, with
 * control characters and escape sequences made inert (a line break becomes a space).
 */
export function oneLine(text: string): string {
  return cleanText(text.replace(/[\r\n]+/g, ' ')).replace(/\|/g, '/').trim();
}

/** The plugin output line: `TEXT | perfdata` (or just `TEXT`), followed by long output lines. */
export function formatPluginOutput(r: ProbeOutcome): string {
  const perf = formatPerfdata(r.perfdata);
  const line = perf ? `${r.text} | ${perf}` : r.text;
  return r.longOutput ? `${line}\n${r.longOutput}` : line;
}

/** `CRITICAL` etc. prefixed text, for logs: `[CRITICAL] TCP CRITICAL - ...`. */
export function describe(r: ProbeOutcome): string {
  return `[${stateName(r.state)}] ${r.text}`;
}

/**
 * Parses what a Nagios plugin printed: first line `TEXT|PERF`, then long output lines where
 * the first `|` starts more perfdata (the Nagios 3 multi-line format). Bad perfdata is dropped
 * and noted in the long output, never fatal.
 */
export function parsePluginOutput(stdout: string): { text: string; perfdata: PerfDatum[]; longOutput?: string; perfErrors: string[] } {
  // Cleaned before it is split: a stray "\r" or escape must not hide or forge a line or a label.
  const lines = cleanText(stdout).replace(/\n+$/, '').split('\n');
  const first = lines[0] ?? '';
  const bar = first.indexOf('|');
  const text = (bar === -1 ? first : first.slice(0, bar)).trim();
  let perfText = bar === -1 ? '' : first.slice(bar + 1);
  const longLines: string[] = [];
  let inPerf = false;
  for (const line of lines.slice(1)) {
    if (inPerf) {
      perfText += ' ' + line;
      continue;
    }
    const b = line.indexOf('|');
    if (b === -1) longLines.push(line);
    else {
      longLines.push(line.slice(0, b));
      perfText += ' ' + line.slice(b + 1);
      inPerf = true;
    }
  }
  const { perfdata, errors } = parsePerfdataLenient(perfText);
  const longOutput = longLines.join('\n').trim();
  return { text, perfdata, perfErrors: errors, ...(longOutput ? { longOutput } : {}) };
}

export { NagiosState };
