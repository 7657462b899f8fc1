/**
 * From incident news to delivered messages. News of one incident is gathered for `settle` ms and
 * sent as ONE message per contact (a host going down with five services is one mail, not six),
 * written in each contact's language, through each of the contact's channels with retries. Every
 * delivery, good or failed, goes into the incident's timeline; a channel that keeps failing is
 * reported to the operators (contacts that see every target) through their other channels.
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { IncidentEventKind, IncidentRecord } from '../core/incident.ts';
import type { SecretLookup } from '../core/secrets.ts';
import { channelLabel, contactWants, seesEverything, type ChannelConfig, type ContactConfig, type TemplatesConfig } from './contacts.ts';
import { compose, type Change, type ComposeInput, type IncidentDetails } from './compose.ts';
import { deliver, type DeliveryOptions, type DeliveryRecord } from './delivery.ts';
import { notifiers } from './index.ts';
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
}

/** One channel's outcome, for `mamoru notify test` and the timeline. */
export interface ChannelOutcome {
  contact: string;
  channel: string;
  record: DeliveryRecord;
}

interface Pending {
  news: News[];
  timer: ReturnType<Clock['setTimeout']>;
  /** Its settle time is over: it waits for the incident's hold, and goes out once. */
  flushing?: boolean;
}

// When several things happened in one settle window, the message is the most important of them.
const weight: Record<News['event'], number> = { reminder: 0, acknowledged: 1, update: 2, escalation: 3, recovered: 4, open: 5 };

export class Dispatcher {
  private pending = new Map<number, Pending>();
  private inflight = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();
  /** Highest escalation level each incident reached: who was told must hear of the recovery. */
  private reached = new Map<number, number>();
  private channels = new Map<string, Notifier>();
  /** Work whose findings the incident's next message should carry (a runbook), by incident id. */
  private holds = new Map<number, Promise<unknown>[]>();

  constructor(private readonly opts: DispatcherOptions) {}

  /** Queues news; the incident's message goes out `settle` ms after its first queued news. */
  enqueue(news: News): void {
    const p = this.pending.get(news.incident.id);
    if (p) {
      p.news.push(news);
      return;
    }
    const timer = this.opts.clock.setTimeout(() => this.flush(news.incident.id), this.opts.settleMs);
    this.pending.set(news.incident.id, { news: [news], timer });
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
    for (const [id, p] of this.pending) {
      this.opts.clock.clearTimeout(p.timer);
      this.flush(id);
    }
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  /**
   * At stop: what is gathered goes out now; deliveries get `graceMs` to finish, then retries are
   * cancelled (each cancelled delivery is still recorded).
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
    const top = p.news.reduce((a, b) => (weight[b.event] >= weight[a.event] ? b : a));
    const inc = top.incident;
    // An incident that opened and already recovered within the window is told as a recovery.
    const event: TemplateEvent = inc.status === 'resolved' && p.news.some((n) => n.event === 'recovered') ? 'recovered' : top.event;
    const level = Math.max(this.reached.get(incidentId) ?? 0, ...p.news.map((n) => n.level));
    this.reached.set(incidentId, level);
    if (event === 'recovered') this.reached.delete(incidentId);
    const changes = p.news.flatMap((n) => n.changes);
    const ack = p.news.find((n) => n.event === 'acknowledged');
    // Opened and recovered before anyone was told: one message, "stopped working and works again".
    const firstNews = event === 'recovered' && p.news.some((n) => n.event === 'open');
    return this.sendIncident(inc, { event, changes, level, by: ack?.by, comment: ack?.comment, firstNews });
  }

  private async sendIncident(inc: IncidentRecord, what: Pick<ComposeInput, 'event' | 'changes' | 'level' | 'by' | 'comment' | 'firstNews'>): Promise<void> {
    const target = this.opts.target(inc.target);
    const tags = target?.tags ?? [];
    const contacts = this.opts.contacts.filter((c) => contactWants(c, { name: inc.target, tags }, what.level ?? 0));
    if (contacts.length === 0) {
      // With no contacts at all (the default config) this is expected; with some, a gap in the config.
      this.opts.log[this.opts.contacts.length === 0 ? 'info' : 'warn']({ incident: inc.id }, `incident #${inc.id}: no contact wants news of ${inc.target}; nobody was told`);
      return;
    }
    const details = await this.opts.details?.(inc.id).catch(() => undefined);
    const input: ComposeInput = { ...what, incident: inc, address: target?.address, details, now: this.opts.clock.now() };
    await Promise.all(
      contacts.flatMap((c) =>
        c.channels.map(async (ch, i) => {
          const message = compose(c, this.opts.templates, input);
          const out = await this.send(c, ch as ChannelConfig, i, message);
          await this.recordOutcome(inc, out, message);
          if (!out.record.ok) await this.reportFailure(inc, c, i, out);
        }),
      ),
    );
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
