/**
 * What the agent does with one request's bytes: bound, parse, check against its own config, check
 * the parameters against the member's schema, run it with the local executor, and say how it
 * went. Kept apart from the NATS wiring (agent.ts) so every refusal is a plain function's answer.
 *
 * Order matters: the size first (nothing larger is parsed), then the request's shape, then the
 * agent's allow lists (an action the agent does not allow is refused before its parameters are
 * even read), then the service from the agent's own config, then the parameters.
 */
import type { Logger } from 'pino';
import { actions, type ActionType } from '../actions/index.ts';
import type { ActionDefinition, ActionOutcome } from '../actions/types.ts';
import type { Clock } from '../core/clock.ts';
import type { Executor } from '../executors/types.ts';
import type { AgentConfig } from './config.ts';
import { inspections, type AgentInspection, type AgentInspectionType } from './inspections.ts';
import { decode, issuesLine, MAX_REQUEST_BYTES, requestSchema, type AgentErrorCode, type AgentReply, type AgentRequest } from './protocol.ts';

export interface AnswerContext {
  config: AgentConfig;
  /** The local executor: argv arrays on this server, never a shell string. */
  executor: Executor;
  clock: Clock;
  log: Logger;
  /** Aborted when the agent stops: waits inside actions end. */
  signal?: AbortSignal | undefined;
  /** Runs `fn` after every earlier call with the same key has ended (one action per service at a time). */
  serialize: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
}

/** An error's text for the reply: one line, bounded (a command's stderr can be long). */
function errorText(e: unknown): string {
  const text = (e instanceof Error ? e.message : String(e)).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return text.length > 1000 ? `${text.slice(0, 997)}...` : text;
}

const fail = (id: string, code: AgentErrorCode, error: string): AgentReply => ({ id, ok: false, code, error });

/** The request's id when the bytes are JSON with a plausible one, so even a refusal can be matched. */
function idOf(data: Uint8Array): string {
  if (data.length > MAX_REQUEST_BYTES) return '';
  try {
    const v = JSON.parse(new TextDecoder().decode(data)) as { id?: unknown };
    return typeof v?.id === 'string' && v.id.length <= 128 ? v.id : '';
  } catch {
    return '';
  }
}

/** Answers one request; never throws. */
export async function answer(data: Uint8Array, ctx: AnswerContext): Promise<AgentReply> {
  if (data.length > MAX_REQUEST_BYTES) return fail('', 'invalid', `refused: the request is ${data.length} bytes; the agent reads at most ${MAX_REQUEST_BYTES}`);
  const req = decode(requestSchema, data, MAX_REQUEST_BYTES, 'the request');
  if (!req.ok) return fail(idOf(data), 'invalid', req.error);
  const r = req.value;
  const reply = await (r.kind === 'inspect' ? inspect(r, ctx) : act(r, ctx));
  const how = reply.ok ? (reply.kind === 'action' ? reply.outcome.status : 'answered') : reply.code;
  ctx.log.info({ id: r.id, kind: r.kind, name: r.name, service: r.service, result: how }, `agent: ${r.kind} ${r.name}${r.service ? ` (${r.service})` : ''}: ${how}`);
  return reply;
}

function serviceOf(r: AgentRequest, ctx: AnswerContext) {
  return r.service === undefined ? undefined : ctx.config.services.find((s) => s.name === r.service);
}

async function inspect(r: AgentRequest, ctx: AnswerContext): Promise<AgentReply> {
  if (!Object.hasOwn(inspections, r.name)) return fail(r.id, 'invalid', `unknown inspection "${r.name}"; the agent knows: ${Object.keys(inspections).join(', ')}`);
  const type = r.name as AgentInspectionType;
  if (!ctx.config.allow_inspections.includes(type)) return fail(r.id, 'refused', `refused: ${r.name} is not in agent.allow_inspections`);
  const def = inspections[type] as AgentInspection;
  const service = serviceOf(r, ctx);
  if (def.service === 'required' && r.service === undefined) return fail(r.id, 'invalid', `${r.name} needs "service": one of the agent's services`);
  if (r.service !== undefined && !service) return fail(r.id, 'refused', `refused: service "${r.service}" is not in the agent's services`);
  const params = def.schema.safeParse(r.params);
  if (!params.success) return fail(r.id, 'invalid', `params of ${r.name}: ${issuesLine(params.error)}`);
  try {
    const evidence = await def.run(ctx.executor, params.data, service);
    return { id: r.id, ok: true, kind: 'inspect', name: r.name, evidence: evidence as unknown as Record<string, unknown> & { summary: string } };
  } catch (e) {
    return fail(r.id, 'failed', `${r.name}: ${errorText(e)}`);
  }
}

async function act(r: AgentRequest, ctx: AnswerContext): Promise<AgentReply> {
  if (!Object.hasOwn(actions, r.name)) return fail(r.id, 'invalid', `unknown action "${r.name}"; the agent knows: ${Object.keys(actions).join(', ')}`);
  const type = r.name as ActionType;
  // Deny by default: whatever the brain says, only what this server's own config allows runs.
  if (!ctx.config.allow_actions.includes(type)) return fail(r.id, 'refused', 'refused: not in agent.allow_actions');
  if (r.service === undefined) return fail(r.id, 'invalid', `${r.name} needs "service": one of the agent's services`);
  const service = serviceOf(r, ctx);
  if (!service) return fail(r.id, 'refused', `refused: service "${r.service}" is not in the agent's services`);
  const def = actions[type] as unknown as ActionDefinition;
  const params = def.schema.safeParse(r.params);
  if (!params.success) return fail(r.id, 'invalid', `params of ${r.name}: ${issuesLine(params.error)}`);
  const actx = {
    executor: ctx.executor,
    address: ctx.config.address,
    target: ctx.config.name,
    service,
    clock: ctx.clock,
    log: ctx.log,
    signal: ctx.signal,
    dryRun: r.dry_run,
  };
  try {
    // Two brains (or one brain twice) starting the same service at once would race each other.
    const outcome: ActionOutcome = await ctx.serialize(`service:${service.name}`, () => def.run(actx, params.data));
    return { id: r.id, ok: true, kind: 'action', name: r.name, outcome: outcome as unknown as Record<string, unknown> & { status: string; text: string } };
  } catch (e) {
    return fail(r.id, 'failed', `${r.name}: ${errorText(e)}`);
  }
}

/** One queue per key: the next call waits for the previous one to end (whatever its result). */
export function keyedQueue(): AnswerContext['serialize'] {
  const tails = new Map<string, Promise<unknown>>();
  return (key, fn) => {
    const prev = tails.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}
