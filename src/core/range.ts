/**
 * Nagios threshold ranges (the plugin development guidelines' syntax):
 * `10` alerts outside 0..10, `10:` below 10, `~:20` above 20, `5:10` outside 5..10,
 * `@5:10` inside 5..10. Probes evaluate warning/critical thresholds with these.
 */
import { NagiosState } from './nagios.ts';

export interface Range {
  start: number; // -Infinity for `~`
  end: number; // Infinity when open-ended
  /** `@` prefix: alert when the value lies inside the range instead of outside. */
  inside: boolean;
}

export class RangeSyntaxError extends Error {
  constructor(readonly text: string, reason: string) {
    super(`invalid range "${text}": ${reason} (expected forms like 10, 10:, ~:20, 5:10, @5:10)`);
    this.name = 'RangeSyntaxError';
  }
}

function parseBound(text: string, whole: string): number {
  if (text === '~') return -Infinity;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new RangeSyntaxError(whole, `"${text}" is not a number`);
  return n;
}

export function parseRange(text: string): Range {
  let body = text.trim();
  if (body === '') throw new RangeSyntaxError(text, 'it is empty');
  const inside = body.startsWith('@');
  if (inside) body = body.slice(1);
  const colon = body.indexOf(':');
  let start = 0;
  let end = Infinity;
  if (colon === -1) end = parseBound(body, text);
  else {
    start = parseBound(body.slice(0, colon), text);
    const tail = body.slice(colon + 1);
    if (tail !== '') end = parseBound(tail, text);
  }
  if (end === -Infinity) throw new RangeSyntaxError(text, '"~" may only start a range');
  if (start > end) throw new RangeSyntaxError(text, 'start is greater than end');
  return { start, end, inside };
}

/** True when the value should raise an alert under this range. */
export function rangeAlerts(range: Range, value: number): boolean {
  const within = value >= range.start && value <= range.end;
  return range.inside ? within : !within;
}

function num(n: number): string {
  return String(n);
}

export function formatRange(range: Range): string {
  const prefix = range.inside ? '@' : '';
  const start = range.start === -Infinity ? '~' : num(range.start);
  if (range.start === 0 && !range.inside && range.end !== Infinity) return num(range.end);
  const end = range.end === Infinity ? '' : num(range.end);
  return `${prefix}${start}:${end}`;
}

/** Warning/critical pair; critical wins over warning. */
export interface Thresholds {
  warning?: Range | undefined;
  critical?: Range | undefined;
}

export function evaluate(value: number, t: Thresholds): NagiosState {
  if (t.critical && rangeAlerts(t.critical, value)) return NagiosState.CRITICAL;
  if (t.warning && rangeAlerts(t.warning, value)) return NagiosState.WARNING;
  return NagiosState.OK;
}

/** The common "alert above N" threshold (plain numbers in check_tcp's -w/-c) as a range. */
export function above(limit: number | undefined): Range | undefined {
  return limit === undefined ? undefined : { start: -Infinity, end: limit, inside: false };
}
