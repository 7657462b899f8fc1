/**
 * The dispatcher's durable outbox (issue 16): what a crash must not lose, and what it must not
 * send twice. The order, kept by dispatch.ts:
 *   1. news is written to the store before its settle timer starts (so a kill during settle
 *      loses nothing);
 *   2. before a message goes to a contact's channel, a `sending` row per news it carries, with
 *      the message's idempotency key (so a kill during the send is known);
 *   3. after it: `delivered`, or `failed` once delivery.ts gave up;
 *   4. when every delivery of the batch is final, the news is done.
 * At start (`Dispatcher.resume`), a message still `sending` is sent again as it was, with the
 * same key (it may have arrived: the receiver drops the repeat), and news not told to some
 * contact's channel goes through the settle again for those only; a pair already told is never
 * told again. This file holds the pure parts: keys, bounds and the plan of what is owed.
 */
import { createHash } from 'node:crypto';
import type { OutboxDelivery, OutboxNews, Store } from '../store/types.ts';
import type { News } from './dispatch.ts';

/** The store methods the dispatcher needs. */
export type OutboxStore = Pick<Store, 'addOutboxNews' | 'startOutboxDelivery' | 'finishOutboxDelivery' | 'finishOutboxNews' | 'pendingOutbox' | 'pruneOutbox'>;

/** News kept in the outbox is trimmed to this much JSON (changes dropped from the end). */
export const NEWS_MAX_BYTES = 64 * 1024;
/** News older than this at a start is given up, not sent: a message a day late misleads. */
export const OUTBOX_MAX_AGE_MS = 24 * 3600_000;
/** Done news is deleted from the outbox after this long. */
export const OUTBOX_KEEP_MS = 7 * 24 * 3600_000;

/** One contact's channel: `ops#0`. */
export const pairKey = (contact: string, channel: number): string => `${contact}#${channel}`;

/**
 * The message's idempotency key: the same news told to the same contact's channel always gets
 * the same key (outbox ids are never reused), so a repeat after a crash carries it too.
 */
export function idempotencyKey(newsIds: readonly number[], contact: string, channel: number): string {
  const ids = [...newsIds].sort((a, b) => a - b).join(',');
  return createHash('sha256').update(`mamoru-outbox\n${ids}\n${contact}\n${channel}`).digest('hex').slice(0, 32);
}

/** The news as the outbox keeps it: changes past NEWS_MAX_BYTES are counted, not kept. */
export function boundNews(news: News): News {
  const size = (n: News) => Buffer.byteLength(JSON.stringify(n));
  if (size(news) <= NEWS_MAX_BYTES) return news;
  const changes = [...news.changes];
  let dropped = 0;
  while (changes.length && size({ ...news, changes: [...changes, `(${dropped} more changes not kept)`] }) > NEWS_MAX_BYTES) {
    changes.pop();
    dropped++;
  }
  return { ...news, changes: dropped ? [...changes, `(${dropped} more changes not kept)`] : changes };
}

/** A queued news and, for one read back after a restart, the pairs already told or being told. */
export interface OutboxEntry {
  news: News;
  /** Its outbox id; undefined when it is not kept (no store, or the write failed). */
  id?: number | undefined;
  covered?: ReadonlySet<string> | undefined;
}

/** A message that was being sent when mamoru stopped: sent again as it was. */
export interface Repeat {
  key: string;
  contact: string;
  channel: number;
  entries: OutboxEntry[];
}

export interface RestorePlan {
  repeats: Repeat[];
  /** News owed to some pairs, by incident, oldest first: they go through the settle again. */
  batches: Map<number, OutboxEntry[]>;
  /** News given up: too old, or not readable. */
  dropped: { row: OutboxNews; why: string }[];
}

function readable(v: unknown): v is News {
  const n = v as News | null;
  return typeof n === 'object' && n !== null && typeof n.event === 'string' && typeof n.incident?.id === 'number' && Array.isArray(n.changes) && typeof n.level === 'number';
}

/** What is owed after a restart, from the outbox as the store reads it back. */
export function planRestore(pending: { news: readonly OutboxNews[]; deliveries: readonly OutboxDelivery[] }, now: number): RestorePlan {
  const dropped: RestorePlan['dropped'] = [];
  const fresh = new Map<number, News>();
  for (const row of pending.news) {
    if (!readable(row.news)) dropped.push({ row, why: 'the kept news cannot be read' });
    else if (now - row.at > OUTBOX_MAX_AGE_MS) dropped.push({ row, why: `it is ${Math.round((now - row.at) / 3600_000)} hours old` });
    else fresh.set(row.id, row.news);
  }
  const covered = new Map<number, Set<string>>();
  const sending = new Map<string, Repeat>();
  for (const d of pending.deliveries) {
    const news = fresh.get(d.newsId);
    if (!news) continue;
    const set = covered.get(d.newsId) ?? new Set<string>();
    set.add(pairKey(d.contact, d.channel));
    covered.set(d.newsId, set);
    if (d.status !== 'sending') continue;
    const r = sending.get(d.key) ?? { key: d.key, contact: d.contact, channel: d.channel, entries: [] };
    r.entries.push({ news, id: d.newsId });
    sending.set(d.key, r);
  }
  const batches = new Map<number, OutboxEntry[]>();
  for (const [id, news] of fresh) {
    const list = batches.get(news.incident.id) ?? [];
    list.push({ news, id, covered: covered.get(id) ?? new Set() });
    batches.set(news.incident.id, list);
  }
  return { repeats: [...sending.values()], batches, dropped };
}
