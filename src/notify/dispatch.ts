/**
 * From incident news to delivered messages. News of one incident is gathered for `settle` ms and
 * sent as ONE message per contact (a host going down with five services is one mail, not six),
 * written in each contact's language, through each of the contact's channels with retries. Every
 * delivery, good or failed, goes into the incident's timeline; a channel that keeps failing is
 * reported to the operators (contacts that see every target) through their other channels.
 * With a store, every news and every delivery goes through the durable outbox first (outbox.ts
 * says in what order), so a crash loses no message and repeats none without its idempotency key.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { IncidentEventKind, IncidentRecord } from '../core/incident.ts';
import type { SecretLookup } from '../core/secrets.ts';
import { channelLabel, contactWants, seesEverything, type ChannelConfig, type ContactConfig, type TemplatesConfig } from './contacts.ts';
import { compose, type Change, type ComposeInput, type IncidentDetails } from './compose.ts';
import { deliver, type DeliveryOptions, type DeliveryRecord } from './delivery.ts';
import { notifiers } from './index.ts';
import { boundNews, idempotencyKey, OUTBOX_KEEP_MS, pairKey, planRestore, type OutboxEntry, type OutboxStore, type Repeat } from './outbox.ts';
import type { TemplateEvent } from './templates/defaults.ts';
import type { NotificationMessage, Notifier } from './types.ts';

/** The news the dispatcher takes (the incidents room's IncidentNews has this shape). */
export interface News {
  incident: IncidentRecord;
  event: 'open' | 'update' | 'recovered' | 'reminder' | 'escalation' | 'acknowledged';
  /** What changed: sentences or timeline records (worded per contact), or operator lines. */
  changes: readonly Change[];
  level: number;
  by?: string | undefined;
  comment?: string | undefined;
}

export interface DispatcherOptions {
  contacts: ContactConfig[];
  templates: TemplatesConfig;
  settleMs: number;
  /** Longest a message waits for a hold (a runbook at work on the incident). @defaultValue 0 */
  holdMs?: number | undefined;
  delivery: Omit<DeliveryOptions, 'clock' | 'signal'>;
  secret: SecretLookup;
  log: Logger;
  clock: Clock;
  /** The target's address and tags (for messages and contact matching). */
  target(name: string): { address: string; tags: readonly string[] } | undefined;
  /** Appends to the incident's timeline. */
  record(incidentId: number, kind: IncidentEventKind, text: string, data?: Record<string, unknown>): Promise<void>;
  /** Findings and actions other rooms recorded, for the message. */
  details?(incidentId: number): Promise<IncidentDetails | undefined>;
  /** The durable outbox (the store); without it, news lives in memory only. */
  outbox?: OutboxStore | undefined;
  /**
   * Throws when this process may no longer send (a brain that lost the lead, daemon/leader.ts):
   * the message is not sent and stays owed in the outbox, for the brain that leads now.
   */
  fence?: (() => Promise<void>) | undefined;
}

/** One channel's outcome, for `mamoru notify test` and the timeline. */
export interface ChannelOutcome {
  contact: string;
  channel: string;
  record: DeliveryRecord;
}

interface Pending {
  entries: OutboxEntry[];
  timer: ReturnType<Clock['setTimeout']>;
  /** Its settle time is over: it waits for the incident's hold, and goes out once. */
  flushing?: boolean;
}

// When several things happened in one settle window, the message is the most important of them.
const weight: Record<News['event'], number> = { reminder: 0, acknowledged: 1, update: 2, escalation: 3, recovered: 4, open: 5 };

/** The message for gathered news: the most important event, every change, the highest level. */
export function summarize(news: readonly News[], reachedBefore: number): Pick<ComposeInput, 'event' | 'changes' | 'by' | 'comment' | 'firstNews'> & { incident: IncidentRecord; level: number } {
  const top = news.reduce((a, b) => (weight[b.event] >= weight[a.event] ? b : a));
  // The latest view of the incident: in memory every news holds the same live record, but news
  // read back from the outbox after a restart holds the record as it was when that news came.
  const inc = news[news.length - 1]!.incident;
  // An incident that opened and already recovered within the window is told as a recovery.
  const event: TemplateEvent = inc.status === 'resolved' && news.some((n) => n.event === 'recovered') ? 'recovered' : top.event;
  const level = Math.max(reachedBefore, ...news.map((n) => n.level));
  const ack = news.find((n) => n.event === 'acknowledged');
  // Opened and recovered before anyone was told: one message, "stopped working and works again".
  const firstNews = event === 'recovered' && news.some((n) => n.event === 'open');
  return { incident: inc, event, changes: news.flatMap((n) => n.changes), level, by: ack?.by, comment: ack?.comment, firstNews };
}

export class Dispatcher {
  private pending = new Map<number, Pending>();
  private inflight = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();
  /** Highest escalation level each incident reached: who was told must hear of the recovery. */
  private reached = new Map<number, number>();
  private channels = new Map<string, Notifier>();
  /** Work whose findings the incident's next message should carry (a runbook), by incident id. */
  private holds = new Map<number, Promise<unknown>[]>();
  /** Outbox writes in order: news is queued only once it is kept. */
  private writes: Promise<void> = Promise.resolve();
  /** The repeats resume() started: news is done only once they are final too. */
  private repeating: Promise<unknown> = Promise.resolve();
  /** When done news was last pruned (at start, then at most hourly as news gets done). */
  private prunedAt = 0;

  constructor(private readonly opts: DispatcherOptions) {}

  /**
   * Queues news; the incident's message goes out `settle` ms after its first queued news. With
   * an outbox the news is written first, and its settle starts once it is kept.
   */
  enqueue(news: News): void {
    const outbox = this.opts.outbox;
    if (!outbox) return this.queue({ news });
    const write = this.writes.then(
      () =>
        outbox.addOutboxNews({ incidentId: news.incident.id, event: news.event, at: this.opts.clock.now(), news: boundNews(news) }).then(
          (row) => this.queue({ news, id: row.id }),
          (err) => {
            this.opts.log.error({ err, incident: news.incident.id }, `could not keep the news of incident #${news.incident.id} in the outbox; it is sent, but a crash before then would lose it`);
            this.queue({ news });
          },
        ),
    );
    this.writes = write;
    void this.track(write);
  }

  private queue(entry: OutboxEntry): void {
    const id = entry.news.incident.id;
    const p = this.pending.get(id);
    if (p) {
      p.entries.push(entry);
      return;
    }
    const timer = this.opts.clock.setTimeout(() => this.flush(id), this.opts.settleMs);
    this.pending.set(id, { entries: [entry], timer });
  }

  /**
   * At start: what the outbox says is still owed. A message that was being sent is sent again
   * as it was, with its key; news some contact's channel was not told goes through the settle
   * again for those only. Done news older than a week is deleted.
   */
  async resume(): Promise<void> {
    const outbox = this.opts.outbox;
    if (!outbox) return;
    const now = this.opts.clock.now();
    this.prunedAt = now;
    await outbox.pruneOutbox(now - OUTBOX_KEEP_MS).catch((err) => this.opts.log.error({ err }, 'could not prune the outbox'));
    const plan = planRestore(await outbox.pendingOutbox(), now);
    for (const { row, why } of plan.dropped) {
      this.opts.log.warn({ incident: row.incidentId, event: row.event }, `outbox: the ${row.event} news of incident #${row.incidentId} is given up, not sent: ${why}`);
      await outbox.finishOutboxNews([row.id], now).catch((err) => this.opts.log.error({ err }, 'could not mark outbox news done'));
    }
    const owed = [...plan.batches.values()].reduce((n, l) => n + l.length, 0);
    if (owed || plan.repeats.length) this.opts.log.info({ news: owed, repeats: plan.repeats.length }, `outbox: ${owed} news owed from before the restart, ${plan.repeats.length} message(s) to send again with their idempotency keys`);
    this.repeating = Promise.allSettled(plan.repeats.map((r) => this.track(this.repeat(r))));
    for (const entries of plan.batches.values()) for (const e of entries) this.queue(e);
  }

  /**
   * The incident's next message waits for `work` (at most `holdMs`), so it can say what mamoru
   * found and did instead of only what broke.
   */
  hold(incidentId: number, work: Promise<unknown>): void {
    const list = this.holds.get(incidentId) ?? [];
    const p = work.catch(() => undefined);
    list.push(p);
    this.holds.set(incidentId, list);
    // Held until the work ends: a recovery that comes meanwhile waits for it too (bounded).
    void p.then(() => {
      const now = this.holds.get(incidentId)?.filter((x) => x !== p) ?? [];
      if (now.length) this.holds.set(incidentId, now);
      else this.holds.delete(incidentId);
    });
  }

  private async held(incidentId: number): Promise<void> {
    const list = this.holds.get(incidentId);
    if (!list?.length || this.abort.signal.aborted) return;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    await Promise.race([Promise.all(list), new Promise<void>((resolve) => (timer = this.opts.clock.setTimeout(resolve, this.opts.holdMs ?? 0)))]);
    if (timer) this.opts.clock.clearTimeout(timer);
  }

  /** Sends what is queued now (at stop), then waits for every delivery in flight. */
  async drain(): Promise<void> {
    do {
      await this.writes;
      for (const [id, p] of this.pending) {
        this.opts.clock.clearTimeout(p.timer);
        this.flush(id);
      }
      await Promise.allSettled([...this.inflight]);
    } while (this.inflight.size || this.pending.size);
  }

  /**
   * At stop: what is gathered goes out now; deliveries get `graceMs` to finish, then retries are
   * cancelled (each cancelled delivery is still recorded, and stays owed in the outbox: the next
   * start sends it again with its key).
   */
  async stop(graceMs = 5_000): Promise<void> {
    const drained = this.drain();
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (timer = this.opts.clock.setTimeout(resolve, graceMs)))]);
    if (timer) this.opts.clock.clearTimeout(timer);
    this.abort.abort();
    await drained;
    for (const ch of this.channels.values()) ch.close?.();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  private flush(incidentId: number): void {
    const p = this.pending.get(incidentId);
    if (!p || p.flushing) return;
    p.flushing = true;
    // While the message waits for a runbook, what else happens to the incident joins it (one message, not two).
    void this.track(this.held(incidentId).then(() => this.flushNow(incidentId, p)));
  }

  private flushNow(incidentId: number, p: Pending): Promise<void> {
    if (this.pending.get(incidentId) === p) this.pending.delete(incidentId);
    return this.sendEntries(incidentId, p.entries);
  }

  /**
   * One message per contact's channel for the gathered news. A pair already told some of them
   * (before a restart) gets only the rest; a pair told all of them gets nothing.
   */
  private async sendEntries(incidentId: number, entries: OutboxEntry[]): Promise<void> {
    const before = this.reached.get(incidentId) ?? 0;
    const whole = summarize(entries.map((e) => e.news), before);
    this.reached.set(incidentId, whole.level);
    if (whole.event === 'recovered') this.reached.delete(incidentId);
    const inc = whole.incident;
    const target = this.opts.target(inc.target);
    const tags = target?.tags ?? [];
    const groups = new Map<string, { entries: OutboxEntry[]; pairs: { c: ContactConfig; ch: ChannelConfig; i: number }[] }>();
    for (const c of this.opts.contacts)
      c.channels.forEach((ch, i) => {
        const owed = entries.filter((e) => !e.covered?.has(pairKey(c.name, i)));
        if (owed.length === 0) return;
        const k = owed.map((e) => entries.indexOf(e)).join(',');
        const g = groups.get(k) ?? { entries: owed, pairs: [] };
        g.pairs.push({ c, ch: ch as ChannelConfig, i });
        groups.set(k, g);
      });
    const details = groups.size ? await this.opts.details?.(inc.id).catch(() => undefined) : undefined;
    let told = false;
    let cancelled = false;
    await Promise.all(
      [...groups.values()].map(async (g) => {
        const what = g.entries.length === entries.length ? whole : summarize(g.entries.map((e) => e.news), before);
        const pairs = g.pairs.filter(({ c }) => contactWants(c, { name: inc.target, tags }, what.level));
        if (pairs.length === 0) return;
        told = true;
        const { incident, ...rest } = what;
        const input: ComposeInput = { ...rest, incident, address: target?.address, details, now: this.opts.clock.now() };
        const ids = g.entries.flatMap((e) => (e.id === undefined ? [] : [e.id]));
        await Promise.all(pairs.map(async ({ c, ch, i }) => void ((await this.deliverOne(c, ch, i, ids, input)) === 'cancelled' && (cancelled = true))));
      }),
    );
    if (!told && !entries.some((e) => e.covered?.size)) {
      // With no contacts at all (the default config) this is expected; with some, a gap in the config.
      this.opts.log[this.opts.contacts.length === 0 ? 'info' : 'warn']({ incident: inc.id }, `incident #${inc.id}: no contact wants news of ${inc.target}; nobody was told`);
    }
    await this.done(entries, cancelled);
  }

  /** The news is done once every delivery of it is final (a cancelled one at stop is owed at the next start). */
  private async done(entries: readonly OutboxEntry[], cancelled: boolean): Promise<void> {
    const ids = entries.flatMap((e) => (e.id === undefined ? [] : [e.id]));
    if (cancelled || ids.length === 0 || !this.opts.outbox) return;
    await this.repeating;
    const now = this.opts.clock.now();
    await this.opts.outbox.finishOutboxNews(ids, now).catch((err) => this.opts.log.error({ err }, 'could not mark outbox news done'));
    if (now - this.prunedAt < 3600_000) return;
    this.prunedAt = now;
    await this.opts.outbox.pruneOutbox(now - OUTBOX_KEEP_MS).catch((err) => this.opts.log.error({ err }, 'could not prune the outbox'));
  }

  /**
   * One message to one contact's channel: its `sending` rows first, then the send, then the
   * mark. Returns `cancelled` when mamoru stopped before it was known to arrive (owed at start).
   */
  private async deliverOne(c: ContactConfig, ch: ChannelConfig, i: number, ids: readonly number[], input: ComposeInput, key?: string): Promise<'ok' | 'failed' | 'cancelled'> {
    const inc = input.incident!;
    const outbox = ids.length ? this.opts.outbox : undefined;
    const message: NotificationMessage = { ...compose(c, this.opts.templates, input), idempotencyKey: key ?? (ids.length ? idempotencyKey(ids, c.name, i) : randomUUID()) };
    const k = message.idempotencyKey!;
    if (this.opts.fence) {
      try {
        await this.opts.fence();
      } catch (err) {
        this.opts.log.warn({ err, incident: inc.id, contact: c.name }, `not sent to ${c.name}: ${(err as Error).message}; it stays owed in the outbox`);
        return 'cancelled';
      }
    }
    if (outbox) await outbox.startOutboxDelivery({ newsIds: ids, contact: c.name, channel: i, key: k, at: this.opts.clock.now() }).catch((err) => this.opts.log.error({ err, incident: inc.id }, 'could not write the outbox delivery row; sending anyway'));
    const out = await this.send(c, ch, i, message);
    const cancelled = !out.record.ok && this.abort.signal.aborted;
    if (outbox && !cancelled) await outbox.finishOutboxDelivery(k, out.record.ok ? 'delivered' : 'failed', this.opts.clock.now(), out.record.error).catch((err) => this.opts.log.error({ err, incident: inc.id }, 'could not mark an outbox delivery'));
    await this.recordOutcome(inc, out, message);
    // A send cut short by the stop is owed at the next start, not a failing channel.
    if (!out.record.ok && !cancelled) await this.reportFailure(inc, c, i, out);
    return cancelled ? 'cancelled' : out.record.ok ? 'ok' : 'failed';
  }

  /** A message that was being sent when mamoru stopped, sent again with the same key. */
  private async repeat(r: Repeat): Promise<void> {
    const outbox = this.opts.outbox!;
    const c = this.opts.contacts.find((x) => x.name === r.contact);
    const ch = c?.channels[r.channel] as ChannelConfig | undefined;
    const now = this.opts.clock.now();
    if (!c || !ch) {
      this.opts.log.warn({ contact: r.contact, channel: r.channel }, `outbox: contact ${r.contact} channel ${r.channel + 1} is no longer configured; a message being sent to it before the restart is given up`);
      await outbox.finishOutboxDelivery(r.key, 'failed', now, 'the contact or channel is no longer configured').catch(() => undefined);
      return;
    }
    const what = summarize(r.entries.map((e) => e.news), 0);
    const { incident, ...rest } = what;
    const target = this.opts.target(incident.target);
    const details = await this.opts.details?.(incident.id).catch(() => undefined);
    this.opts.log.info({ incident: incident.id, contact: c.name, channel: channelLabel(ch), key: r.key }, `outbox: sending again to ${c.name} by ${channelLabel(ch)} what was being sent when mamoru stopped (same idempotency key)`);
    await this.deliverOne(c, ch, r.channel, r.entries.map((e) => e.id!), { ...rest, incident, address: target?.address, details, now }, r.key);
  }

  private channel(contact: ContactConfig, ch: ChannelConfig, index: number): Notifier {
    const key = `${contact.name}#${index}`;
    let n = this.channels.get(key);
    if (!n) {
      const def = notifiers[ch.type as keyof typeof notifiers];
      n = def.create(ch as never, { secret: this.opts.secret, log: this.opts.log.child({ room: 'notify', contact: contact.name, channel: channelLabel(ch) }), signal: this.abort.signal });
      this.channels.set(key, n);
    }
    return n;
  }

  private async send(contact: ContactConfig, ch: ChannelConfig, index: number, message: NotificationMessage): Promise<ChannelOutcome> {
    const channel = channelLabel(ch);
    let record: DeliveryRecord;
    try {
      record = await deliver(this.channel(contact, ch, index), message, { ...this.opts.delivery, clock: this.opts.clock, signal: this.abort.signal });
    } catch (e) {
      record = { ok: false, attempts: [], error: e instanceof Error ? e.message : String(e) };
    }
    return { contact: contact.name, channel, record };
  }

  private async recordOutcome(inc: IncidentRecord, out: ChannelOutcome, message: NotificationMessage): Promise<void> {
    const last = out.record.attempts[out.record.attempts.length - 1];
    const n = out.record.attempts.length;
    const text = out.record.ok
      ? `told ${out.contact} by ${out.channel}: "${message.subject}"${n > 1 ? ` (attempt ${n})` : ''}${last?.detail ? ` - ${last.detail}` : ''}`
      : `could not tell ${out.contact} by ${out.channel}: ${out.record.error}`;
    if (out.record.ok) this.opts.log.info({ incident: inc.id, contact: out.contact, channel: out.channel }, text);
    else this.opts.log.error({ incident: inc.id, contact: out.contact, channel: out.channel }, text);
    await this.opts.record(inc.id, out.record.ok ? 'notified' : 'notify-failed', text, { contact: out.contact, channel: out.channel, subject: message.subject, attempts: out.record.attempts }).catch((err) => this.opts.log.error({ err }, 'could not record a delivery'));
  }

  /** Tells the operators, through every channel but the failing one, that a contact was not reached. */
  private async reportFailure(inc: IncidentRecord, failed: ContactConfig, index: number, out: ChannelOutcome): Promise<void> {
    const input: ComposeInput = { event: 'channel_failed', incident: inc, address: this.opts.target(inc.target)?.address, channel: out.channel, error: out.record.error, now: this.opts.clock.now() };
    const sends = this.opts.contacts
      .filter(seesEverything)
      .flatMap((c) => c.channels.map((ch, i) => ({ c, ch: ch as ChannelConfig, i })))
      .filter(({ c, i }) => !(c.name === failed.name && i === index));
    if (sends.length === 0) {
      this.opts.log.error({ incident: inc.id }, `no other channel to report that ${out.contact} by ${out.channel} is failing`);
      return;
    }
    await Promise.all(
      sends.map(async ({ c, ch, i }) => {
        const message = compose({ ...c, name: failed.name }, this.opts.templates, input);
        const res = await this.send(c, ch, i, message);
        await this.recordOutcome(inc, res, message);
      }),
    );
  }

  /** `mamoru notify test`: a test message through each of a contact's channels (with the configured retries). */
  async test(contactName: string): Promise<ChannelOutcome[]> {
    const c = this.opts.contacts.find((x) => x.name === contactName);
    if (!c) throw new RangeError(`unknown contact "${contactName}"; known: ${this.opts.contacts.map((x) => x.name).join(', ') || '(none configured)'}`);
    return Promise.all(
      c.channels.map((ch, i) => {
        const message = compose(c, this.opts.templates, { event: 'test', incident: null, channel: channelLabel(ch as ChannelConfig), now: this.opts.clock.now() });
        return this.send(c, ch as ChannelConfig, i, message);
      }),
    );
  }
}
