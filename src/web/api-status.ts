/**
 * API v1's status: the counts over every check the reader may see, and one page of checks,
 * problems first, walked from the overview's index (overview-index.ts) as the console's overview
 * does. A request never builds or serializes every check: at 50,000 checks the old answer (every
 * check in one body) held the event loop for 0.8 s, and every check waited (issue 19).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { stateName } from '../core/nagios.ts';
import { problem, type RouteTable, type WebEnv } from './access.ts';
import type { WebDeps } from './deps.ts';
import { decodeCursor, STATE_FILTERS, type OverviewRow } from './overview-index.ts';
import { Check, commonErrors, json } from './schemas.ts';
import { targetFilter, who } from './scope.ts';
import type { TargetView } from './types.ts';

/** Checks per page: the default, and the most one request may ask for (about 2 MB of JSON). */
export const STATUS_LIMIT = 500;
export const STATUS_LIMIT_MAX = 5000;

const query = (name: string) => ({ param: { name, in: 'query' as const } });
export const StatusQuery = z.object({
  limit: z.coerce.number().int().min(1).max(STATUS_LIMIT_MAX).default(STATUS_LIMIT).openapi({ ...query('limit'), description: `checks per page (at most ${STATUS_LIMIT_MAX})` }),
  cursor: z.string().min(1).max(600).optional().openapi({ ...query('cursor'), description: 'the next_cursor of the previous page (opaque)' }),
  state: z.enum(STATE_FILTERS).optional().openapi({ ...query('state'), description: 'problems: CRITICAL, WARNING or UNKNOWN and not handled; handled: acknowledged or in downtime' }),
  target: z.string().min(1).max(200).optional().openapi({ ...query('target'), description: 'one target, by its exact name' }),
  tag: z.string().min(1).max(200).optional().openapi({ ...query('tag'), description: "the checks of targets with this tag" }),
  type: z.string().min(1).max(64).optional().openapi({ ...query('type'), description: 'probe type (tcp, http, ...)' }),
  text: z.string().min(1).max(100).optional().openapi({ ...query('text'), description: "a piece of the check's id or its last text, any case" }),
});

const n = z.number().int();
export const StatusCounts = z
  .object({ CRITICAL: n, WARNING: n, UNKNOWN: n, OK: n, PENDING: n, handled: n, total: n })
  .openapi('StatusCounts', { description: 'every check the reader may see, whatever the filters: a problem acknowledged or in downtime counts as handled, not in its state; PENDING: no result yet' });
export const StatusCheck = Check.extend({ handled: z.enum(['ack', 'downtime']).nullable() }).openapi('StatusCheck');
export const StatusPage = z
  .object({ counts: StatusCounts, checks: z.array(StatusCheck), next_cursor: z.string().nullable().openapi({ description: 'null on the last page' }) })
  .openapi('StatusPage');

const iso = (ms: number) => new Date(ms).toISOString();

// A target's address, from the list the index holds: worked out once per list (a reload makes a new one).
const addressLists = new WeakMap<readonly TargetView[], Map<string, string>>();
function addressesOf(targets: readonly TargetView[]): Map<string, string> {
  let m = addressLists.get(targets);
  if (!m) addressLists.set(targets, (m = new Map(targets.map((t) => [t.name, t.address]))));
  return m;
}

/** A check as API v1 describes it, from its overview row and the index's target list. */
export function checkView(r: OverviewRow, targets: readonly TargetView[]): z.infer<typeof StatusCheck> {
  return checkOf(r, addressesOf(targets));
}

function checkOf(r: OverviewRow, addresses: Map<string, string>): z.infer<typeof StatusCheck> {
  return {
    id: r.id,
    target: r.target,
    address: addresses.get(r.target) ?? '',
    type: r.type,
    state: r.state,
    state_name: stateName(r.state),
    state_type: r.stateType,
    attempt: r.attempt,
    max_attempts: r.maxAttempts,
    text: r.text,
    last_check: r.lastCheck === null ? null : iso(r.lastCheck),
    last_change: iso(r.lastChange),
    duration_ms: r.durationMs,
    handled: r.handled,
  };
}

export function registerStatus(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps): void {
  const route = createRoute({
    method: 'get',
    path: '/api/v1/status',
    summary: `Counts of every check, and one page of checks, problems first (limit ${STATUS_LIMIT}, at most ${STATUS_LIMIT_MAX}; cursor; filters)`,
    request: { query: StatusQuery },
    responses: { 200: json(StatusPage), ...commonErrors },
  });
  app.openapi(table.api('viewer', route), (c) => {
    const q = c.req.valid('query');
    // A cursor that is not ours would silently start again at the first page: a script walking
    // the pages would never end, or count checks twice. Refused instead.
    if (q.cursor !== undefined && !decodeCursor(q.cursor, 'problems')) return problem(c, 400, 'invalid', 'cursor: not a next_cursor of this list; start again without a cursor', 'cursor');
    const index = deps.overview;
    const all = who(c).scope === null;
    const see = targetFilter(c, deps);
    const page = index.page({ sort: 'problems', limit: q.limit, cursor: q.cursor, state: q.state, target: q.target, tag: q.tag, type: q.type, q: q.text, see });
    const counts = index.counts(see, all);
    const total = counts.CRITICAL + counts.WARNING + counts.UNKNOWN + counts.OK + counts.PENDING + counts.handled;
    const addresses = addressesOf(index.targets());
    return c.json({ counts: { ...counts, total }, checks: page.rows.map((r) => checkOf(r, addresses)), next_cursor: page.next }, 200);
  });
}
