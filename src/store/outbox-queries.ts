/**
 * The outbox's queries (news owed to contacts, one delivery row per news, contact and channel)
 * and the stored approvals, over any Kysely database in SQL that SQLite and PostgreSQL both
 * accept. KyselyStore delegates here. Writes are single statements or one transaction, so a kill
 * at any instant leaves either the row or nothing: the dispatcher's ordering (news before the
 * settle timer, `sending` before the send, the mark after it) is what makes delivery crash-safe.
 */
import type { Kysely, Selectable } from 'kysely';
import type { ApprovalsTable, Database, OutboxDeliveriesTable, OutboxTable } from './database.ts';
import { OUTBOX_MAX_BYTES, type ApprovalPlan, type OutboxDelivery, type OutboxNews, type OutboxStatus, type StoredApproval } from './types.ts';

type Db = Kysely<Database>;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
// Bound parameters per IN list: well under every engine's limit.
const IDS_PER_QUERY = 500;

function newsFromRow(r: Selectable<OutboxTable>): OutboxNews {
  return { id: num(r.id), incidentId: num(r.incident_id), event: r.event, at: num(r.at), news: JSON.parse(r.news) as unknown, doneAt: numOrNull(r.done_at) };
}

function deliveryFromRow(r: Selectable<OutboxDeliveriesTable>): OutboxDelivery {
  return { newsId: num(r.outbox_id), contact: r.contact, channel: num(r.channel), key: r.key, status: r.status as OutboxStatus, at: num(r.created_at), doneAt: numOrNull(r.done_at), error: r.error };
}

/** The largest plan kept with an approval (argv lists and changes as JSON); a larger one is not stored. */
const PLAN_MAX_BYTES = 64 * 1024;

/** A stored plan read back; undefined when absent (rows before schema 10) or not readable. */
function planFromRow(text: string | null | undefined): ApprovalPlan | undefined {
  if (!text) return undefined;
  try {
    const p = JSON.parse(text) as ApprovalPlan;
    return Array.isArray(p?.commands) && Array.isArray(p?.changes) ? p : undefined;
  } catch {
    return undefined;
  }
}

function approvalFromRow(r: Selectable<ApprovalsTable>): StoredApproval {
  const plan = planFromRow(r.plan);
  return {
    id: r.id,
    action: r.action,
    target: r.target,
    service: r.service,
    text: r.text,
    requestedAt: num(r.requested_at),
    expiresAt: num(r.expires_at),
    status: r.status as StoredApproval['status'],
    ...(r.decided_by !== null ? { by: r.decided_by } : {}),
    ...(r.decided_at !== null ? { decidedAt: num(r.decided_at) } : {}),
    ...(plan ? { plan } : {}),
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function addOutboxNews(db: Db, n: Omit<OutboxNews, 'id' | 'doneAt'>): Promise<OutboxNews> {
  const text = JSON.stringify(n.news ?? null);
  const bytes = Buffer.byteLength(text);
  if (bytes > OUTBOX_MAX_BYTES) throw new RangeError(`outbox news for incident #${n.incidentId} is ${bytes} bytes of JSON, more than the ${OUTBOX_MAX_BYTES} kept; trim it before writing`);
  const row = await db
    .insertInto('outbox')
    .values({ incident_id: n.incidentId, event: n.event, at: Math.round(n.at), news: text, done_at: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  // What is read back after a restart is the JSON, so the caller gets the same.
  return { id: num(row.id), incidentId: n.incidentId, event: n.event, at: Math.round(n.at), news: JSON.parse(text) as unknown, doneAt: null };
}

export async function startOutboxDelivery(db: Db, d: { newsIds: readonly number[]; contact: string; channel: number; key: string; at: number }): Promise<void> {
  if (d.newsIds.length === 0) return;
  const rows = d.newsIds.map((id) => ({ outbox_id: id, contact: d.contact, channel: d.channel, key: d.key, status: 'sending', created_at: Math.round(d.at), done_at: null, error: null }));
  await db.transaction().execute(async (trx) => {
    // A row already there is a repeat of the same message (its key) or a pair already told: kept as it is.
    for (const part of chunks(rows, 100)) await trx.insertInto('outbox_deliveries').values(part).onConflict((oc) => oc.columns(['outbox_id', 'contact', 'channel']).doNothing()).execute();
  });
}

export async function finishOutboxDelivery(db: Db, key: string, status: 'delivered' | 'failed', at: number, error?: string): Promise<number> {
  const r = await db
    .updateTable('outbox_deliveries')
    .set({ status, done_at: Math.round(at), error: error === undefined ? null : error.slice(0, 2000) })
    .where('key', '=', key)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function finishOutboxNews(db: Db, ids: readonly number[], at: number): Promise<void> {
  for (const part of chunks(ids, IDS_PER_QUERY)) await db.updateTable('outbox').set({ done_at: Math.round(at) }).where('id', 'in', part).where('done_at', 'is', null).execute();
}

export async function pendingOutbox(db: Db, limit = 1000): Promise<{ news: OutboxNews[]; deliveries: OutboxDelivery[] }> {
  const news = (await db.selectFrom('outbox').selectAll().where('done_at', 'is', null).orderBy('id').limit(limit).execute()).map(newsFromRow);
  const deliveries: OutboxDelivery[] = [];
  for (const part of chunks(news.map((n) => n.id), IDS_PER_QUERY)) {
    const rows = await db.selectFrom('outbox_deliveries').selectAll().where('outbox_id', 'in', part).orderBy('outbox_id').orderBy('contact').orderBy('channel').execute();
    deliveries.push(...rows.map(deliveryFromRow));
  }
  return { news, deliveries };
}

export async function pruneOutbox(db: Db, before: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const done = (eb: Db) => eb.selectFrom('outbox').select('id').where('done_at', 'is not', null).where('done_at', '<', Math.round(before));
    await trx.deleteFrom('outbox_deliveries').where('outbox_id', 'in', done(trx)).execute();
    const r = await trx.deleteFrom('outbox').where('done_at', 'is not', null).where('done_at', '<', Math.round(before)).executeTakeFirst();
    return Number(r.numDeletedRows);
  });
}

function planText(plan: ApprovalPlan | undefined): string | null {
  if (!plan) return null;
  const text = JSON.stringify(plan);
  return Buffer.byteLength(text) <= PLAN_MAX_BYTES ? text : null;
}

export async function saveApproval(db: Db, a: StoredApproval): Promise<void> {
  const row = {
    id: a.id,
    action: a.action,
    target: a.target,
    service: a.service,
    text: a.text.slice(0, 4000),
    requested_at: Math.round(a.requestedAt),
    expires_at: Math.round(a.expiresAt),
    status: a.status,
    decided_by: a.by ?? null,
    decided_at: a.decidedAt === undefined ? null : Math.round(a.decidedAt),
    plan: planText(a.plan),
  };
  const { id: _id, ...rest } = row;
  await db.insertInto('approvals').values(row).onConflict((oc) => oc.column('id').doUpdateSet(rest)).execute();
}

export async function approvals(db: Db, opts: { status?: StoredApproval['status'] } = {}): Promise<StoredApproval[]> {
  let q = db.selectFrom('approvals').selectAll();
  if (opts.status) q = q.where('status', '=', opts.status);
  return (await q.orderBy('requested_at').orderBy('id').limit(10_000).execute()).map(approvalFromRow);
}
