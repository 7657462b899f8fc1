/**
 * Live news for the console's pages (`GET /api/v1/events`, server-sent events): check state
 * changes, incidents opening, updating and closing, bans and deliveries. The daemon publishes into
 * one hub; each open stream gets what its reader may see (a scoped viewer only its targets' news;
 * news of no target, like a ban, only readers who see everything).
 *
 * The daemon is never held up by a reader: news is gathered and sent every FLUSH_MS (a check's
 * news replaced by its newer news meanwhile), each stream has a bounded queue, and a stream whose
 * reader does not keep up is closed (its EventSource reconnects and the page reloads its data).
 * Streams per principal are limited; a comment line every HEARTBEAT_MS keeps proxies from closing
 * a quiet stream.
 */
import type { Principal } from '../auth/types.ts';
import type { Store } from '../store/types.ts';

export type LiveKind = 'check' | 'incident' | 'ban' | 'delivery';

export interface LiveEvent {
  type: LiveKind;
  /** The target it is about; null: no target (bans), sent only to readers who see everything. */
  target: string | null;
  /** Replaces earlier unsent news with the same key (a check's newer state). */
  key?: string | undefined;
  data: Record<string, unknown>;
}

export interface LiveLimits {
  /** Open streams one principal (a user, a token) may have. @defaultValue 16 */
  perPrincipal: number;
  /** Bytes a stream may have waiting before it is closed. @defaultValue 1 MiB */
  maxQueuedBytes: number;
  /** @defaultValue 250 ms */
  flushMs: number;
  /** @defaultValue 15 s */
  heartbeatMs: number;
}

const DEFAULTS: LiveLimits = { perPrincipal: 16, maxQueuedBytes: 1 << 20, flushMs: 250, heartbeatMs: 15_000 };
const encoder = new TextEncoder();

interface Client {
  actor: string;
  all: boolean;
  see: (target: string) => boolean;
  controller: ReadableStreamDefaultController<Uint8Array>;
  closed: boolean;
}

export class LiveHub {
  private clients = new Set<Client>();
  private perActor = new Map<string, number>();
  private pending = new Map<string, LiveEvent>();
  private seq = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly limits: LiveLimits;
  /** Streams closed for not keeping up, since start (for tests and metrics). */
  dropped = 0;
  /** Events sent, since start. */
  sent = 0;

  constructor(limits: Partial<LiveLimits> = {}) {
    this.limits = { ...DEFAULTS, ...limits };
  }

  get streams(): number {
    return this.clients.size;
  }

  /**
   * Counts the news of incidents, bans and deliveries published so far, readers or not: a view
   * built from those (the guard page's) is still current while this has not moved.
   */
  revision = 0;

  /** Queues news for the next flush (never blocks, never throws). */
  publish(e: LiveEvent): void {
    if (e.type !== 'check') this.revision++;
    if (this.clients.size === 0) return;
    this.pending.set(e.key ?? `#${++this.seq}`, e);
    this.flushTimer ??= setTimeout(() => this.flush(), this.limits.flushMs).unref();
  }

  /**
   * A new stream for a principal, or undefined when it has as many open as it may. `see`: may it
   * see this target; `all`: it sees everything (also news of no target).
   */
  open(p: Principal, see: (target: string) => boolean, signal: AbortSignal): ReadableStream<Uint8Array> | undefined {
    const n = this.perActor.get(p.actor) ?? 0;
    if (n >= this.limits.perPrincipal) return undefined;
    this.perActor.set(p.actor, n + 1);
    let client: Client | undefined;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          client = { actor: p.actor, all: p.scope === null, see, controller, closed: false };
          this.clients.add(client);
          // Tells EventSource to wait 3 s before reconnecting, and the page that the stream is up.
          controller.enqueue(encoder.encode(`retry: 3000\nevent: hello\ndata: {}\n\n`));
          this.heartbeat ??= setInterval(() => this.beat(), this.limits.heartbeatMs).unref();
        },
        cancel: () => client && this.close(client),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
    );
    signal.addEventListener('abort', () => client && this.close(client), { once: true });
    return stream;
  }

  /** Ends every stream (the daemon stops). */
  closeAll(): void {
    for (const c of [...this.clients]) this.close(c, true);
    clearTimeout(this.flushTimer);
    clearInterval(this.heartbeat);
    this.flushTimer = this.heartbeat = undefined;
  }

  private flush(): void {
    this.flushTimer = undefined;
    const events = [...this.pending.values()];
    this.pending.clear();
    const frames = events.map((e) => ({ e, bytes: encoder.encode(`event: ${e.type}\ndata: ${JSON.stringify({ target: e.target, ...e.data })}\n\n`) }));
    for (const c of this.clients) {
      for (const { e, bytes } of frames) {
        if (e.target === null ? !c.all : !c.see(e.target)) continue;
        if (!this.send(c, bytes)) break;
        this.sent++;
      }
    }
  }

  private beat(): void {
    const bytes = encoder.encode(': heartbeat\n\n');
    for (const c of this.clients) this.send(c, bytes);
  }

  /** Enqueues a frame; a stream whose queue is past its bound is closed instead (the slowest reader goes, not the daemon). */
  private send(c: Client, bytes: Uint8Array): boolean {
    if (c.closed) return false;
    if ((c.controller.desiredSize ?? 0) < -this.limits.maxQueuedBytes) {
      this.dropped++;
      this.close(c, true);
      return false;
    }
    c.controller.enqueue(bytes);
    return true;
  }

  private close(c: Client, end = false): void {
    if (c.closed) return;
    c.closed = true;
    this.clients.delete(c);
    const n = (this.perActor.get(c.actor) ?? 1) - 1;
    if (n <= 0) this.perActor.delete(c.actor);
    else this.perActor.set(c.actor, n);
    if (end) {
      try {
        c.controller.close();
      } catch {
        // already closed by the reader
      }
    }
    if (this.clients.size === 0) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }
}

/**
 * The store as the daemon's parts use it, with news of its incident, ban and delivery writes
 * published to the hub: every room writes these through the store, so none of them needs a hook.
 * Reads and everything else pass through untouched.
 */
export function tapStore(store: Store, publish: (e: LiveEvent) => void): Store {
  const targets = new Map<number, string>();
  const targetOf = async (id: number) => targets.get(id) ?? (await store.incident(id).catch(() => undefined))?.target ?? null;
  const taps: Partial<Record<keyof Store, (args: unknown[], result: unknown) => void>> = {
    createIncident: (_, r) => {
      const i = r as { id: number; target: string; status: string; severity: string; title: string };
      targets.set(i.id, i.target);
      publish({ type: 'incident', target: i.target, data: { id: i.id, change: 'opened', status: i.status, severity: i.severity, title: i.title } });
    },
    updateIncident: ([a]) => {
      const i = a as { id: number; target: string; status: string; severity: string; title: string };
      targets.set(i.id, i.target);
      publish({ type: 'incident', target: i.target, key: `incident:${i.id}`, data: { id: i.id, change: i.status === 'resolved' ? 'closed' : 'updated', status: i.status, severity: i.severity, title: i.title } });
    },
    appendIncidentEvent: ([a]) => {
      const ev = a as { incidentId: number; kind: string; text: string; at: number };
      void targetOf(ev.incidentId).then((target) => {
        if (target === null) return;
        const delivery = ev.kind === 'notified' || ev.kind === 'notify-failed';
        publish({ type: delivery ? 'delivery' : 'incident', target, data: { id: ev.incidentId, change: 'timeline', kind: ev.kind, text: ev.text.slice(0, 500), at: new Date(ev.at).toISOString() } });
      });
    },
    saveBan: ([a]) => banNews(publish, 'added', a),
    saveBanIntent: ([a]) => banNews(publish, 'added', a),
    removeBans: ([a]) => publish({ type: 'ban', target: null, data: { change: 'removed', address: String(a) } }),
  };
  // Methods are bound once (store.write runs for every result).
  const bound = new Map<string | symbol, unknown>();
  return new Proxy(store, {
    get(t, prop) {
      const v: unknown = Reflect.get(t, prop, t);
      if (typeof v !== 'function') return v;
      const known = bound.get(prop);
      if (known) return known;
      const tap = taps[prop as keyof Store];
      const fn = !tap ? (v as (...a: unknown[]) => unknown).bind(t) : async (...args: unknown[]) => {
        const r: unknown = await (v as (...a: unknown[]) => Promise<unknown>).apply(t, args);
        try {
          tap(args, r);
        } catch {
          // news is best effort: a write never fails for it
        }
        return r;
      };
      bound.set(prop, fn);
      return fn;
    },
  });
}

function banNews(publish: (e: LiveEvent) => void, change: string, a: unknown): void {
  const b = a as { address: string; jail: string; reason: string; until?: number };
  publish({ type: 'ban', target: null, data: { change, address: b.address, jail: b.jail, reason: b.reason.slice(0, 300), until: b.until === undefined ? null : new Date(b.until).toISOString() } });
}
