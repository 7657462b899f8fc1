/**
 * The brain's side of the agents: ask one agent for an inspection or an action (NATS request with
 * a timeout), and know which agents are alive from their heartbeats.
 *
 * Heartbeats are read on `<prefix>.agent.*.events` by `watch()` and kept in the KV bucket
 * `<prefix>_agents` (key: the agent's name) with a TTL, as the bus keeps its members: an agent
 * silent for `agent_ttl` is gone from `agents()`, and `mamoru agents` can read the bucket without
 * listening itself. The subject is the proof of who speaks (NATS lets web1 publish only under
 * `.agent.web1.`), so an event whose name differs from its subject's is dropped.
 */
import { connect, errors, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import { z } from 'zod';
import { BUS_NAME } from '../bus/types.ts';
import { agentOfSubject, allEvents, decode, encode, eventSchema, MAX_EVENT_BYTES, MAX_REPLY_BYTES, replySchema, subjects, type ActionReply, type AgentReply, type AgentRequestInput, type InspectReply } from './protocol.ts';

export interface AgentClientOptions {
  /** The NATS server(s), comma separated. */
  url: string;
  prefix: string;
  user?: string | undefined;
  pass?: string | undefined;
  /** An agent not heard from for this long is not listed. @defaultValue 15000 */
  agentTtlMs?: number;
  /** How long an inspection may take. @defaultValue 30000 */
  inspectTimeoutMs?: number;
  /** How long an action may take (a start waits for the service to answer). @defaultValue 180000 */
  actionTimeoutMs?: number;
}

/** One agent as its last heartbeat described it. */
export interface AgentInfo {
  name: string;
  version: string;
  /** When the brain last heard it (ms since the epoch, the brain's clock). */
  lastSeen: number;
  allowActions: string[];
  allowInspections: string[];
  services: string[];
  jails: string[];
}

/** Why an agent could not be asked: `unreachable` (nobody answers its subject) or `timeout`. */
export class AgentRequestError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'timeout' | 'bad-reply' | 'refused-by-nats',
    readonly agent: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AgentRequestError';
  }
}

const stored = z.object({
  name: z.string().regex(BUS_NAME),
  version: z.string().max(100),
  allow_actions: z.array(z.string().max(64)).max(100),
  allow_inspections: z.array(z.string().max(64)).max(100),
  services: z.array(z.string().max(128)).max(1000),
  jails: z.array(z.string().max(128)).max(1000),
});

export class AgentClient {
  private watching: Subscription | undefined;
  private seq = 0;
  private readonly ttl: number;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
    private readonly opts: AgentClientOptions,
    private readonly log: Logger,
  ) {
    this.ttl = opts.agentTtlMs ?? 15_000;
  }

  /**
   * Connects and opens the bucket; `create: false` (a listing from the command line) only opens
   * it, so it fails rather than creating a bucket no brain writes to.
   */
  static async open(opts: AgentClientOptions, log: Logger, how: { create?: boolean } = {}): Promise<AgentClient> {
    if (!BUS_NAME.test(opts.prefix)) throw new Error('agents: the prefix is letters, digits, _ and - (at most 64)');
    const nc = await connect({ servers: opts.url.split(',').map((s) => s.trim()), name: 'mamoru-brain-agents', ...(opts.user ? { user: opts.user } : {}), ...(opts.pass ? { pass: opts.pass } : {}), maxReconnectAttempts: -1 });
    try {
      const kvm = new Kvm(nc);
      const bucket = `${opts.prefix}_agents`;
      const kv = how.create === false ? await kvm.open(bucket) : await kvm.create(bucket, { history: 1, ttl: opts.agentTtlMs ?? 15_000 });
      return new AgentClient(nc, kv, await jetstreamManager(nc), opts, log);
    } catch (e) {
      await nc.close().catch(() => {});
      throw e;
    }
  }

  /** Starts recording the agents' heartbeats into the bucket (the brain runs one of these). */
  async watch(): Promise<void> {
    if (this.watching) return;
    const sub = this.nc.subscribe(allEvents(this.opts.prefix));
    this.watching = sub;
    await this.nc.flush();
    void (async () => {
      for await (const msg of sub) {
        const name = agentOfSubject(this.opts.prefix, msg.subject);
        const ev = decode(eventSchema, msg.data, MAX_EVENT_BYTES, 'an agent event');
        if (!name || !ev.ok || ev.value.name !== name) {
          this.log.warn({ subject: msg.subject, why: ev.ok ? 'its name is not its subject\'s' : ev.error }, 'agents: an event that is not a valid heartbeat; dropped');
          continue;
        }
        const v = ev.value;
        const entry = { name, version: v.version, allow_actions: v.allow_actions, allow_inspections: v.allow_inspections, services: v.services, jails: v.jails };
        await this.kv.put(name, encode(entry)).catch((err) => this.log.warn({ err, agent: name }, 'agents: could not record a heartbeat'));
      }
    })();
  }

  /** The agents heard within the TTL, by name. */
  async agents(): Promise<AgentInfo[]> {
    // The keys from the stream's subjects in one request: KV's keys() iterates a consumer that
    // now and then never ends when an entry expires while it reads (seen with nats.js 3.4).
    const bucket = `${this.opts.prefix}_agents`;
    const head = `$KV.${bucket}.`;
    const info = await this.jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${head}>` });
    const keys = Object.keys(info.state.subjects ?? {}).map((s) => s.slice(head.length));
    const now = Date.now();
    const out: AgentInfo[] = [];
    for (const key of keys) {
      const e = await this.kv.get(key);
      if (!e || e.operation !== 'PUT') continue;
      const lastSeen = e.created.getTime();
      // The server drops expired entries on its own schedule; one past its time is not alive.
      if (now - lastSeen >= this.ttl) continue;
      const parsed = decode(stored, e.value, MAX_EVENT_BYTES, 'an agent entry');
      if (!parsed.ok) continue;
      const a = parsed.value;
      out.push({ name: a.name, version: a.version, lastSeen, allowActions: a.allow_actions, allowInspections: a.allow_inspections, services: a.services, jails: a.jails });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Asks an agent for an inspection; a refusal by the agent is a reply with `ok: false`. */
  async inspect(agent: string, name: string, params: Record<string, unknown> = {}, opts: { service?: string; timeoutMs?: number } = {}): Promise<InspectReply> {
    const reply = await this.request(agent, { kind: 'inspect', name, params, ...(opts.service ? { service: opts.service } : {}) }, opts.timeoutMs ?? this.opts.inspectTimeoutMs ?? 30_000);
    if (reply.ok && reply.kind !== 'inspect') throw new AgentRequestError('bad-reply', agent, `agent ${agent} answered an inspection with an action's outcome`);
    return reply as InspectReply;
  }

  /** Asks an agent to run an action on one of its services. */
  async act(agent: string, name: string, params: Record<string, unknown> = {}, opts: { service?: string; dryRun?: boolean; timeoutMs?: number } = {}): Promise<ActionReply> {
    const reply = await this.request(agent, { kind: 'action', name, params, ...(opts.service ? { service: opts.service } : {}), ...(opts.dryRun ? { dry_run: true } : {}) }, opts.timeoutMs ?? this.opts.actionTimeoutMs ?? 180_000);
    if (reply.ok && reply.kind !== 'action') throw new AgentRequestError('bad-reply', agent, `agent ${agent} answered an action with an inspection's evidence`);
    return reply as ActionReply;
  }

  /** Sends a request as it is (also what the schema would refuse: for tests of the agent's fences). */
  async request(agent: string, body: Omit<AgentRequestInput, 'id'> & { id?: string }, timeoutMs: number): Promise<AgentReply> {
    if (!BUS_NAME.test(agent)) throw new AgentRequestError('unreachable', agent, `agents: "${agent}" is not an agent name`);
    const id = body.id ?? `${Date.now().toString(36)}-${++this.seq}`;
    return this.send(agent, encode({ ...body, id }), timeoutMs);
  }

  /** Raw bytes to an agent's request subject; the reply is bounded and checked. */
  async send(agent: string, data: Uint8Array, timeoutMs: number): Promise<AgentReply> {
    const subject = subjects(this.opts.prefix, agent).req;
    let msg;
    try {
      msg = await this.nc.request(subject, data, { timeout: timeoutMs });
    } catch (e) {
      if (e instanceof errors.RequestError && e.isNoResponders()) throw new AgentRequestError('unreachable', agent, `agent ${agent} does not answer: nothing listens on ${subject} (is it running and connected?)`, { cause: e });
      if (e instanceof errors.TimeoutError || (e instanceof Error && e.name === 'TimeoutError')) throw new AgentRequestError('timeout', agent, `agent ${agent} did not answer within ${timeoutMs} ms`, { cause: e });
      if (e instanceof errors.PermissionViolationError) throw new AgentRequestError('refused-by-nats', agent, `NATS did not let the brain ask ${subject}: ${e.message}`, { cause: e });
      throw e;
    }
    const reply = decode(replySchema, msg.data, MAX_REPLY_BYTES, `the reply of agent ${agent}`);
    if (!reply.ok) throw new AgentRequestError('bad-reply', agent, reply.error);
    return reply.value as AgentReply;
  }

  async close(): Promise<void> {
    this.watching?.unsubscribe();
    await this.nc.drain().catch(() => this.nc.close());
  }
}
