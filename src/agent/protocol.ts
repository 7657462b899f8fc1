/**
 * The agent's wire protocol, shared by the agent (on a monitored server) and the brain's client.
 *
 * - The brain asks on `<prefix>.agent.<name>.req` (NATS request/reply); the agent answers on the
 *   request's reply subject. One request is `{ id, kind, name, params, service? }` in JSON.
 * - The agent publishes `<prefix>.agent.<name>.events`: a `hello` when it starts, then a
 *   `heartbeat` on its interval, each saying who it is and what it may do.
 *
 * Both directions are bounded before they are parsed (a request past 64 KiB is refused unread,
 * a reply past MAX_REPLY_BYTES is never sent nor read) and checked by the schemas here: an
 * authenticated peer is still not trusted input.
 */
import { z } from 'zod';
import { BUS_NAME } from '../bus/types.ts';

/** Largest request an agent reads; an inspection's or action's parameters are a few hundred bytes. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/**
 * Largest reply an agent sends (and the client reads): under NATS's default max_payload of 1 MiB,
 * so a large process list is refused by the agent in words rather than dropped by the server.
 */
export const MAX_REPLY_BYTES = 960 * 1024;
/** Largest event (hello, heartbeat) the brain reads. */
export const MAX_EVENT_BYTES = 16 * 1024;

/** An agent's name: one subject token (letters, digits, `_` and `-`), so it cannot widen a subject. */
export const agentName = z.string().regex(BUS_NAME, 'expected letters, digits, _ and - (at most 64): the name is a NATS subject token');
/** A member of a registry (`start-service`, `listening`): a plain kebab-case word. */
const memberName = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'expected a kebab-case name like "start-service"');

export const requestSchema = z.strictObject({
  /** Chosen by the brain, echoed in the reply (and the agent's log) to tie them together. */
  id: z.string().min(1).max(128),
  kind: z.enum(['inspect', 'action']),
  name: memberName,
  /** Checked against the member's own schema on the agent. */
  params: z.record(z.string(), z.unknown()).default({}),
  /**
   * A service in the agent's own config, for what acts on or reads one service: how it is
   * started, its ports, its logs come from the agent's file, never from the request.
   */
  service: z.string().regex(/^[A-Za-z0-9@._+-]{1,128}$/, 'expected a service name from the agent\'s config').optional(),
  /** Actions only: say what would be done, change nothing. */
  dry_run: z.boolean().default(false),
});
export type AgentRequest = z.output<typeof requestSchema>;
export type AgentRequestInput = z.input<typeof requestSchema>;

/**
 * Why a request got no result:
 * - `refused`: the agent's own config does not allow it (deny by default);
 * - `invalid`: not a request, too large, unknown member, or parameters the member's schema refuses;
 * - `failed`: allowed and valid, but it could not be done (the inspection threw);
 * - `too-large`: the result exceeds MAX_REPLY_BYTES.
 */
export type AgentErrorCode = 'refused' | 'invalid' | 'failed' | 'too-large';

/** The agent did not do it, and says why. */
export type AgentFailure = { id: string; ok: false; code: AgentErrorCode; error: string };
/** An inspection's evidence as the inspection returned it (src/inspect/), or why there is none. */
export type InspectReply = { id: string; ok: true; kind: 'inspect'; name: string; evidence: Record<string, unknown> & { summary: string } } | AgentFailure;
/** An action's outcome (`ActionOutcome`: status, text, say, records), or why it did not run. */
export type ActionReply = { id: string; ok: true; kind: 'action'; name: string; outcome: Record<string, unknown> & { status: string; text: string } } | AgentFailure;
export type AgentReply = InspectReply | ActionReply;

export const replySchema = z.union([
  z.object({ id: z.string().max(128), ok: z.literal(true), kind: z.literal('inspect'), name: z.string().max(64), evidence: z.looseObject({ summary: z.string() }) }),
  z.object({ id: z.string().max(128), ok: z.literal(true), kind: z.literal('action'), name: z.string().max(64), outcome: z.looseObject({ status: z.string(), text: z.string() }) }),
  z.object({ id: z.string().max(128), ok: z.literal(false), code: z.enum(['refused', 'invalid', 'failed', 'too-large']), error: z.string().max(4000) }),
]);

/** What an agent says about itself on its events subject. */
export const eventSchema = z.strictObject({
  type: z.enum(['hello', 'heartbeat']),
  name: agentName,
  version: z.string().max(100),
  /** ms since the epoch, by the agent's clock (the brain keeps its own "last seen"). */
  at: z.number().int().nonnegative(),
  allow_actions: z.array(memberName).max(100),
  allow_inspections: z.array(memberName).max(100),
  services: z.array(z.string().max(128)).max(1000),
  /** The guard's jails running on the agent (none yet in this slice). */
  jails: z.array(z.string().max(128)).max(1000).default([]),
});
export type AgentEvent = z.output<typeof eventSchema>;

/** The subjects of one agent. */
export function subjects(prefix: string, name: string): { req: string; events: string } {
  return { req: `${prefix}.agent.${name}.req`, events: `${prefix}.agent.${name}.events` };
}

/** Every agent's events, for the brain: `<prefix>.agent.*.events`. */
export const allEvents = (prefix: string) => `${prefix}.agent.*.events`;

/** The agent name a subject `<prefix>.agent.<name>.events` speaks for, or undefined. */
export function agentOfSubject(prefix: string, subject: string): string | undefined {
  const head = `${prefix}.agent.`;
  if (!subject.startsWith(head) || !subject.endsWith('.events')) return undefined;
  const name = subject.slice(head.length, -'.events'.length);
  return BUS_NAME.test(name) ? name : undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON bytes of a value. */
export const encode = (v: unknown): Uint8Array => encoder.encode(JSON.stringify(v));

/** Parses bounded JSON bytes with a schema; `error` says why it was refused, in one line. */
export function decode<S extends z.ZodType>(schema: S, data: Uint8Array, maxBytes: number, what: string): { ok: true; value: z.output<S> } | { ok: false; error: string } {
  if (data.length > maxBytes) return { ok: false, error: `${what} is ${data.length} bytes; at most ${maxBytes} are read` };
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch {
    return { ok: false, error: `${what} is not JSON` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, error: `${what}: ${issuesLine(parsed.error)}` };
  return { ok: true, value: parsed.data };
}

/** A zod error in one bounded line: `params.port: expected a number` (at most 3 issues). */
export function issuesLine(error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  const line = parts.join('; ') + more;
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}
