/**
 * local: the bus inside one process (the embedded default). Results wait in a queue per consumer
 * name until a consumer of that name takes them; repeats are dropped by id within the dedup
 * window; members and leases expire on the clock. Nothing outlives the process, and nothing
 * needs to: the poller and the brain it feeds are the same process.
 */
import { z } from 'zod';
import { systemClock, type Clock } from '../core/clock.ts';
import { duration } from '../core/schema.ts';
import { BUS_NAME, defineBus, type Bus, type ConsumeOptions, type Member, type PublishReport, type ResultConsumer, type ResultEnvelope, type ResultHandler } from './types.ts';

export const schema = z.strictObject({
  dedup_window: duration('how long a result id is remembered, so a repeat is dropped', { min: 1_000, max: 3_600_000 }).prefault('2m'),
  member_ttl: duration('a member not heard from for this long is no longer alive', { min: 100, max: 3_600_000 }).prefault('9s'),
  lease_ttl: duration('a lease not renewed for this long is free again', { min: 100, max: 3_600_000 }).prefault('9s'),
  max_queued: z.number().int().min(1_000).max(10_000_000).default(1_000_000).meta({ description: 'results held for one consumer name at most; past it the oldest are dropped with an error in the log' }),
});
export type LocalBusOptions = z.output<typeof schema>;

const DEFAULT_BATCH = 256;

interface Queue {
  items: ResultEnvelope[];
  head: number;
  consumer: LocalConsumer | undefined;
}

class LocalConsumer implements ResultConsumer {
  private running = false;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly queue: Queue,
    private readonly handler: ResultHandler,
    private readonly maxBatch: number,
  ) {}

  /** Hands over what is queued, one batch at a time; a batch that throws stays at the head. */
  kick(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.idle = (async () => {
      try {
        while (!this.stopped && this.queue.head < this.queue.items.length) {
          const batch = this.queue.items.slice(this.queue.head, this.queue.head + this.maxBatch);
          try {
            await this.handler(batch);
          } catch {
            // Not taken: handed over again on the next kick (a publish, or the retry below).
            setTimeout(() => this.kick(), 100).unref();
            return;
          }
          this.queue.head += batch.length;
          if (this.queue.head > 4096 && this.queue.head * 2 > this.queue.items.length) {
            this.queue.items = this.queue.items.slice(this.queue.head);
            this.queue.head = 0;
          }
        }
      } finally {
        this.running = false;
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.queue.consumer === this) this.queue.consumer = undefined;
    await this.idle;
  }
}

export class LocalBus implements Bus {
  readonly type = 'local';
  private readonly queues = new Map<string, Queue>();
  /** What was published before the first consumer started. */
  private early: Queue = { items: [], head: 0, consumer: undefined };
  private readonly seen = new Map<string, number>();
  private readonly memberMap = new Map<string, Member>();
  private readonly leases = new Map<string, { holder: string; until: number; epoch: number }>();
  private epochs = 0;
  private readonly rechecks = new Map<string, Set<(checkIds: string[]) => void>>();
  private closed = false;

  constructor(
    private readonly opts: LocalBusOptions,
    private readonly clock: Clock = systemClock,
  ) {}

  private queue(name: string): Queue {
    if (!BUS_NAME.test(name)) throw new Error(`bus: a consumer name is letters, digits, _ and - (at most 64), got ${JSON.stringify(name)}`);
    let q = this.queues.get(name);
    if (!q) this.queues.set(name, (q = { items: [], head: 0, consumer: undefined }));
    return q;
  }

  private forgetOldIds(now: number): void {
    // Ids were inserted in time order, so the oldest are first: stop at the first one still fresh.
    for (const [id, at] of this.seen) {
      if (now - at < this.opts.dedup_window) break;
      this.seen.delete(id);
    }
  }

  async publishResults(batch: readonly ResultEnvelope[]): Promise<PublishReport> {
    if (this.closed) throw new Error('bus: closed');
    const now = this.clock.now();
    this.forgetOldIds(now);
    let stored = 0;
    let duplicates = 0;
    const fresh: ResultEnvelope[] = [];
    for (const env of batch) {
      if (this.seen.has(env.id)) {
        duplicates++;
        continue;
      }
      this.seen.set(env.id, now);
      fresh.push(structuredClone(env));
      stored++;
    }
    // Published before any consumer started (a poller up before the brain): kept for the first one.
    const targets = this.queues.size ? [...this.queues.values()] : [this.early];
    for (const q of targets) {
      for (const env of fresh) q.items.push(env);
      const over = q.items.length - q.head - this.opts.max_queued;
      if (over > 0) q.head += over;
      q.consumer?.kick();
    }
    return { stored, duplicates };
  }

  async consumeResults(name: string, handler: ResultHandler, opts: ConsumeOptions = {}): Promise<ResultConsumer> {
    const first = this.queues.size === 0;
    const q = this.queue(name);
    if (first) {
      q.items = this.early.items.slice(this.early.head);
      this.early = { items: [], head: 0, consumer: undefined };
    }
    if (q.consumer) throw new Error(`bus: a consumer named ${name} is already running`);
    const c = new LocalConsumer(q, handler, opts.maxBatch ?? DEFAULT_BATCH);
    q.consumer = c;
    c.kick();
    return c;
  }

  async heartbeat(m: Omit<Member, 'seenAt'>): Promise<void> {
    if (!BUS_NAME.test(m.zone) || !BUS_NAME.test(m.name)) throw new Error('bus: zone and member names are letters, digits, _ and - (at most 64)');
    this.memberMap.set(`${m.zone}.${m.name}`, { ...m, seenAt: this.clock.now() });
  }

  async members(zone?: string): Promise<Member[]> {
    const now = this.clock.now();
    const out: Member[] = [];
    for (const [key, m] of this.memberMap) {
      if (now - m.seenAt >= this.opts.member_ttl) this.memberMap.delete(key);
      else if (zone === undefined || m.zone === zone) out.push({ ...m });
    }
    return out.sort((a, b) => a.zone.localeCompare(b.zone) || a.name.localeCompare(b.name));
  }

  async requestRecheck(zone: string, checkIds: readonly string[]): Promise<void> {
    if (!BUS_NAME.test(zone)) throw new Error('bus: a zone name is letters, digits, _ and - (at most 64)');
    for (const h of this.rechecks.get(zone) ?? []) h([...checkIds]);
  }

  async onRecheck(zone: string, handler: (checkIds: string[]) => void): Promise<{ stop(): void }> {
    if (!BUS_NAME.test(zone)) throw new Error('bus: a zone name is letters, digits, _ and - (at most 64)');
    let set = this.rechecks.get(zone);
    if (!set) this.rechecks.set(zone, (set = new Set()));
    set.add(handler);
    return { stop: () => void set!.delete(handler) };
  }

  async acquireLease(name: string, holder: string): Promise<boolean> {
    const now = this.clock.now();
    const l = this.leases.get(name);
    if (l && l.holder !== holder && l.until > now) return false;
    // A new hold (free, lapsed or another's before) gets the next epoch; a renewal keeps its own.
    const renewal = l !== undefined && l.holder === holder && l.until > now;
    this.leases.set(name, { holder, until: now + this.opts.lease_ttl, epoch: renewal ? l.epoch : ++this.epochs });
    return true;
  }

  async leaseEpoch(name: string, holder: string): Promise<number | undefined> {
    const l = this.leases.get(name);
    return l && l.holder === holder && l.until > this.clock.now() ? l.epoch : undefined;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }

  async leaseHolder(name: string): Promise<string | undefined> {
    const l = this.leases.get(name);
    return l && l.until > this.clock.now() ? l.holder : undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.queues.values()].map((q) => q.consumer?.stop()));
  }
}

export default defineBus({
  type: 'local',
  summary: 'inside this process: the scheduler hands results straight to the brain (the embedded default)',
  schema,
  create: async (options, ctx) => new LocalBus(options, ctx.clock),
});
