/**
 * The overview's index: every check's current row, kept in the orders the overview offers
 * (problems first, by name, by last change) and counted per target, updated one check at a time
 * as results arrive. A page request walks an order from its cursor and stops when the page is
 * full: it never sorts or renders the whole table (issue 17: at 100,000 checks a full render took
 * seconds and blocked the scheduler).
 */
import type { StateName } from '../core/nagios.ts';
import { Ordered, type Probe } from './overview-order.ts';
import type { TargetView } from './types.ts';

/** How a problem is handled: a person acknowledged it, or its check is in a scheduled downtime. */
export type Handled = 'ack' | 'downtime' | null;

export interface OverviewRow {
  id: string;
  target: string;
  /** The check's name (its id without `target/`). */
  name: string;
  type: string;
  tags: readonly string[];
  state: 0 | 1 | 2 | 3;
  stateType: 'soft' | 'hard';
  attempt: number;
  maxAttempts: number;
  text: string;
  /** ms; null before the first result (pending). */
  lastCheck: number | null;
  lastChange: number;
  durationMs: number | null;
  handled: Handled;
  /** Problems first: 0-2 hard, 10-12 soft, 20-22 handled (CRITICAL, UNKNOWN, WARNING), 40 pending, 50 OK. */
  rank: number;
  /** The id and text in lower case, for the free-text filter: made when a filter first reads it after the text changed. */
  haystack: string | undefined;
}

/** A check's state as the daemon keeps it (ms times; `lastCheck` 0 before the first result). */
export interface StateFields {
  state: number;
  stateType: 'soft' | 'hard';
  attempt: number;
  text: string;
  lastCheck: number;
  lastChange: number;
}

/** One configured check as the daemon installs it (no view with ISO times is built). */
export interface CheckRowInput {
  id: string;
  target: string;
  name: string;
  type: string;
  maxAttempts: number;
  state: StateFields;
  durationMs: number | null;
}

/** A duration as the console shows it: µs precision. */
const roundMs = (ms: number | null) => (ms === null ? null : Math.round(ms * 1000) / 1000);

/** The buckets the overview counts and filters by. */
export const BUCKETS = ['CRITICAL', 'WARNING', 'UNKNOWN', 'OK', 'PENDING', 'handled'] as const;
export type Bucket = (typeof BUCKETS)[number];
export type Counts = Record<Bucket, number>;

export const SORTS = ['problems', 'name', 'changed'] as const;
export type Sort = (typeof SORTS)[number];

export const STATE_FILTERS = ['problems', 'critical', 'warning', 'unknown', 'ok', 'pending', 'handled'] as const;
export type StateFilter = (typeof STATE_FILTERS)[number];

export interface OverviewQuery {
  state?: StateFilter | undefined;
  target?: string | undefined;
  tag?: string | undefined;
  type?: string | undefined;
  /** Free text: a piece of the check's id or its last text (case-insensitive). */
  q?: string | undefined;
  sort: Sort;
  cursor?: string | undefined;
  limit: number;
  /** The reader's scope. */
  see: (target: string) => boolean;
}

/** What a row's change looks like to a live page: the row as now, and the bucket it left. */
export interface RowChange {
  row: OverviewRow;
  was: Bucket | null;
}

const NAMES: StateName[] = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
const SEVERITY = [9, 2, 0, 1];

export function bucketOf(r: Pick<OverviewRow, 'state' | 'lastCheck' | 'handled'>): Bucket {
  if (r.lastCheck === null) return 'PENDING';
  if (r.state !== 0 && r.handled) return 'handled';
  return NAMES[r.state]!;
}

function rankOf(r: Pick<OverviewRow, 'lastCheck' | 'state' | 'stateType' | 'handled'>): number {
  if (r.lastCheck === null) return 40;
  if (r.state === 0) return 50;
  return (r.handled ? 20 : r.stateType === 'soft' ? 10 : 0) + SEVERITY[r.state]!;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const ORDERS: Record<Sort, (a: Probe, b: Probe) => number> = {
  problems: (a, b) => a.rank - b.rank || byText(a.id, b.id),
  name: (a, b) => byText(a.id, b.id),
  // Newest change first.
  changed: (a, b) => b.lastChange - a.lastChange || byText(a.id, b.id),
};

const zero = (): Counts => ({ CRITICAL: 0, WARNING: 0, UNKNOWN: 0, OK: 0, PENDING: 0, handled: 0 });

function rowFrom(c: CheckRowInput, tags: readonly string[], handled: Handled): OverviewRow {
  const s = c.state;
  const r: OverviewRow = {
    id: c.id,
    target: c.target,
    name: c.name,
    type: c.type,
    tags,
    state: s.state as 0 | 1 | 2 | 3,
    stateType: s.stateType,
    attempt: s.attempt,
    maxAttempts: c.maxAttempts,
    text: s.text,
    lastCheck: s.lastCheck ? s.lastCheck : null,
    lastChange: s.lastChange,
    durationMs: roundMs(c.durationMs),
    handled: s.state === 0 ? null : handled,
    rank: 0,
    haystack: undefined,
  };
  r.rank = rankOf(r);
  return r;
}

/** The free-text filter's view of a row, made once per text. */
function haystackOf(r: OverviewRow): string {
  return (r.haystack ??= `${r.id}\n${r.text}`.toLowerCase());
}

export class OverviewIndex {
  private byId = new Map<string, OverviewRow>();
  private orders: Record<Sort, Ordered<OverviewRow>> = { problems: new Ordered(ORDERS.problems), name: new Ordered(ORDERS.name), changed: new Ordered(ORDERS.changed) };
  private perTarget = new Map<string, Counts>();
  private tagsOf = new Map<string, readonly string[]>();
  private targetList: TargetView[] = [];
  private typeList: string[] = [];
  private listeners = new Set<(c: RowChange) => void>();
  private inDowntime: (r: Pick<OverviewRow, 'target' | 'name' | 'tags'>) => boolean = () => false;

  /** How to tell a check in a scheduled downtime now (looked at whenever its row changes). */
  setDowntime(fn: (r: Pick<OverviewRow, 'target' | 'name' | 'tags'>) => boolean): void {
    this.inDowntime = fn;
  }

  /** A problem stays acknowledged until it recovers; else it is handled while a downtime covers it. */
  private handledOf(r: Pick<OverviewRow, 'target' | 'name' | 'tags'>, ack: boolean): Handled {
    return ack ? 'ack' : this.inDowntime(r) ? 'downtime' : null;
  }

  /** Called with every change a live page would show (bucket, attempt, state type, text of a problem). */
  onChange(fn: (c: RowChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Installs every check of a config (at start and on reload) from the daemon's own records; acknowledgements of known problems are kept. */
  loadChecks(checks: Iterable<CheckRowInput>, targets: readonly TargetView[]): void {
    this.install(targets, (tagsOf, add) => {
      for (const c of checks) {
        const tags = tagsOf(c.target);
        const ack = this.byId.get(c.id)?.handled === 'ack';
        add(rowFrom(c, tags, c.state.state === 0 ? null : this.handledOf({ target: c.target, name: c.name, tags }, ack)));
      }
    });
  }

  private install(targets: readonly TargetView[], fill: (tagsOf: (t: string) => readonly string[], add: (r: OverviewRow) => void) => void): void {
    this.targetList = [...targets];
    this.tagsOf = new Map(targets.map((t) => [t.name, t.tags]));
    const none: readonly string[] = [];
    const byId = new Map<string, OverviewRow>();
    fill((t) => this.tagsOf.get(t) ?? none, (r) => byId.set(r.id, r));
    this.byId = byId;
    // One sort by id; the other orders are id order stably sorted by their first key, which
    // costs about n comparisons when most rows share it (all OK, or all pending, at start).
    const rows = [...byId.values()].sort(ORDERS.name);
    this.orders.name.load(rows, true);
    this.orders.problems.load([...rows].sort((a, b) => a.rank - b.rank), true);
    this.orders.changed.load([...rows].sort((a, b) => b.lastChange - a.lastChange), true);
    this.perTarget = new Map();
    const types = new Set<string>();
    for (const r of rows) {
      this.count(r, 1);
      types.add(r.type);
    }
    this.typeList = [...types].sort();
  }

  /** Calls `fn` with every row, in no particular order (/metrics reads the checks' states so). */
  forEach(fn: (r: OverviewRow) => void): void {
    for (const r of this.byId.values()) fn(r);
  }

  /** The probe types of the configured checks, sorted. */
  types(): readonly string[] {
    return this.typeList;
  }

  /**
   * One check's new state (after a result) from the daemon's own record; a problem keeps its
   * handling until it recovers. The hot path of every result: the row changes in place and moves
   * in an order only when its key there changed.
   */
  updateState(id: string, s: StateFields, durationMs: number | null): void {
    const r = this.byId.get(id);
    if (!r) return;
    const handled = s.state === 0 ? null : this.handledOf(r, r.handled === 'ack');
    const lastCheck = s.lastCheck ? s.lastCheck : null;
    const was = bucketOf(r);
    const wasType = r.stateType;
    const oldRank = r.rank;
    const rank = rankOf({ lastCheck, state: s.state as 0 | 1 | 2 | 3, stateType: s.stateType, handled });
    const byRank = rank !== oldRank;
    const byChange = s.lastChange !== r.lastChange;
    if (byRank) this.orders.problems.remove(r);
    if (byChange) this.orders.changed.remove(r);
    const now = bucketOf({ lastCheck, state: s.state as 0 | 1 | 2 | 3, handled });
    if (now !== was) this.count(r, -1);
    if (r.text !== s.text) r.haystack = undefined;
    r.state = s.state as 0 | 1 | 2 | 3;
    r.stateType = s.stateType;
    r.attempt = s.attempt;
    r.text = s.text;
    r.lastCheck = lastCheck;
    r.lastChange = s.lastChange;
    r.durationMs = roundMs(durationMs);
    r.handled = handled;
    r.rank = rank;
    if (now !== was) this.count(r, 1);
    if (byRank) this.orders.problems.insert(r);
    if (byChange) this.orders.changed.insert(r);
    if (this.listeners.size && (was !== now || wasType !== r.stateType || r.state !== 0)) for (const fn of this.listeners) fn({ row: r, was });
  }

  /** A person took the problems of a target: its failing checks are handled until they recover. */
  acknowledge(target: string): void {
    const rows = [...this.byId.values()].filter((r) => r.target === target && r.lastCheck !== null && r.state !== 0 && r.handled === null);
    for (const r of rows) this.apply(r, { ...r, handled: 'ack', rank: rankOf({ ...r, handled: 'ack' }) });
  }

  /** One check's problem is acknowledged (after a restart: what the engine restored). */
  acknowledgeCheck(id: string): void {
    const r = this.byId.get(id);
    if (r && r.lastCheck !== null && r.state !== 0 && r.handled !== 'ack') this.apply(r, { ...r, handled: 'ack', rank: rankOf({ ...r, handled: 'ack' }) });
  }

  /** Moves a row where its new key puts it in each order, and tells the listeners what a page would see change. */
  private apply(old: OverviewRow, next: OverviewRow): void {
    const was = bucketOf(old);
    const moved = { problems: old.rank !== next.rank, name: false, changed: old.lastChange !== next.lastChange };
    for (const s of SORTS) if (moved[s]) this.orders[s].remove(old);
    this.count(old, -1);
    const typeChanged = old.stateType !== next.stateType;
    // The row object stays the one the orders hold; only its fields change.
    Object.assign(old, next);
    this.count(old, 1);
    for (const s of SORTS) if (moved[s]) this.orders[s].insert(old);
    if (was !== bucketOf(old) || typeChanged || old.state !== 0) for (const fn of this.listeners) fn({ row: old, was });
  }

  get(id: string): OverviewRow | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  targets(): readonly TargetView[] {
    return this.targetList;
  }

  /** Counts per bucket over the targets the reader may see. */
  counts(see: (target: string) => boolean, all: boolean): Counts {
    const out = zero();
    for (const [t, c] of this.perTarget) if (all || see(t)) for (const b of BUCKETS) out[b] += c[b];
    return out;
  }

  /** A target's counts (zero when it has no checks). */
  targetCounts(target: string): Counts {
    return this.perTarget.get(target) ?? zero();
  }

  /** One page in the order asked for, from the cursor on; `next` is the cursor of the page after. */
  page(q: OverviewQuery): { rows: OverviewRow[]; next: string | null } {
    const from = q.cursor ? decodeCursor(q.cursor, q.sort) : undefined;
    const text = q.q?.toLowerCase();
    const rows: OverviewRow[] = [];
    let more = false;
    this.orders[q.sort].walk(from, (r) => {
      if (q.state !== undefined && !stateMatches(r, q.state)) return true;
      if (q.target !== undefined && r.target !== q.target) return true;
      if (q.type !== undefined && r.type !== q.type) return true;
      if (q.tag !== undefined && !r.tags.includes(q.tag)) return true;
      if (text && !haystackOf(r).includes(text)) return true;
      if (!q.see(r.target)) return true;
      if (rows.length === q.limit) {
        more = true;
        return false;
      }
      rows.push(r);
      return true;
    });
    const last = rows[rows.length - 1];
    return { rows, next: more && last ? encodeCursor(q.sort, last) : null };
  }

  private count(r: OverviewRow, by: 1 | -1): void {
    let c = this.perTarget.get(r.target);
    if (!c) this.perTarget.set(r.target, (c = zero()));
    c[bucketOf(r)] += by;
  }
}

function stateMatches(r: OverviewRow, f: StateFilter): boolean {
  const b = bucketOf(r);
  switch (f) {
    case 'problems':
      return b === 'CRITICAL' || b === 'WARNING' || b === 'UNKNOWN';
    case 'handled':
      return b === 'handled';
    case 'pending':
      return b === 'PENDING';
    default:
      return b === f.toUpperCase();
  }
}

/** The cursor is the last row's key in its order, opaque to the reader (base64url JSON). */
export function encodeCursor(sort: Sort, r: Probe): string {
  return Buffer.from(JSON.stringify([sort, r.rank, r.lastChange, r.id])).toString('base64url');
}

/** The key a cursor stands for, or undefined when it is not one of ours (or for another order). */
export function decodeCursor(cursor: string, sort: Sort): Probe | undefined {
  if (cursor.length > 600) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 4 || v[0] !== sort) return undefined;
    const [, rank, lastChange, id] = v as unknown[];
    return typeof rank === 'number' && Number.isFinite(rank) && typeof lastChange === 'number' && Number.isFinite(lastChange) && typeof id === 'string' ? { rank, lastChange, id } : undefined;
  } catch {
    return undefined;
  }
}
