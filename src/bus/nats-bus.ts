/**
 * nats: the bus on NATS JetStream, for pollers and brains on several machines.
 *
 * - Results go to the stream `<prefix>_results` (subjects `<prefix>.results.<zone>`), each with
 *   its envelope id as the JetStream message id, so the stream drops a repeat within its
 *   duplicate window. The brain reads them through a durable pull consumer and acknowledges a
 *   batch only after its handler resolved (after the store commit); a batch it could not take is
 *   negatively acknowledged and comes again. A brain that restarts resumes where its consumer
 *   stood.
 * - Members heartbeat into the KV bucket `<prefix>_members` (key `<zone>.<name>`), whose entries
 *   expire after `member_ttl` without a new heartbeat.
 * - Leases live in the KV bucket `<prefix>_leases`: taken with create (only when the key is
 *   absent), renewed with update at the revision the holder last wrote, so two brains can never
 *   both believe they hold it; not renewed within `lease_ttl`, the entry expires and the lease is
 *   free.
 * Everything read from the bus is parsed and checked before use: a message that is not an
 * envelope is acknowledged (so it does not come back forever) and logged, never handed over.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { z } from 'zod';
import type { Logger } from '../core/log.ts';
import { BUS_NAME, MAX_RECHECK_IDS, type Bus, type ConsumeOptions, type Member, type PublishReport, type ResultConsumer, type ResultEnvelope, type ResultHandler } from './types.ts';
import type { NatsBusOptions } from './nats.ts';

const DEFAULT_BATCH = 256;
/** Largest message the bus reads; a result is a few KiB at most (texts are bounded before). */
const MAX_MESSAGE_BYTES = 1024 * 1024;
const nanos = (ms: number) => ms * 1_000_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const envelopeSchema = z.object({
  id: z.string().min(1).max(600),
  checkId: z.string().min(1).max(500),
  zone: z.string().regex(BUS_NAME),
  poller: z.string().min(1).max(200),
  result: z.object({ state: z.number().int().min(0).max(3), text: z.string().max(MAX_MESSAGE_BYTES), perfdata: z.array(z.unknown()).max(1000), startedAt: z.number(), durationMs: z.number() }).passthrough(),
});

const recheckSchema = z.array(z.string().min(1).max(500)).max(MAX_RECHECK_IDS);
const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const memberSchema = z.object({ zone: z.string().regex(BUS_NAME), name: z.string().regex(BUS_NAME), version: z.string().max(100) });

class NatsConsumer implements ResultConsumer {
  private stopped = false;
  readonly done: Promise<void>;

  constructor(
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly name: string,
    private readonly handler: ResultHandler,
    private readonly maxBatch: number,
    private readonly log: Logger,
  ) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    const consumer = await this.js.consumers.get(this.stream, this.name);
    while (!this.stopped) {
      let msgs: JsMsg[] = [];
      try {
        const iter = await consumer.fetch({ max_messages: this.maxBatch, expires: 1_000 });
        for await (const m of iter) msgs.push(m);
      } catch (err) {
        if (this.stopped) return;
        this.log.warn({ err }, 'bus: could not fetch results; trying again');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (msgs.length === 0) continue;
      const batch: ResultEnvelope[] = [];
      const taken: JsMsg[] = [];
      for (const m of msgs) {
        const env = m.data.length <= MAX_MESSAGE_BYTES ? parseEnvelope(m.data) : undefined;
        if (env) {
          batch.push(env);
          taken.push(m);
        } else {
          this.log.error({ subject: m.subject, seq: m.seq, bytes: m.data.length }, 'bus: a message on the results stream is not a result; dropped');
          m.ack();
        }
      }
      msgs = [];
      try {
        if (batch.length) await this.handler(batch);
      } catch (err) {
        this.log.warn({ err, results: batch.length }, 'bus: the brain could not take a batch of results; it will come again');
        for (const m of taken) m.nak(500);
        continue;
      }
      // Acknowledged once the brain has them; the last one waits for the server's confirmation,
      // so a stop right after does not leave the batch to come again.
      for (let i = 0; i < taken.length - 1; i++) taken[i]!.ack();
      if (taken.length) await taken[taken.length - 1]!.ackAck().catch(() => false);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done.catch(() => {});
  }
}

function parseEnvelope(data: Uint8Array): ResultEnvelope | undefined {
  try {
    const parsed = envelopeSchema.safeParse(JSON.parse(decoder.decode(data)));
    return parsed.success ? (parsed.data as unknown as ResultEnvelope) : undefined;
  } catch {
    return undefined;
  }
}

export class NatsBus implements Bus {
  readonly type = 'nats';
  private readonly consumers = new Set<NatsConsumer>();
  private readonly leaseRevisions = new Map<string, number>();
  /** The revision at which this process took each lease it holds, and for whom. */
  private readonly leaseEpochs = new Map<string, { holder: string; epoch: number }>();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly membersKv: KV,
    private readonly leasesKv: KV,
    private readonly opts: NatsBusOptions,
    private readonly log: Logger,
  ) {}

  static async open(opts: NatsBusOptions, log: Logger, secret?: (name: string) => string): Promise<NatsBus> {
    const pass = opts.password_secret ? secret?.(opts.password_secret) : undefined;
    const nc = await connect({ servers: opts.url.split(',').map((s) => s.trim()), name: 'mamoru', ...(opts.user ? { user: opts.user } : {}), ...(pass ? { pass } : {}), maxReconnectAttempts: -1 });
    try {
      const jsm = await jetstreamManager(nc);
      const stream = `${opts.prefix}_results`;
      const config = { subjects: [`${opts.prefix}.results.>`], duplicate_window: nanos(opts.dedup_window), max_age: nanos(opts.keep_results) };
      try {
        await jsm.streams.info(stream);
        await jsm.streams.update(stream, config);
      } catch (e) {
        if (!/not found/i.test(String((e as Error).message))) throw e;
        await jsm.streams.add({ name: stream, ...config });
      }
      const kvm = new Kvm(nc);
      const membersKv = await kvm.create(`${opts.prefix}_members`, { history: 1, ttl: opts.member_ttl });
      const leasesKv = await kvm.create(`${opts.prefix}_leases`, { history: 1, ttl: opts.lease_ttl });
      return new NatsBus(nc, jetstream(nc), jsm, membersKv, leasesKv, opts, log);
    } catch (e) {
      await nc.close().catch(() => {});
      throw e;
    }
  }

  private get stream(): string {
    return `${this.opts.prefix}_results`;
  }

  async publishResults(batch: readonly ResultEnvelope[]): Promise<PublishReport> {
    // Published side by side and awaited together: one round trip for the batch, not one each.
    const acks = await Promise.all(batch.map((env) => this.js.publish(`${this.opts.prefix}.results.${env.zone}`, encoder.encode(JSON.stringify(env)), { msgID: env.id })));
    const duplicates = acks.filter((a) => a.duplicate).length;
    return { stored: acks.length - duplicates, duplicates };
  }

  async consumeResults(name: string, handler: ResultHandler, opts: ConsumeOptions = {}): Promise<ResultConsumer> {
    if (!BUS_NAME.test(name)) throw new Error(`bus: a consumer name is letters, digits, _ and - (at most 64), got ${JSON.stringify(name)}`);
    try {
      await this.jsm.consumers.info(this.stream, name);
    } catch (e) {
      if (!/not found/i.test(String((e as Error).message))) throw e;
      await this.jsm.consumers.add(this.stream, { durable_name: name, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: nanos(30_000), max_ack_pending: 20_000 });
    }
    const c = new NatsConsumer(this.js, this.stream, name, handler, opts.maxBatch ?? DEFAULT_BATCH, this.log);
    this.consumers.add(c);
    return { stop: async () => (this.consumers.delete(c), c.stop()) };
  }

  async requestRecheck(zone: string, checkIds: readonly string[]): Promise<void> {
    if (!BUS_NAME.test(zone)) throw new Error('bus: a zone name is letters, digits, _ and - (at most 64)');
    // Core NATS, not JetStream: a request nobody hears is simply not needed any more.
    for (let i = 0; i < checkIds.length; i += MAX_RECHECK_IDS) this.nc.publish(`${this.opts.prefix}.recheck.${zone}`, encoder.encode(JSON.stringify(checkIds.slice(i, i + MAX_RECHECK_IDS))));
  }

  async onRecheck(zone: string, handler: (checkIds: string[]) => void): Promise<{ stop(): void }> {
    if (!BUS_NAME.test(zone)) throw new Error('bus: a zone name is letters, digits, _ and - (at most 64)');
    const sub = this.nc.subscribe(`${this.opts.prefix}.recheck.${zone}`, {
      callback: (err, msg) => {
        if (err) return;
        // Read as anything on the bus is: bounded, checked, and dropped with a note when it is not a request.
        const ids = msg.data.length <= MAX_MESSAGE_BYTES ? recheckSchema.safeParse(safeJson(decoder.decode(msg.data))) : undefined;
        if (!ids?.success) return this.log.warn({ subject: msg.subject }, 'bus: a re-check request that is not a list of check ids; ignored');
        handler(ids.data);
      },
    });
    // Registered on the server before this resolves: a request sent after it is heard.
    await this.nc.flush();
    return { stop: () => sub.unsubscribe() };
  }

  async heartbeat(m: Omit<Member, 'seenAt'>): Promise<void> {
    const member = memberSchema.parse({ zone: m.zone, name: m.name, version: m.version });
    await this.membersKv.put(`${member.zone}.${member.name}`, encoder.encode(JSON.stringify(member)));
  }

  async members(zone?: string): Promise<Member[]> {
    if (zone !== undefined && !BUS_NAME.test(zone)) throw new Error('bus: a zone name is letters, digits, _ and - (at most 64)');
    // The keys from the bucket stream's subjects, in one request: KV's keys() iterates a consumer
    // that now and then never ends when an entry expires while it reads (nats.js 3.4; seen 5 in
    // 1,554 calls), and a poller's heartbeat must not hang on it.
    const head = `$KV.${this.opts.prefix}_members.`;
    const info = await this.jsm.streams.info(`KV_${this.opts.prefix}_members`, { subjects_filter: `${head}${zone === undefined ? '>' : `${zone}.*`}` });
    const keys = Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(head.length));
    const now = Date.now();
    const out: Member[] = [];
    for (const key of keys) {
      const e = await this.membersKv.get(key);
      if (!e || e.operation !== 'PUT') continue;
      const seenAt = e.created.getTime();
      // The server removes expired entries on its own schedule; one past its time is not alive.
      if (now - seenAt >= this.opts.member_ttl) continue;
      try {
        const m = memberSchema.parse(JSON.parse(decoder.decode(e.value)));
        out.push({ ...m, seenAt });
      } catch {
        this.log.warn({ key }, 'bus: a member entry that is not a member; ignored');
      }
    }
    return out.sort((a, b) => a.zone.localeCompare(b.zone) || a.name.localeCompare(b.name));
  }

  async acquireLease(name: string, holder: string): Promise<boolean> {
    if (!BUS_NAME.test(name)) throw new Error('bus: a lease name is letters, digits, _ and - (at most 64)');
    const value = encoder.encode(holder);
    const e = await this.leasesKv.get(name);
    const live = e && e.operation === 'PUT' && Date.now() - e.created.getTime() < this.opts.lease_ttl;
    try {
      if (!live) {
        // Free (never taken, released, or past its time): create when absent, else replace the
        // entry we just read; either fails if another brain wrote in between.
        const rev = e ? await this.leasesKv.update(name, value, e.revision) : await this.leasesKv.create(name, value);
        this.leaseRevisions.set(name, rev);
        // The bucket's revisions only grow: the revision of the take is this hold's epoch.
        this.leaseEpochs.set(name, { holder, epoch: rev });
        return true;
      }
      if (decoder.decode(e.value) !== holder) return false;
      this.leaseRevisions.set(name, await this.leasesKv.update(name, value, e.revision));
      return true;
    } catch {
      // Lost a race with another holder's write: not ours this time.
      return false;
    }
  }

  async leaseEpoch(name: string, holder: string): Promise<number | undefined> {
    const mine = this.leaseEpochs.get(name);
    if (!mine || mine.holder !== holder || (await this.leaseHolder(name)) !== holder) return undefined;
    return mine.epoch;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    const e = await this.leasesKv.get(name);
    if (!e || e.operation !== 'PUT' || decoder.decode(e.value) !== holder) return;
    await this.leasesKv.delete(name, { previousSeq: e.revision }).catch(() => {});
    this.leaseRevisions.delete(name);
  }

  async leaseHolder(name: string): Promise<string | undefined> {
    const e = await this.leasesKv.get(name);
    if (!e || e.operation !== 'PUT' || Date.now() - e.created.getTime() >= this.opts.lease_ttl) return undefined;
    return decoder.decode(e.value);
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    this.consumers.clear();
    await this.nc.drain().catch(() => this.nc.close());
  }
}
