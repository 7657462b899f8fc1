/**
 * Verified after: once a service was started, restarted or reloaded, it counts as done only when
 * its process runs, its ports listen, and it answers a client from the monitor (the page for a web
 * server, a TCP connection otherwise), and whatever else the action changed can be seen (for
 * raise-worker-limit: the inspection reads the new limit with the master alive). A change takes a
 * moment to show (a graceful reload starts its new workers one by one, under a surge the page
 * waits behind the queue), so verification looks again every half second, from fresh evidence
 * each time, until all of it holds or the service's start_timeout has passed; it says how long it
 * waited and how many times it looked. Shared by the service actions and both worker-limit raises.
 */
import { httpOptionsFor, probeOnce, type Answer } from './answers.ts';
import { isApache, type ServiceConfig } from './service-config.ts';
import { observeService, pause, type ServiceView } from './service-observe.ts';
import type { ActionContext } from './types.ts';

export interface Verified {
  ok: boolean;
  /** The last look at the service (never an earlier one: what it says is what held at the end). */
  view: ServiceView;
  /** The last answers from the monitor (empty while the service was not up). */
  answers: Answer[];
  /** One line: what holds and what does not, with the wait. */
  text: string;
  /** From the first look to the verdict, ms. */
  waitedMs: number;
  /** Looks taken (each one fresh: processes and ports, the monitor's answer, the action's own check). */
  tries: number;
  /** The facts for the timeline record. */
  data: Record<string, unknown>;
}

/** An action's own condition, judged afresh on each try once the service is up and answering. */
export interface Confirmation {
  ok: boolean;
  /** One line: what it saw. */
  text: string;
  data?: Record<string, unknown> | undefined;
}

export interface VerifyOptions {
  /** false: running and listening is enough, the monitor is not asked. @defaultValue true */
  wantRunning?: boolean | undefined;
  /** What else must hold (the new limit read back). */
  confirm?: (() => Promise<Confirmation>) | undefined;
  /** Between looks, ms. @defaultValue 500 */
  everyMs?: number | undefined;
}

/** The client's view: the page (web servers, or the configured URL) or a TCP connection per port. */
export async function askFromMonitor(address: string, svc: ServiceConfig, signal?: AbortSignal): Promise<Answer[]> {
  const timeout = svc.page_timeout;
  if (svc.url) {
    const { host, options } = httpOptionsFor(svc.url);
    return [await probeOnce('http', host, options, timeout, signal)];
  }
  const web = isApache(svc);
  return Promise.all(
    svc.ports.map((port) =>
      web ? probeOnce('http', address, { port, tls: port === 443 || port === 8443, ...(svc.domain ? { host_header: svc.domain } : {}) }, timeout, signal) : probeOnce('tcp', address, { port }, timeout, signal),
    ),
  );
}

/**
 * Looks until the service runs, listens, answers (and `confirm` holds), or start_timeout passes
 * (the last look may run past it by one look: a page that is slow to answer still answers).
 */
export async function verifyService(ctx: ActionContext, opts: VerifyOptions = {}): Promise<Verified> {
  const svc = ctx.service;
  const t0 = performance.now();
  const deadline = t0 + svc.start_timeout;
  let tries = 0;
  for (;;) {
    tries++;
    const view = await observeService(ctx.executor, svc);
    const answers = view.up && opts.wantRunning !== false ? await askFromMonitor(ctx.address, svc, ctx.signal) : [];
    const answering = view.up && answers.every((a) => a.answered);
    const confirmed = answering && opts.confirm ? await opts.confirm() : undefined;
    const ok = answering && (confirmed?.ok ?? true);
    if (ok || performance.now() >= deadline || ctx.signal?.aborted) return verdict(svc, { ok, view, answers, confirmed, tries, waitedMs: performance.now() - t0 });
    await pause(opts.everyMs ?? 500, ctx.signal);
  }
}

function verdict(svc: ServiceConfig, v: { ok: boolean; view: ServiceView; answers: Answer[]; confirmed: Confirmation | undefined; tries: number; waitedMs: number }): Verified {
  const { ok, view, answers, confirmed, tries, waitedMs } = v;
  const said = answers.map((a) => a.text).join('; ');
  const waited = `${ok ? 'after' : 'waited'} ${(waitedMs / 1000).toFixed(1)} s, ${tries} ${tries === 1 ? 'look' : 'looks'}`;
  let text: string;
  if (!view.up) text = `${svc.name} did not come up within ${Math.round(svc.start_timeout / 1000)} s: ${view.summary}`;
  else if (!answers.every((a) => a.answered)) text = `${view.summary}, but it does not answer: ${said}`;
  else text = `${view.summary}${said ? `; answers: ${said}` : ''}${confirmed ? `${confirmed.ok ? '; ' : ', but '}${confirmed.text}` : ''}`;
  const data = { up: view.up, answers, waitedMs: Math.round(waitedMs), tries, ...(confirmed ? { confirmed: confirmed.ok, ...confirmed.data } : {}) };
  return { ok, view, answers, text: `${text} (${waited})`, waitedMs, tries, data };
}
