/**
 * Steps several runbooks take, each adding its evidence: open the page by IP and by domain from
 * the monitor, look at the service's processes and ports, read the recent end of its error log.
 * A step that cannot find out (the server cannot be reached, a file cannot be read) says so as
 * evidence instead of stopping the runbook: "could not find out" is a finding too.
 */
import { probeOnce, type Answer } from '../actions/answers.ts';
import { isApache } from '../actions/service-config.ts';
import { observeService, type ServiceView } from '../actions/service-observe.ts';
import type { Clock } from '../core/clock.ts';
import { inspectErrorLog } from '../inspect/error-log.ts';
import type { Evidence, RunbookContext } from './types.ts';

/** The evidence a runbook gathers, in the order it was found, each with the moment it was found. */
export class Findings {
  readonly items: Evidence[] = [];

  /** @param clock what stamps each finding (the runbook context's clock) */
  constructor(private readonly clock?: Clock) {}

  add(what: string, summary: string, data?: Record<string, unknown>): void {
    this.items.push({ what, summary, ...(data ? { data } : {}), ...(this.clock ? { at: this.clock.now() } : {}) });
  }

  /** Runs one look; its result's summary becomes evidence. Undefined (and a "could not" finding) when it fails. */
  async look<T extends { summary: string }>(what: string, fn: () => Promise<T>, data?: (v: T) => Record<string, unknown>): Promise<T | undefined> {
    try {
      const v = await fn();
      this.add(what, v.summary, data ? data(v) : undefined);
      return v;
    } catch (e) {
      this.add(what, `could not find out (${what}): ${(e as Error).message}`, { error: (e as Error).message });
      return undefined;
    }
  }
}

/** The page as a client opens it: by IP on each web port, and by domain name when one is configured. */
export async function openPages(ctx: RunbookContext, f: Findings): Promise<Answer[]> {
  const svc = ctx.service;
  const ports = svc.ports.length ? svc.ports : [80];
  const byIp = await Promise.all(
    ports.map((port) => probeOnce('http', ctx.address, { port, tls: port === 443 || port === 8443, ...(svc.domain ? { host_header: svc.domain } : {}) }, svc.page_timeout, ctx.signal)),
  );
  ports.forEach((port, i) => f.add('page', `http://${ctx.address}${port === 80 ? '' : `:${port}`}/ ${pageWords(byIp[i]!)}`, { port, ...byIp[i]! }));
  if (!svc.domain) return byIp;
  const byName = await probeOnce('http', svc.domain, { port: ports[0]! }, svc.page_timeout, ctx.signal);
  f.add('page', `http://${svc.domain}/ ${pageWords(byName)}`, { domain: svc.domain, ...byName });
  return [...byIp, byName];
}

function pageWords(a: Answer): string {
  return a.answered ? `answers: ${a.text}` : `does not answer: ${a.text}`;
}

/** The service from the client's side: the page for a web server, else a TCP connection per port. */
export async function connectFromMonitor(ctx: RunbookContext, f: Findings, probe: 'tcp' | 'ftp' | 'pop3' = 'tcp'): Promise<Answer[]> {
  if (isApache(ctx.service)) return openPages(ctx, f);
  const answers = await Promise.all(ctx.service.ports.map((port) => probeOnce(probe, ctx.address, { port }, ctx.service.page_timeout, ctx.signal)));
  ctx.service.ports.forEach((port, i) => f.add('connect', `${probe.toUpperCase()} ${ctx.address}:${port} from the monitor ${pageWords(answers[i]!)}`, { port, ...answers[i]! }));
  return answers;
}

/** Processes and ports of the service on the server. */
export function lookAtService(ctx: RunbookContext, f: Findings): Promise<ServiceView | undefined> {
  return f.look('service', () => observeService(ctx.executor, ctx.service), (v) => ({
    masterPid: v.master.master?.pid,
    children: v.master.children.length,
    listening: v.listening,
    notListening: v.notListening,
    udpOpen: v.udpOpen,
    udpClosed: v.udpClosed,
  }));
}

/** The last lines of the service's error log (where it says why it stopped), when its path is known. */
export async function recentErrors(ctx: RunbookContext, f: Findings, path = ctx.service.error_log, lines = 5): Promise<void> {
  if (!path) return;
  await f.look('error-log', () => inspectErrorLog(ctx.executor, { path, maxLines: lines, maxBytes: 64 * 1024 }), (v) => ({ path: v.path, lines: v.lines.map((l) => l.text) }));
}
