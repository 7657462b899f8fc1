/**
 * Nagios performance data: `'label'=value[UOM];[warn];[crit];[min];[max]`, space separated.
 * Parsed from plugin output into typed values and printed back in the same syntax, so mamoru's
 * checks feed the graphers Nagios users already run.
 */
import { formatRange, parseRange, type Range } from './range.ts';

export interface PerfDatum {
  label: string;
  /** null for `U` (the plugin could not measure it). */
  value: number | null;
  /** Unit of measure: '', 's', 'ms', 'us', '%', 'B', 'KB', 'MB', 'GB', 'TB', 'c', or anything a plugin prints. */
  unit: string;
  warn?: Range | undefined;
  crit?: Range | undefined;
  min?: number | undefined;
  max?: number | undefined;
}

export class PerfdataSyntaxError extends Error {
  constructor(readonly text: string, reason: string) {
    super(`invalid perfdata "${text}": ${reason}`);
    this.name = 'PerfdataSyntaxError';
  }
}

/** Splits perfdata into items, honouring single-quoted labels (with '' as an escaped quote). */
function tokenize(text: string): string[] {
  const items: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let item = '';
    if (text[i] === "'") {
      item += "'";
      i++;
      while (i < text.length) {
        if (text[i] === "'" && text[i + 1] === "'") {
          item += "''";
          i += 2;
        } else if (text[i] === "'") {
          item += "'";
          i++;
          break;
        } else item += text[i++];
      }
    }
    while (i < text.length && !/\s/.test(text[i]!)) item += text[i++];
    items.push(item);
  }
  return items;
}

function parseLabel(raw: string, whole: string): string {
  if (raw.startsWith("'")) {
    if (!raw.endsWith("'") || raw.length < 2) throw new PerfdataSyntaxError(whole, 'unterminated quoted label');
    return raw.slice(1, -1).replace(/''/g, "'");
  }
  if (raw === '') throw new PerfdataSyntaxError(whole, 'empty label');
  return raw;
}

function optNumber(text: string | undefined, whole: string, what: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new PerfdataSyntaxError(whole, `${what} "${text}" is not a number`);
  return n;
}

function optRange(text: string | undefined, whole: string): Range | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return parseRange(text);
  } catch (e) {
    throw new PerfdataSyntaxError(whole, (e as Error).message);
  }
}

export function parsePerfDatum(item: string): PerfDatum {
  const eq = item.lastIndexOf('=');
  if (eq <= 0) throw new PerfdataSyntaxError(item, 'expected label=value');
  const label = parseLabel(item.slice(0, eq), item);
  const [valueWithUnit = '', warn, crit, min, max] = item.slice(eq + 1).split(';');
  let value: number | null;
  let unit: string;
  if (valueWithUnit === 'U') {
    value = null;
    unit = '';
  } else {
    const m = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(.*)$/.exec(valueWithUnit);
    if (!m) throw new PerfdataSyntaxError(item, `value "${valueWithUnit}" is not a number or U`);
    value = Number(m[1]);
    unit = m[2]!;
  }
  return {
    label,
    value,
    unit,
    warn: optRange(warn, item),
    crit: optRange(crit, item),
    min: optNumber(min, item, 'min'),
    max: optNumber(max, item, 'max'),
  };
}

/** Parses a whole perfdata string (the part after `|`). Throws PerfdataSyntaxError on the first bad item. */
export function parsePerfdata(text: string): PerfDatum[] {
  return tokenize(text).map(parsePerfDatum);
}

/** Like parsePerfdata, but keeps the good items and reports the bad ones instead of throwing. */
export function parsePerfdataLenient(text: string): { perfdata: PerfDatum[]; errors: string[] } {
  const perfdata: PerfDatum[] = [];
  const errors: string[] = [];
  for (const item of tokenize(text)) {
    try {
      perfdata.push(parsePerfDatum(item));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return { perfdata, errors };
}

function formatLabel(label: string): string {
  return /[\s'=]/.test(label) ? `'${label.replace(/'/g, "''")}'` : label;
}

function formatNumber(n: number | undefined): string {
  return n === undefined ? '' : String(n);
}

export function formatPerfDatum(p: PerfDatum): string {
  const fields = [
    p.value === null ? 'U' : `${p.value}${p.unit}`,
    p.warn ? formatRange(p.warn) : '',
    p.crit ? formatRange(p.crit) : '',
    formatNumber(p.min),
    formatNumber(p.max),
  ];
  while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  return `${formatLabel(p.label)}=${fields.join(';')}`;
}

export function formatPerfdata(items: readonly PerfDatum[]): string {
  return items.map(formatPerfDatum).join(' ');
}
