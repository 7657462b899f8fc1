/**
 * "Does it answer?" asked from the monitor, the way a client would: one run of one of mamoru's
 * own probes (tcp, http, pop3, ftp, ping) against the target, bounded by a timeout. Actions use
 * it to verify their work, runbooks to see what the client sees; the probe's own line (in the
 * Nagios plugins' words) is the evidence.
 */
import { secretsFromEnv } from '../core/secrets.ts';
import { silentLogger } from '../core/log.ts';
import { NagiosState, stateName } from '../core/nagios.ts';
import type { ProbeOutcome } from '../core/result.ts';
import { targetFromAddress } from '../core/target.ts';
import { probes } from '../probes/index.ts';

type Probes = typeof probes;

export interface Answer {
  /** OK (or WARNING: it answered, slowly or oddly). */
  answered: boolean;
  state: string;
  /** The probe's line: `HTTP OK: HTTP/1.1 200 OK - 310 bytes in 0.001 second response time`. */
  text: string;
  /** How long it took, ms. */
  ms: number;
}

/**
 * Runs one probe once. The options are the probe's own config keys (`{ port: 80 }`); a probe
 * that does not finish within timeoutMs (plus a short grace) is reported as not answering.
 */
export async function probeOnce<K extends keyof Probes>(type: K, address: string, options: Record<string, unknown>, timeoutMs: number, signal?: AbortSignal): Promise<Answer> {
  const def = probes[type];
  const opts = def.schema.parse(options);
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  let grace: NodeJS.Timeout | undefined;
  const t0 = performance.now();
  try {
    const hung = new Promise<ProbeOutcome>((resolve) => {
      ctrl.signal.addEventListener('abort', () => {
        grace = setTimeout(() => resolve({ state: NagiosState.CRITICAL, text: `${type.toUpperCase()} CRITICAL - no answer within ${Math.round(timeoutMs / 1000)} seconds`, perfdata: [] }), 1000);
      });
    });
    const out = await Promise.race([
      (def.run as (t: unknown, o: unknown, c: unknown) => Promise<ProbeOutcome>)(targetFromAddress(address), opts, { signal: ctrl.signal, timeoutMs, log: silentLogger, secret: secretsFromEnv }),
      hung,
    ]);
    return { answered: out.state === NagiosState.OK || out.state === NagiosState.WARNING, state: stateName(out.state), text: out.text, ms: performance.now() - t0 };
  } catch (e) {
    return { answered: false, state: 'UNKNOWN', text: `${type} probe failed: ${(e as Error).message}`, ms: performance.now() - t0 };
  } finally {
    clearTimeout(timer);
    clearTimeout(grace);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The http probe's options for a URL (scheme, port, path), connecting to `address` with the URL's host as Host header. */
export function httpOptionsFor(url: string): { host: string; options: Record<string, unknown> } {
  const u = new URL(url);
  const tls = u.protocol === 'https:';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, options: { tls, path: (u.pathname || '/') + u.search, ...(u.port ? { port: Number(u.port) } : {}), host_header: u.host } };
}
