/**
 * What every inspection returns: plain data (JSON-safe, stored in the incident timeline as it is)
 * with a one-line `summary` in the operator's words, and the error an inspection throws when it
 * cannot produce evidence at all (the runbook records that as what it could not find out). An
 * ExecutorError (the server cannot be reached, the host key is refused) passes through as it is.
 */

/** Every piece of evidence says in one line what it found. */
export interface Evidence {
  /** One line, in the operator's words: "nothing listens on port 80". */
  summary: string;
}

export class InspectionError extends Error {
  constructor(
    readonly inspection: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${inspection}: ${message}`, options);
    this.name = 'InspectionError';
  }
}

/** Bytes as people read them: 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v >= 10 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

/** "1 process" / "3 processes". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
