/**
 * The zod schemas of API v1: requests are validated by them and the OpenAPI document is generated
 * from them, so the document cannot drift from what the server accepts and answers.
 */
import { z } from '@hono/zod-openapi';
import { ROLES, USER_ROLES } from '../auth/types.ts';

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) })
  .openapi('Error', { description: 'Every error answer of the console has this shape.' });

const err = (description: string) => ({ content: { 'application/json': { schema: ErrorSchema } }, description });
/** The answers every protected route may give besides its own. */
export const commonErrors = { 400: err('invalid request'), 401: err('no valid session or token'), 403: err('role too weak, or a cross-site / CSRF-less request'), 404: err('not found (or not in the viewer\'s scope)') };
export const writeErrors = { ...commonErrors, 413: err('body too large'), 415: err('not JSON') };
export const json = <T extends z.ZodType>(schema: T, description = 'OK') => ({ content: { 'application/json': { schema } }, description });
export const jsonBody = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });
export const optionalJsonBody = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: false } });

export const Ok = z.object({ ok: z.literal(true) }).openapi('Ok');
const iso = z.string().openapi({ format: 'date-time' });
const stateName = z.enum(['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']);

/** Cursor pagination: `cursor` is the `next_cursor` of the previous page. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ param: { name: 'limit', in: 'query' } }),
  cursor: z.string().regex(/^\d{1,15}$/, 'expected the next_cursor of the previous page').optional().openapi({ param: { name: 'cursor', in: 'query' } }),
});
export const page = <T extends z.ZodType>(item: T, name: string) => z.object({ items: z.array(item), next_cursor: z.string().nullable() }).openapi(name);

const nameParam = (name: string, what: string) => z.string().min(1).max(200).openapi({ param: { name, in: 'path' }, description: what });
export const IdParam = z.object({ id: z.string().regex(/^\d{1,12}$/, 'expected an incident number').openapi({ param: { name: 'id', in: 'path' } }) });
export const CheckParam = z.object({ target: nameParam('target', 'target name'), name: nameParam('name', 'check name') });
export const TargetParam = z.object({ name: nameParam('name', 'target name') });

export const Check = z
  .object({
    id: z.string(),
    target: z.string(),
    address: z.string(),
    type: z.string(),
    state: z.number().int(),
    state_name: stateName,
    state_type: z.enum(['soft', 'hard']),
    attempt: z.number().int(),
    max_attempts: z.number().int(),
    text: z.string(),
    last_check: iso.nullable(),
    last_change: iso,
    duration_ms: z.number().nullable(),
  })
  .openapi('Check');

export const Incident = z
  .object({
    id: z.number().int(),
    target: z.string(),
    status: z.enum(['open', 'resolved']),
    severity: z.string(),
    title: z.string(),
    opened_at: iso,
    resolved_at: iso.nullable(),
    members: z.array(z.object({ key: z.string(), kind: z.string(), state: z.string(), text: z.string(), recovered: z.boolean() })),
  })
  .openapi('Incident');
export const Timeline = z.array(z.object({ at: iso, kind: z.string(), text: z.string() }));
export const IncidentWithTimeline = Incident.extend({ timeline: Timeline }).openapi('IncidentWithTimeline');

export const Target = z.object({ name: z.string(), address: z.string(), tags: z.array(z.string()), parents: z.array(z.string()), checks: z.array(Check) }).openapi('Target');

export const Result = z
  .object({ at: iso, state: z.number().int(), state_name: stateName, text: z.string(), duration_ms: z.number(), perfdata: z.string() })
  .openapi('Result');
const spread = z.object({ min: z.number(), avg: z.number(), max: z.number() });
export const Rollup = z
  .object({ bucket_start: iso, count: z.number().int(), ok: z.number().int(), warning: z.number().int(), critical: z.number().int(), unknown: z.number().int(), duration_ms: spread, perf: spread.extend({ count: z.number().int() }).nullable() })
  .openapi('Rollup');
export const RollupQuery = z.object({
  resolution: z.enum(['minute', 'hour']).default('hour').openapi({ param: { name: 'resolution', in: 'query' } }),
  from: z.iso.datetime({ offset: true }).optional().openapi({ param: { name: 'from', in: 'query' }, description: 'ISO time; default 24 hours before `to`' }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ param: { name: 'to', in: 'query' }, description: 'ISO time; default now' }),
});

export const AckBody = z.object({ comment: z.string().max(1000).default(''), by: z.string().max(100).optional().openapi({ description: 'only for machine tokens (no user): who acts through them' }) }).openapi('AckRequest');
export const CommentBody = z.object({ text: z.string().min(1).max(1000) }).openapi('CommentRequest');
export const DecideBody = z.object({ by: z.string().max(100).optional() }).openapi('DecisionRequest');

const ApprovalPlan = z
  .object({
    commands: z.array(z.object({ step: z.string(), candidates: z.array(z.array(z.string())).openapi({ description: 'argv lists, in order: the first that exists runs' }) })),
    changes: z.array(z.object({ file: z.string(), line: z.number().int().optional(), directive: z.string(), from: z.number(), to: z.number(), approximate: z.boolean().optional(), backup: z.string() })),
  })
  .openapi('ApprovalPlan', { description: 'exactly what the action will run and change; absent on approvals stored before schema 10' });
export const Approval = z.object({ id: z.string(), action: z.string(), target: z.string(), service: z.string(), text: z.string(), requested_at: iso, expires_at: iso, plan: ApprovalPlan.optional() }).openapi('Approval');
export const ApprovalParam = z.object({ id: z.string().min(1).max(100).openapi({ param: { name: 'id', in: 'path' } }) });

export const Ban = z
  .object({ address: z.string(), port: z.number().int().nullable(), proto: z.enum(['tcp', 'udp']).nullable(), jail: z.string(), reason: z.string(), created_at: iso, until: iso.nullable(), ban_count: z.number().int() })
  .openapi('Ban');
export const BanBody = z
  .object({
    address: z.string().min(2).max(50).openapi({ description: 'IP address or network (CIDR)' }),
    port: z.number().int().min(1).max(65535).optional(),
    proto: z.enum(['tcp', 'udp']).default('tcp'),
    for_seconds: z.number().int().min(1).max(10 * 365 * 86400).optional().openapi({ description: 'how long; without it the ban has no end' }),
    reason: z.string().max(200).default('added by hand'),
  })
  .openapi('BanRequest');
export const AddressParam = z.object({ address: z.string().min(2).max(50).openapi({ param: { name: 'address', in: 'path' }, description: 'IP address, or network with its "/" written %2F' }) });

export const Notification = z.object({ incident: z.number().int(), target: z.string(), at: iso, kind: z.enum(['notified', 'notify-failed']), text: z.string() }).openapi('Notification');

const scope = z.object({ targets: z.array(z.string().max(200)).max(1000), tags: z.array(z.string().max(200)).max(1000) }).nullable().openapi('Scope', { description: 'null: every target' });
export const User = z.object({ id: z.number().int(), name: z.string(), role: z.enum(USER_ROLES as ['viewer', 'operator', 'admin']), scope, created_at: iso, password_changed_at: iso }).openapi('User');
export const UserBody = z.object({ name: z.string().min(1).max(32), role: z.enum(USER_ROLES as ['viewer', 'operator', 'admin']), scope: scope.optional(), password: z.string().min(1).max(1024) }).openapi('UserRequest');
export const PasswordBody = z.object({ password: z.string().min(1).max(1024) }).openapi('PasswordRequest');
export const OwnPasswordBody = z.object({ old_password: z.string().min(1).max(1024), new_password: z.string().min(1).max(1024) }).openapi('OwnPasswordRequest');
export const UserParam = z.object({ name: z.string().min(1).max(32).openapi({ param: { name: 'name', in: 'path' } }) });
export const Me = z
  .object({ actor: z.string(), name: z.string(), kind: z.enum(['session', 'token']), role: z.enum(ROLES as ['viewer', 'operator', 'admin', 'ingest']), scope, csrf: z.string().optional().openapi({ description: 'sessions only: the X-CSRF-Token every unsafe request must bring' }) })
  .openapi('Me');

export const Token = z
  .object({ id: z.number().int(), name: z.string(), user_id: z.number().int().nullable(), role: z.enum(ROLES as ['viewer', 'operator', 'admin', 'ingest']), scope, created_at: iso, expires_at: iso.nullable(), revoked_at: iso.nullable(), last_used_at: iso.nullable() })
  .openapi('Token');
export const TokenBody = z
  .object({ name: z.string().min(1).max(64), role: z.enum(ROLES as ['viewer', 'operator', 'admin', 'ingest']), user: z.string().max(32).optional(), scope: scope.optional(), expires_in_seconds: z.number().int().min(60).max(10 * 365 * 86400).optional() })
  .openapi('TokenRequest');
export const TokenParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, description: 'token id or name' }) });

export const Audit = z.object({ id: z.number().int(), at: iso, actor: z.string(), address: z.string().nullable(), action: z.string(), subject: z.string(), detail: z.string() }).openapi('AuditRecord');

export const IngestParam = z.object({ kind: z.enum(['nagios', 'icinga', 'alertmanager']).openapi({ param: { name: 'kind', in: 'path' } }) });
export const IngestBody = z.record(z.string(), z.unknown()).openapi('Alert', { description: 'a Nagios/Icinga JSON alert or an Alertmanager webhook body' });
