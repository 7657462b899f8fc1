/**
 * Verified after: once a service was started or reloaded, it counts as done only when its
 * process runs, its ports listen, and it answers a client from the monitor (the page for a web
 * server, a TCP connection otherwise), within the service's start_timeout. Shared by the
 * service actions and raise-worker-limit.
 */
import { httpOptionsFor, probeOnce, type Answer } from './answers.ts';
import { isApache, type ServiceConfig } from './service-config.ts';
import { observeService, pause, waitUntil, type ServiceView } from './service-observe.ts';
import type { ActionContext } from './types.ts';

export interface Verified {
  ok: boolean;
  view: ServiceView;
  answers: Answer[];
  /** One line: what holds and what does not. */
  text: string;
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

/** Waits (up to start_timeout) for the service to run, listen and answer. */
export async function verifyService(ctx: ActionContext, opts: { wantRunning?: boolean } = {}): Promise<Verified> {
  const svc = ctx.service;
  const deadline = performance.now() + svc.start_timeout;
  const view = await waitUntil(svc.start_timeout, () => observeService(ctx.executor, svc), (v) => v.up, ctx.signal);
  if (!view.up) {
    return { ok: false, view, answers: [], text: `${svc.name} did not come up within ${Math.round(svc.start_timeout / 1000)} s: ${view.summary}` };
  }
  if (opts.wantRunning === false) return { ok: true, view, answers: [], text: view.summary };
  let answers: Answer[] = [];
  // A server that has just started (or reloaded) may refuse for a moment: ask again until the deadline.
  for (;;) {
    answers = await askFromMonitor(ctx.address, svc, ctx.signal);
    if (answers.every((a) => a.answered) || performance.now() >= deadline || ctx.signal?.aborted) break;
    await pause(500, ctx.signal);
  }
  const ok = answers.every((a) => a.answered);
  const said = answers.map((a) => a.text).join('; ');
  return { ok, view, answers, text: ok ? `${view.summary}; answers: ${said}` : `${view.summary}, but it does not answer: ${said}` };
}
