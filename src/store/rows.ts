/**
 * Between records and table rows. Perfdata is JSON with the open ends of threshold ranges
 * (±Infinity, which JSON cannot say) spelled as strings; numbers from drivers that return int8
 * as strings are made numbers again.
 */
import type { Insertable, Selectable } from 'kysely';
import type { NagiosState } from '../core/nagios.ts';
import type { PerfDatum } from '../core/perfdata.ts';
import type { AttackFacts, IncidentEvent, IncidentLink, IncidentMember, IncidentRecord, IncidentSeverity, IncidentStatus, IncidentEventKind } from '../core/incident.ts';
import { banKey, type BanRecord } from '../core/ban.ts';
import type { BansTable, CheckStatesTable, IncidentEventsTable, IncidentsTable, ResultsTable, RollupsTable } from './database.ts';
import type { CheckStateRecord, Rollup, StoredResult } from './types.ts';

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

const openEnds = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) && !Number.isNaN(v) ? (v > 0 ? 'Infinity' : '-Infinity') : v);
const hasOpenEnd = (p: PerfDatum) => [p.warn, p.crit].some((r) => r && (!Number.isFinite(r.start) || !Number.isFinite(r.end)));

export function encodePerfdata(perfdata: readonly PerfDatum[]): string | null {
  if (perfdata.length === 0) return null;
  // A replacer makes JSON.stringify several times slower; most perfdata has no open range.
  return perfdata.some(hasOpenEnd) ? JSON.stringify(perfdata, openEnds) : JSON.stringify(perfdata);
}

export function decodePerfdata(text: string | null): PerfDatum[] {
  if (!text) return [];
  return JSON.parse(text, (key, v: unknown) => ((key === 'start' || key === 'end') && (v === 'Infinity' || v === '-Infinity') ? Number(v) : v)) as PerfDatum[];
}

/**
 * Throws a TypeError naming the first bad field. write() checks each result before queueing it,
 * so a batch can then fail only for the database's own reasons (disk full, locked), which a retry
 * may cure; one malformed result must not poison every batch after it.
 */
export function assertStorable(r: StoredResult): void {
  const bad = (field: string, want: string) => new TypeError(`cannot store result: ${field} must be ${want}, got ${JSON.stringify((r as unknown as Record<string, unknown>)[field])}`);
  if (typeof r.checkId !== 'string' || r.checkId === '') throw bad('checkId', 'a non-empty string');
  if (typeof r.target !== 'string') throw bad('target', 'a string');
  if (![0, 1, 2, 3].includes(r.state)) throw bad('state', '0, 1, 2 or 3');
  if (typeof r.text !== 'string') throw bad('text', 'a string');
  if (!Array.isArray(r.perfdata)) throw bad('perfdata', 'an array');
  if (r.longOutput !== undefined && typeof r.longOutput !== 'string') throw bad('longOutput', 'a string or undefined');
  if (!Number.isFinite(r.startedAt)) throw bad('startedAt', 'a time in ms');
  if (!Number.isFinite(r.durationMs)) throw bad('durationMs', 'a number of ms');
}

export function resultToRow(r: StoredResult): Insertable<ResultsTable> {
  const first = r.perfdata[0]?.value;
  return {
    check_id: r.checkId,
    target: r.target,
    state: r.state,
    text: r.text,
    perfdata: encodePerfdata(r.perfdata),
    perf_value: typeof first === 'number' && Number.isFinite(first) ? first : null,
    long_output: r.longOutput ?? null,
    // bigint columns in PostgreSQL refuse fractions; a start time needs no sub-millisecond.
    started_at: Math.round(r.startedAt),
    duration_ms: r.durationMs,
  };
}

export function resultFromRow(row: Selectable<ResultsTable>): StoredResult {
  return {
    checkId: row.check_id,
    target: row.target,
    state: num(row.state) as NagiosState,
    text: row.text,
    perfdata: decodePerfdata(row.perfdata),
    ...(row.long_output !== null ? { longOutput: row.long_output } : {}),
    startedAt: num(row.started_at),
    durationMs: num(row.duration_ms),
  };
}

export function rollupFromRow(row: Selectable<RollupsTable>): Rollup {
  const count = num(row.count);
  const perfCount = num(row.perf_count);
  return {
    checkId: row.check_id,
    target: row.target,
    bucketStart: num(row.bucket_start),
    count,
    ok: num(row.ok),
    warning: num(row.warning),
    critical: num(row.critical),
    unknown: num(row.unknown),
    durationMs: { min: num(row.duration_min), avg: num(row.duration_sum) / count, max: num(row.duration_max) },
    perf: perfCount > 0 ? { count: perfCount, min: num(row.perf_min), avg: num(row.perf_sum) / perfCount, max: num(row.perf_max) } : null,
  };
}

export function stateToRow(s: CheckStateRecord): CheckStatesTable {
  return {
    check_id: s.checkId,
    target: s.target,
    state: s.state,
    state_type: s.stateType,
    attempt: s.attempt,
    last_result: s.lastResult,
    last_change: Math.round(s.lastChange),
    last_check: Math.round(s.lastCheck),
  };
}

export function stateFromRow(row: Selectable<CheckStatesTable>): CheckStateRecord {
  return {
    checkId: row.check_id,
    target: row.target,
    state: num(row.state) as NagiosState,
    stateType: row.state_type === 'soft' ? 'soft' : 'hard',
    attempt: num(row.attempt),
    lastResult: row.last_result,
    lastChange: num(row.last_change),
    lastCheck: num(row.last_check),
  };
}

export function incidentToRow(i: Omit<IncidentRecord, 'id'>): Insertable<IncidentsTable> {
  return {
    target: i.target,
    status: i.status,
    severity: i.severity,
    title: i.title,
    opened_at: Math.round(i.openedAt),
    resolved_at: i.resolvedAt === null ? null : Math.round(i.resolvedAt),
    updated_at: Math.round(i.updatedAt),
    members: JSON.stringify(i.members),
    kind: i.kind ?? 'outage',
    links: i.links?.length ? JSON.stringify(i.links) : null,
    attack: i.attack ? JSON.stringify(i.attack) : null,
  };
}

export function incidentFromRow(r: Selectable<IncidentsTable>): IncidentRecord {
  return {
    id: num(r.id),
    target: r.target,
    status: r.status as IncidentStatus,
    severity: r.severity as IncidentSeverity,
    title: r.title,
    openedAt: num(r.opened_at),
    resolvedAt: r.resolved_at === null ? null : num(r.resolved_at),
    updatedAt: num(r.updated_at),
    members: JSON.parse(r.members) as IncidentMember[],
    // What is absent stays absent: an outage without links reads back as it was written.
    ...(r.kind === 'attack' ? { kind: 'attack' as const } : {}),
    ...(r.links === null ? {} : { links: JSON.parse(r.links) as IncidentLink[] }),
    ...(r.attack === null ? {} : { attack: JSON.parse(r.attack) as AttackFacts }),
  };
}

export function incidentEventFromRow(r: Selectable<IncidentEventsTable>): IncidentEvent {
  return { id: num(r.id), incidentId: num(r.incident_id), at: num(r.at), kind: r.kind as IncidentEventKind, text: r.text, ...(r.data === null ? {} : { data: JSON.parse(r.data) as Record<string, unknown> }) };
}

export function banToRow(b: BanRecord): Insertable<BansTable> {
  return {
    ban_key: banKey(b),
    address: b.address,
    port: b.port ?? null,
    proto: b.port === undefined ? null : (b.proto ?? 'tcp'),
    jail: b.jail,
    reason: b.reason,
    created_at: Math.round(b.createdAt),
    until: b.until === undefined ? null : Math.round(b.until),
    ban_count: b.banCount,
    enrichment: b.enrichment ? JSON.stringify(b.enrichment) : null,
  };
}

export function banFromRow(r: Selectable<BansTable>): BanRecord {
  return {
    address: r.address,
    ...(r.port === null ? {} : { port: num(r.port), proto: (r.proto ?? 'tcp') as 'tcp' | 'udp' }),
    jail: r.jail,
    reason: r.reason,
    createdAt: num(r.created_at),
    ...(r.until === null ? {} : { until: num(r.until) }),
    banCount: num(r.ban_count),
    ...(r.enrichment === null ? {} : { enrichment: JSON.parse(r.enrichment) as Record<string, unknown> }),
  };
}
