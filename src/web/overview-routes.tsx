/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The overview's route (`GET /`): the query (bounded, unknown values ignored) read into filters,
 * one page from the overview index, the reader's scope applied to rows, counts, tags and the
 * tree. It reads the index only: nothing here walks every check to render a page.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { RouteTable, WebEnv } from './access.ts';
import type { WebDeps } from './deps.ts';
import { SORTS, STATE_FILTERS, type Sort, type StateFilter } from './overview-index.ts';
import { OverviewPage, type OverviewData, type OverviewFilters } from './overview-page.tsx';
import { readerOf } from './reader.ts';
import { targetFilter, who } from './scope.ts';
import type { TargetView } from './types.ts';

/** Rows per page. */
export const PAGE_SIZE = 100;
const MAX_TAGS = 200;
/** Outages resolved this recently are listed under the open incidents, at most RECENT_MAX. */
const RECENT_MS = 3_600_000;
const RECENT_MAX = 5;

const one = <T extends string>(v: string | undefined, allowed: readonly T[]): T | undefined => (allowed as readonly string[]).includes(v ?? '') ? (v as T) : undefined;
const text = (v: string | undefined, max: number) => {
  const t = v?.trim();
  return t ? t.slice(0, max) : undefined;
};

export function filtersOf(c: Context<WebEnv>): OverviewFilters {
  const q = (k: string) => c.req.query(k);
  return {
    state: one<StateFilter>(q('state'), STATE_FILTERS),
    target: text(q('target'), 64),
    tag: text(q('tag'), 64),
    type: text(q('type'), 32),
    q: text(q('q'), 100),
    sort: one<Sort>(q('sort'), SORTS) ?? 'problems',
    view: q('view') === 'tree' ? 'tree' : 'list',
    cursor: text(q('cursor'), 600),
  };
}

// The tag list of a target list, worked out once per list: the index hands out the same list
// until a reload, so a reader who sees everything does not walk every target per page.
const tagLists = new WeakMap<readonly TargetView[], string[]>();
function tagsOf(targets: readonly TargetView[]): string[] {
  let tags = tagLists.get(targets);
  if (!tags) tagLists.set(targets, (tags = [...new Set(targets.flatMap((t) => t.tags))].sort().slice(0, MAX_TAGS)));
  return tags;
}

export function registerOverview(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps): void {
  table.add({ method: 'GET', path: '/', role: 'viewer', api: false, summary: 'The overview (HTML): counts, open incidents, checks problems first with filters and pages, the parents tree' });
  app.get('/', async (c) => {
    const f = filtersOf(c);
    const index = deps.overview;
    const all = who(c).scope === null;
    const see = targetFilter(c, deps);
    const visible = all ? index.targets() : index.targets().filter((t) => see(t.name));
    const tags = tagsOf(visible);
    const page = f.view === 'list' ? index.page({ ...f, limit: PAGE_SIZE, see }) : { rows: [], next: null };
    const incidents = (await deps.incidents({ open: true, limit: 50 })).filter((i) => see(i.target));
    // An outage mamoru healed in seconds still shows here for an hour: what happened while no one looked.
    const since = Date.now() - RECENT_MS;
    const recent = (await deps.incidentPage({ status: 'resolved', kind: 'outage', limit: 20, see })).items.filter((i) => i.resolved_at !== null && Date.parse(i.resolved_at) >= since).slice(0, RECENT_MAX);
    const d: OverviewData = {
      filters: f,
      counts: index.counts(see, all),
      rows: page.rows,
      next: page.next,
      incidents,
      recent,
      tags,
      types: index.types(),
      late: deps.metrics.health.late(),
      tree: f.view === 'tree' ? { targets: visible.filter((t) => (f.target === undefined || t.name.includes(f.target)) && (f.tag === undefined || t.tags.includes(f.tag))), counts: (n) => index.targetCounts(n) } : undefined,
    };
    return c.html('<!doctype html>' + String(<OverviewPage reader={readerOf(c)} d={d} />));
  });
}
