/**
 * What every runbook shares: the context it looks through (one server through one executor, the
 * service the alert concerns, the clock, where records go), and what it hands back: a verdict in
 * the operator's words, the evidence behind it, the actions it proposes (the guard policy decides
 * whether and how they run), attack evidence for the guard, and what the client must do when
 * mamoru cannot. Runbooks are a plugin family: one file each, keyed by triage's runbook names.
 */
import type { Logger } from 'pino';
import type { ActionType } from '../actions/index.ts';
import type { ServiceConfig } from '../actions/service-config.ts';
import type { TimelineRecord } from '../actions/types.ts';
import type { Clock } from '../core/clock.ts';
import type { Said } from '../core/said.ts';
import type { Executor } from '../executors/types.ts';
import type { RunbookName } from '../triage/types.ts';

/** One finding: which look it came from, what it says in one line, and its facts. */
export interface Evidence {
  /** The step that found it: `page`, `listening`, `master`, `workers`, `connections`, `mail-log` ... */
  what: string;
  /** The finding in the operator's words (the timeline's and the log's). */
  summary: string;
  /** The finding for the message, in each language (no instants inside: those stay in `data`). */
  say?: Said | undefined;
  data?: Record<string, unknown> | undefined;
  /** When it was found (ms since the epoch, from the context's clock): its time in the timeline. */
  at?: number | undefined;
}

/** An action a runbook asks for; the guard policy decides whether it runs, asks or only says. */
export interface ActionRequest {
  type: ActionType;
  /** The action's own parameters. */
  params?: Record<string, unknown> | undefined;
  /** Why, in one line (goes into the approval question and the timeline). */
  why: string;
}

/** A source behind an attack, as the guard will want it. */
export interface AttackSource {
  address: string;
  /** Connections it holds (all counted states). */
  connections: number;
  /** Half-open connections (SYN_RECV): forgeable, so evidence, never grounds for a ban alone. */
  synRecv?: number | undefined;
  /** Failed logins from it in the service's log. */
  authFailures?: number | undefined;
}

/** A ban the guard holds now: the address (or network), the port when per port, and its end (ms; none: no end). */
export interface BanInForce {
  address: string;
  port?: number | undefined;
  until?: number | undefined;
}

/** What a runbook hands the guard: who, on which port, and why it thinks so. */
export interface AttackEvidence {
  service: string;
  ports: number[];
  sources: AttackSource[];
  summary: string;
}

export interface RunbookResult {
  /** One line, in the operator's words: "Apache is down: port 80 not listening, no master process". */
  verdict: string;
  /** The verdict for the message, in each language. */
  verdictSay: Said;
  evidence: Evidence[];
  proposed: ActionRequest[];
  attack?: AttackEvidence | undefined;
  /** What only the client (the server's owner) can do, when there is something. */
  neededFromClient?: string | undefined;
  /** `neededFromClient` in each language; present whenever it is. */
  neededSay?: Said | undefined;
}

/** Where timeline records go as they happen (the incident's timeline). */
export interface Recorder {
  record(r: TimelineRecord): void | Promise<void>;
}

/** Another probe location's view of the host (a zone), when there are several. */
export interface ZoneView {
  zone: string;
  /** The host answered from there. */
  reachable: boolean;
  text?: string | undefined;
}

export interface RunbookContext {
  executor: Executor;
  /** The server's address as the monitor reaches it. */
  address: string;
  /** The target's name, for texts. @defaultValue address */
  target?: string | undefined;
  /** The service the alert concerns (for host-unreachable: whatever the target runs, for its ports). */
  service: ServiceConfig;
  clock: Clock;
  recorder?: Recorder | undefined;
  log?: Logger | undefined;
  signal?: AbortSignal | undefined;
  /** The alert that started it (disk-full reads the filesystems from it). */
  alert?: { text: string; at?: number | undefined } | undefined;
  /** Other zones' views of the host; absent when this monitor is the only one. */
  zones?: ZoneView[] | undefined;
  /** Addresses whose connections are not clients (the monitor's own: its checks and page loads). */
  ignoreSources?: readonly string[] | undefined;
  /** The cloud provider's console page for this server, when it is an instance. */
  consoleUrl?: string | undefined;
  /**
   * The guard's bans in force (the Store's `bans({ activeAt })`): an attacker already banned is
   * said to be, and not asked to be blocked again. Absent: the runbook cannot know of any.
   */
  bans?: (() => Promise<BanInForce[]>) | undefined;
}

export interface RunbookDefinition {
  /** Equals the file name and triage's runbook name. */
  name: RunbookName;
  /** One line for the CLI help and the docs. */
  summary: string;
  run(ctx: RunbookContext): Promise<RunbookResult>;
}

export function defineRunbook(def: RunbookDefinition): RunbookDefinition {
  return def;
}

export const targetName = (ctx: Pick<RunbookContext, 'target' | 'address'>) => ctx.target ?? ctx.address;
