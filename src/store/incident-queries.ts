/**
 * The incident list's keyset pages: newest first by (opened_at, id), filtered by status, target
 * and kind in the query (each served by an index of migration 0009), and by a caller's predicate
 * (a viewer's scope) after it, reading on until the page is full or the incidents run out, so a
 * page is never short while more visible incidents exist. The cursor is opaque to callers: the
 * key of the row it continues from and the direction (older or newer).
 */
import type { Kysely } from 'kysely';
import type { IncidentKind, IncidentRecord, IncidentStatus } from '../core/incident.ts';
import type { Database } from './database.ts';
import { incidentFromRow } from './rows.ts';

/** What one page of the incident list asks for. */
export interface IncidentPageQuery {
  status?: IncidentStatus | undefined;
  target?: string | undefined;
  kind?: IncidentKind | undefined;
  /** Incidents on the page, 1 to 1000. */
  limit: number;
  /** A `next` or `prev` of an earlier page; absent: the newest incidents. */
  cursor?: string | undefined;
  /** Only incidents of targets this accepts (a viewer's scope); the page is still filled. */
  see?: ((target: string) => boolean) | undefined;
}

export interface IncidentPage {
  /** Newest first. */
  items: IncidentRecord[];
  /** The cursor of the older incidents after this page; null when there are none. */
  next: string | null;
  /** The cursor of the newer incidents before this page; null on the newest page. */
  prev: string | null;
}

/** A cursor that was not made by incidentPage (tampered, truncated): the caller's mistake. */
export class IncidentCursorError extends RangeError {
  constructor() {
    super('not a cursor of the incident list');
    this.name = 'IncidentCursorError';
  }
}

type Key = { openedAt: number; id: number };
type Dir = 'older' | 'newer';

const MAX_CURSOR = 64;

function encode(dir: Dir, k: Key): string {
  return Buffer.from(`${dir === 'older' ? 'o' : 'n'}:${k.openedAt}:${k.id}`).toString('base64url');
}

function decode(cursor: string): { dir: Dir; key: Key } {
  if (cursor.length > MAX_CURSOR || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new IncidentCursorError();
  const m = /^([on]):(-?\d{1,16}):(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!m) throw new IncidentCursorError();
  const key = { openedAt: Number(m[2]), id: Number(m[3]) };
  if (!Number.isSafeInteger(key.openedAt) || !Number.isSafeInteger(key.id)) throw new IncidentCursorError();
  return { dir: m[1] === 'o' ? 'older' : 'newer', key };
}

const keyOf = (i: IncidentRecord): Key => ({ openedAt: i.openedAt, id: i.id });

/** Reads rows past `from` in one direction, in batches, until `want` rows pass `see` or none are left. */
async function walk(db: Kysely<Database>, q: IncidentPageQuery, dir: Dir, from: Key | undefined, want: number): Promise<IncidentRecord[]> {
  const out: IncidentRecord[] = [];
  let after = from;
  // Unscoped, one read of want rows; scoped, batches that grow, so a narrow scope costs few reads.
  let batch = q.see ? Math.max(want, 100) : want;
  for (;;) {
    let s = db.selectFrom('incidents').selectAll();
    if (q.status) s = s.where('status', '=', q.status);
    if (q.target !== undefined) s = s.where('target', '=', q.target);
    if (q.kind) s = s.where('kind', '=', q.kind);
    if (after) {
      const k = after;
      s = s.where((eb) => eb(eb.refTuple('opened_at', 'id'), dir === 'older' ? '<' : '>', eb.tuple(k.openedAt, k.id)));
    }
    const order = dir === 'older' ? 'desc' : 'asc';
    const rows = (await s.orderBy('opened_at', order).orderBy('id', order).limit(batch).execute()).map(incidentFromRow);
    for (const r of rows) {
      if (q.see && !q.see(r.target)) continue;
      out.push(r);
      if (out.length === want) return out;
    }
    if (rows.length < batch) return out;
    after = keyOf(rows[rows.length - 1]!);
    batch = Math.min(batch * 2, 5000);
  }
}

/**
 * The cursor of the pages before keyset cursors: a bare id, "older than incident #id" (bookmarks
 * and API clients may still hold one). Our own cursors are base64url of `o:`/`n:`, never digits.
 */
async function byId(db: Kysely<Database>, id: number): Promise<{ dir: Dir; key: Key }> {
  const row = await db.selectFrom('incidents').select(['opened_at', 'id']).where('id', '=', id).executeTakeFirst();
  if (!row) throw new IncidentCursorError();
  return { dir: 'older', key: { openedAt: Number(row.opened_at), id: Number(row.id) } };
}

/** One page of incidents, newest first, with the cursors of the pages beside it. */
export async function incidentPage(db: Kysely<Database>, q: IncidentPageQuery): Promise<IncidentPage> {
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > 1000) throw new RangeError(`limit ${q.limit} is not 1 to 1000`);
  const at = q.cursor === undefined || q.cursor === '' ? undefined : /^\d{1,15}$/.test(q.cursor) ? await byId(db, Number(q.cursor)) : decode(q.cursor);
  if (at?.dir === 'newer') {
    // Newer than the cursor: read upwards, keep the `limit` just above it, newest first.
    const rows = await walk(db, q, 'newer', at.key, q.limit + 1);
    // Fewer than a page above it: that is the newest page, read from the top so it is full.
    if (rows.length <= q.limit) return incidentPage(db, { ...q, cursor: undefined });
    const items = rows.slice(0, q.limit).reverse();
    const last = items[items.length - 1];
    return { items, next: last ? encode('older', keyOf(last)) : null, prev: items[0] ? encode('newer', keyOf(items[0])) : null };
  }
  const rows = await walk(db, q, 'older', at?.key, q.limit + 1);
  const items = rows.slice(0, q.limit);
  const first = items[0];
  return {
    items,
    next: rows.length > q.limit ? encode('older', keyOf(items[items.length - 1]!)) : null,
    prev: at && first ? encode('newer', keyOf(first)) : null,
  };
}
