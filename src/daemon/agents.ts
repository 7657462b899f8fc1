/**
 * The brain watches its agents (issue 21): with `bus: { type: nats }`, an AgentClient records the
 * agents' heartbeats in the bucket `<prefix>_agents` (agent/client.ts), and this room reads it every
 * poll and turns "the agent of target T has not been heard within its TTL" into the check `agent`
 * of T (config/checks.ts, AGENT_CHECK): a result handed to the daemon as if a probe had made it, so
 * incidents, messages and the console treat an agent lost like any check.
 *
 * Agent lost is not host down: the pollers' and the brain's own checks decide whether the server
 * answers; a lost agent on a server that answers is the operator's problem (the agent stopped, its
 * credentials were revoked, NATS is away from that server). A result is handed over when the
 * check's state changes and otherwise once per `defaults.interval`, so the store holds one row a
 * minute per agent, not one per poll. The nats client loads only when this opens (like the bus).
 */
import type { AgentClient, AgentInfo } from '../agent/client.ts';
import { AGENT_CHECK, type PlannedCheck } from '../config/checks.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../core/log.ts';
import { NagiosState } from '../core/nagios.ts';
import { outcome, type CheckResult } from '../core/result.ts';

export interface BrainAgentsDeps {
  /** The running config (a reload changes which targets name which agent). */
  config(): Config;
  onResult(checkId: string, result: CheckResult): void;
  secret(name: string): string;
  log: Logger;
  /** The daemon's clock, for the results' times; ages of heartbeats are on the wall clock, like NATS's. */
  now(): number;
}

/** One agent as GET /api/v1/agents and `mamoru agents` show it. */
export interface AgentView {
  name: string;
  /** Null when it was never heard since the brain started. */
  version: string | null;
  /** Heard within its TTL. */
  alive: boolean;
  last_seen: string | null;
  allow_actions: string[];
  allow_inspections: string[];
  services: string[];
  jails: string[];
  /** The targets whose `agent:` names it (none: an agent no target names yet). */
  targets: string[];
}

/** Checks that the brain's scheduler runs: not the zones' (pollers run them) nor the agents' (decided here). */
export function scheduledHere(planned: readonly PlannedCheck[], zoned: ReadonlyMap<string, unknown>): readonly PlannedCheck[] {
  if (zoned.size === 0 && !planned.some((c) => c.type === AGENT_CHECK)) return planned;
  return planned.filter((c) => !zoned.has(c.id) && c.type !== AGENT_CHECK);
}

/** The planned checks without the agents' (a poller's result never decides an agent check). */
export const withoutAgentChecks = (planned: readonly PlannedCheck[]): PlannedCheck[] => planned.filter((c) => c.type !== AGENT_CHECK);

const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

/** The words of the `agent` check (the tests and docs/agent.md hold them). */
export function agentOutcome(agent: string, heard: AgentInfo | undefined, lastSeen: number | undefined, wallNow: number, sinceMs: number): { state: NagiosState; text: string } {
  if (heard) return { state: NagiosState.OK, text: `AGENT OK - agent ${agent} ${heard.version}, heard ${seconds(wallNow - heard.lastSeen)} ago` };
  if (lastSeen !== undefined) return { state: NagiosState.CRITICAL, text: `AGENT CRITICAL - agent ${agent} not heard for ${seconds(wallNow - lastSeen)} (last seen ${new Date(lastSeen).toISOString()})` };
  return { state: NagiosState.CRITICAL, text: `AGENT CRITICAL - agent ${agent} not heard since the brain started ${seconds(wallNow - sinceMs)} ago (never seen)` };
}

export class BrainAgents {
  /** The last poll's agents, by name (those heard within the TTL). */
  private heard = new Map<string, AgentInfo>();
  /** Every agent heard since the brain started, as last heard: what a lost one said last. */
  private known = new Map<string, AgentInfo>();
  /** Per agent check: the state last handed over and when. */
  private told = new Map<string, { state: NagiosState; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private failing = false;
  private stopping: Promise<void> | undefined;
  private readonly startedAt = Date.now();

  private constructor(
    readonly client: AgentClient,
    private readonly deps: BrainAgentsDeps,
    readonly ttlMs: number,
  ) {}

  /** Opens the agents' bucket on the config's NATS bus, starts recording heartbeats and polling. */
  static async start(deps: BrainAgentsDeps): Promise<BrainAgents> {
    const bus = deps.config().bus as { type: string; url: string; prefix: string; user?: string; password_secret?: string; member_ttl: number };
    const { AgentClient } = await import('../agent/client.ts');
    const pass = bus.password_secret ? deps.secret(bus.password_secret) : undefined;
    const client = await AgentClient.open({ url: bus.url, prefix: bus.prefix, user: bus.user, pass, agentTtlMs: bus.member_ttl }, deps.log);
    const agents = new BrainAgents(client, deps, bus.member_ttl);
    try {
      await client.watch();
      await agents.poll();
    } catch (e) {
      await client.close();
      throw e;
    }
    // A lost agent is seen within a quarter of its TTL (at most 2 s late), never more often than 4 a second.
    agents.timer = setInterval(() => void agents.poll(), Math.min(2_000, Math.max(250, Math.floor(bus.member_ttl / 4)))).unref();
    const named = deps.config().targets.filter((t) => t.agent).length;
    deps.log.info({ agents: agents.heard.size, targets: named }, `watching the agents' heartbeats: ${agents.heard.size} heard now, ${named} target(s) name one`);
    return agents;
  }

  /** Reads the bucket once and hands over the agent checks whose state changed or are due. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    let list: AgentInfo[];
    try {
      list = await this.client.agents();
    } catch (err) {
      // NATS away: nothing is decided (every agent would look lost because the brain cannot hear).
      if (!this.failing) this.deps.log.warn({ err }, `agents: cannot read the heartbeats; agent checks keep their state until NATS answers: ${(err as Error).message}`);
      this.failing = true;
      return;
    }
    if (this.failing) this.deps.log.info('agents: reading the heartbeats again');
    this.failing = false;
    this.heard = new Map(list.map((a) => [a.name, a]));
    for (const a of list) this.known.set(a.name, a);
    const cfg = this.deps.config();
    const wallNow = Date.now();
    const now = this.deps.now();
    for (const t of cfg.targets) {
      if (!t.agent) continue;
      const id = `${t.name}/${AGENT_CHECK}`;
      const heard = this.heard.get(t.agent);
      // Just started: an agent gets one TTL to be heard before it counts as lost.
      if (!heard && !this.known.has(t.agent) && wallNow - this.startedAt < this.ttlMs) continue;
      const o = agentOutcome(t.agent, heard, this.known.get(t.agent)?.lastSeen, wallNow, this.startedAt);
      const last = this.told.get(id);
      if (last && last.state === o.state && now - last.at < cfg.defaults.interval) continue;
      this.told.set(id, { state: o.state, at: now });
      this.deps.onResult(id, { ...outcome(o.state, o.text), startedAt: now, durationMs: 0 });
    }
  }

  /** Agents heard now, and those a target names that are not: lost or never seen. */
  list(): AgentView[] {
    const byAgent = new Map<string, string[]>();
    for (const t of this.deps.config().targets) if (t.agent) byAgent.set(t.agent, [...(byAgent.get(t.agent) ?? []), t.name]);
    const names = new Set([...this.heard.keys(), ...byAgent.keys()]);
    return [...names].sort().map((name) => {
      const a = this.heard.get(name) ?? this.known.get(name);
      return {
        name,
        version: a?.version ?? null,
        alive: this.heard.has(name),
        last_seen: a ? new Date(a.lastSeen).toISOString() : null,
        allow_actions: a?.allowActions ?? [],
        allow_inspections: a?.allowInspections ?? [],
        services: a?.services ?? [],
        jails: a?.jails ?? [],
        targets: byAgent.get(name) ?? [],
      };
    });
  }

  /** Idempotent: a brain that loses the lead stops this, then stops. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.timer);
      await this.polling;
      await this.client.close();
    })();
    return this.stopping;
  }
}
