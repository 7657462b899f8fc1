/**
 * What every action shares: the context it runs in (one server through one executor, one service
 * on it), the timeline records it leaves behind, and how it ended. Actions are a plugin family
 * (`{ type, summary, schema, run }`, one file each, `index.ts` registry); the guard policy
 * (`policy.ts`) stands in front of every one of them, so an action itself only has to be
 * idempotent, verify its own work and say truthfully what it did.
 */
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { Said } from '../core/said.ts';
import type { Executor } from '../executors/types.ts';
import type { ApprovalPlan } from '../store/types.ts';
import type { ServiceConfig } from './service-config.ts';

/**
 * One line in the incident timeline, as the incident room stores it (`IncidentEvent` kinds
 * `action` and `evidence`): what was done, or what was found, with its facts.
 */
export interface TimelineRecord {
  kind: 'action' | 'evidence';
  /** One readable line in the operator's words. */
  text: string;
  /** The facts behind the line (argv, exit codes, values before and after), JSON-serialisable. */
  data?: Record<string, unknown> | undefined;
  /**
   * When the step happened, ms since the epoch, from the injected clock: an action's records reach
   * the timeline only once it has ended, and a 37 s raise must not read as one moment.
   * Unset: the time it is recorded.
   */
  at?: number | undefined;
}

/**
 * How an action ended:
 * - `done`: it changed something and verified the change;
 * - `no-op`: nothing needed doing (a start of a running service);
 * - `failed`: it could not do it, and nothing was left half-done;
 * - `escalate`: a person must look (a failed change was rolled back, or could not be);
 * - `dry-run`: it said what it would do and did nothing;
 * - `pending`: waiting for a person's approval (`ask` mode);
 * - `refused`: the guard did not let it run (rate limit, denied or unanswered approval).
 */
export type ActionStatus = 'done' | 'no-op' | 'failed' | 'escalate' | 'dry-run' | 'pending' | 'refused';

export interface ActionOutcome {
  status: ActionStatus;
  /** One line in the operator's words (the timeline's and the log's): what was done and how it ended. */
  text: string;
  /**
   * The same line for the message, in each language: what was done (or would be, or waits for
   * approval) and how it ended, in its true tense; for `escalate`, also what a person must do.
   */
  say: Said;
  /** Every step, in order, for the incident timeline. */
  records: TimelineRecord[];
  /** Why a person is needed, for `escalate` (and `refused` by a rate limit). */
  why?: string | undefined;
  /** `why` in each language, when there is one. */
  whySay?: Said | undefined;
  /**
   * What it would take instead, when this action declined for a reason another action can get
   * past (a raise that ServerLimit caps: the raise with a full restart). respond() asks the guard
   * for it in this one's place, so the message says what waits rather than "a person must look".
   */
  instead?: { type: string; why: string } | undefined;
  /**
   * What a person on the client's side must do now, when the action found it (a config that was
   * broken before mamoru touched it): respond() makes it the result's needed-from-client.
   */
  needed?: { text: string; say: Said } | undefined;
}

/** What an action would do, for an approval question and the message that waits on it. */
export interface Described {
  /** In the operator's words (the approval's text). */
  text: string;
  /** What it would change, in each language, without a verb of tense: "raise MaxRequestWorkers on X from 5 to 10". */
  say: Said;
  /** The same as data: each command's argv and each config change (the approval shows them one by one). */
  plan?: ApprovalPlan | undefined;
}

/** Where an action runs and on what. */
export interface ActionContext {
  /** Runs commands on the server that has the service. */
  executor: Executor;
  /** The server's address as the monitor reaches it (for "does it answer" from outside). */
  address: string;
  /** The target's name, for texts and the rate limit's key. @defaultValue address */
  target?: string | undefined;
  service: ServiceConfig;
  clock: Clock;
  log?: Logger | undefined;
  /** Aborts waits (for a port to listen, for an answer). */
  signal?: AbortSignal | undefined;
  /**
   * `true` (dry-run): say what would be done, change nothing. Each action honours it step by
   * step, so the dry-run text names the real commands and files.
   */
  dryRun?: boolean | undefined;
}

/** What the guard policy needs to know about an action besides running it. */
export type ActionRisk = 'service' | 'config';

export interface ActionDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Equals the file name. */
  type: string;
  /** One line for the CLI help, the docs and the approval question. */
  summary: string;
  /** The action's own parameters (snake_case), checked before it runs. */
  schema: S;
  /**
   * `service`: starts, stops or reloads what is already configured (default mode `auto` for a
   * start); `config`: changes a file on the server (default mode `ask`).
   */
  risk: ActionRisk;
  /**
   * Runs that count together against the rate limit: a start and a restart of the same service
   * are both "it had to be brought back". @defaultValue the type
   */
  rateGroup?: string;
  /** Past tense for the rate limit's refusal: "was restarted" (3 times in 10 minutes, not again). */
  rateWords?: string;
  /** What the action would do, in one line, without touching anything (for `ask` and `dry-run`). */
  describe(ctx: ActionContext, params: z.output<S>): Promise<Described>;
  /** What is being done while it runs, for the message that goes out meanwhile ("starting apache2 on X"). */
  doing(ctx: ActionContext, params: z.output<S>): Said;
  run(ctx: ActionContext, params: z.output<S>): Promise<ActionOutcome>;
}

/** Identity helper that keeps each action's parameter types. */
export function defineAction<S extends z.ZodObject>(def: ActionDefinition<S>): ActionDefinition<S> {
  return def;
}

/**
 * Collects timeline records as an action goes (and logs them), so every path returns all of them.
 * Give it the action's clock (`new Steps(ctx.log, ctx.clock)`): each record is then stamped with
 * the moment it was made.
 */
export class Steps {
  readonly records: TimelineRecord[] = [];
  constructor(
    private readonly log?: Logger,
    private readonly clock?: Clock,
  ) {}
  action(text: string, data?: Record<string, unknown>): void {
    this.records.push({ kind: 'action', text, ...(data ? { data } : {}), ...this.stamp() });
    this.log?.info({ ...data }, text);
  }
  evidence(text: string, data?: Record<string, unknown>): void {
    this.records.push({ kind: 'evidence', text, ...(data ? { data } : {}), ...this.stamp() });
    this.log?.debug({ ...data }, text);
  }
  private stamp(): { at?: number } {
    return this.clock ? { at: this.clock.now() } : {};
  }
  /** How the action ended: the operator's line, the message's line in each language, and why a person is needed (both languages). */
  outcome(status: ActionStatus, text: string, say: Said, why?: string, whySay?: Said): ActionOutcome {
    return { status, text, say, records: this.records, ...(why ? { why } : {}), ...(whySay ? { whySay } : {}) };
  }
}

/** The target's name for texts. */
export const targetOf = (ctx: Pick<ActionContext, 'target' | 'address'>) => ctx.target ?? ctx.address;

/** A command's result in one line: `exit 0`, `exit 1: AH00526: Syntax error ...`, `timed out`. */
export function resultLine(r: { code: number | null; signal: string | null; timedOut: boolean; stdout: string; stderr: string }): string {
  const out = (r.stderr.trim() || r.stdout.trim()).split('\n').filter(Boolean);
  const tail = out.slice(-3).join(' / ');
  const how = r.timedOut ? 'timed out' : r.code !== null ? `exit ${r.code}` : `killed by ${r.signal}`;
  return tail ? `${how}: ${tail.length > 300 ? tail.slice(0, 297) + '...' : tail}` : how;
}

/**
 * The first error line a command wrote, for quoting to a person: the first line that reads as an
 * error (Apache's `AH00526: Syntax error on line 3 of ...`), passing over warnings printed on every
 * run (`AH00558: ... Could not reliably determine the server's fully qualified domain name`), else
 * the first line at all; control characters dropped, at most 200 characters. What a server
 * prints is not to be trusted with more.
 */
export function firstLine(r: { stdout: string; stderr: string }): string {
  const lines = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 200);
  const warning = /\bAH00558\b|\bwarn(?:ing)?\b/i;
  const line = lines.find((l) => /error|invalid|failed|cannot|could not|not found|unknown|denied/i.test(l) && !warning.test(l)) ?? lines.find((l) => !warning.test(l)) ?? lines[0] ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = line.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return clean.length > 200 ? `${clean.slice(0, 197)}...` : clean;
}
