/**
 * What `mamoru helper` and its clients say to each other over the unix socket: one JSON object
 * per line, `{"verb":"restart","service":"apache2"}`, answered by one JSON line. The verbs are a
 * fixed list and the only other word is a service's name: a request never carries a program, an
 * argument or a path; the helper finds the command in its own reading of the config. Everything
 * is bounded: the request line, the output sent back, the whole answer.
 */

/** The verbs, as they are written on the wire. */
export const VERBS = ['start', 'stop', 'restart', 'reload', 'status', 'config-test'] as const;
export type HelperVerb = (typeof VERBS)[number];

/** A request line longer than this is refused and the connection closed (a name is at most a few dozen bytes). */
export const MAX_REQUEST_BYTES = 1024;
/** Bytes of stdout and of stderr each sent back; the rest is dropped and `truncated` set. */
export const MAX_OUTPUT_BYTES = 64 * 1024;
/** An answer longer than this is not read by the client (the output cap, JSON-escaped, fits). */
export const MAX_ANSWER_BYTES = 1024 * 1024;
/** The service names the config accepts (src/actions/service-config.ts). */
const NAME = /^[A-Za-z0-9@._+-]{1,128}$/;

export interface HelperRequest {
  verb: HelperVerb;
  service: string;
}

/** The helper's answer: the command it ran and how it ended, or why it ran nothing. */
export type HelperAnswer =
  | {
      ok: true;
      verb: HelperVerb;
      service: string;
      /** The command the config gave, as it ran (the first candidate that exists). */
      argv: string[];
      code: number | null;
      signal: string | null;
      timed_out: boolean;
      truncated: boolean;
      stdout: string;
      stderr: string;
      duration_ms: number;
    }
  | { ok: false; error: string };

/**
 * Reads one request line; a string is the reason it is refused, in words a person can act on.
 * Unknown fields are refused by name, so a client that sends `argv` or `command` learns that the
 * helper never takes them.
 */
export function parseRequest(line: string): HelperRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not JSON: send one object per line, like {"verb":"restart","service":"apache2"}';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected an object like {"verb":"restart","service":"apache2"}';
  const obj = value as Record<string, unknown>;
  const extra = Object.keys(obj).filter((k) => k !== 'verb' && k !== 'service');
  if (extra.length > 0) {
    const shown = extra.slice(0, 3).map((k) => `"${k.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}"`).join(', ');
    return `unknown field ${shown}: a request names only a verb and a service; the helper runs the command the config gives for them, never one sent to it`;
  }
  const { verb, service } = obj;
  if (typeof verb !== 'string' || !(VERBS as readonly string[]).includes(verb)) {
    const shown = typeof verb === 'string' ? `"${verb.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}"` : typeof verb;
    return `unknown verb ${shown}: expected one of ${VERBS.join(', ')}`;
  }
  if (typeof service !== 'string' || !NAME.test(service)) return 'expected "service": the name of a service in the config (letters, digits and @._+- only)';
  return { verb: verb as HelperVerb, service };
}
