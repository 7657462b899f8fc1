/**
 * The agent on a monitored server: connects out to NATS (no port of its own), says hello and then
 * heartbeats on `<prefix>.agent.<name>.events`, and answers requests on `<prefix>.agent.<name>.req`
 * (answer.ts decides each one). Its NATS user should be allowed exactly these subjects and reply
 * inboxes (docs/agent.md); the agent checks at start that its subscription was accepted, so a
 * wrong permission is a clear refusal to start rather than an agent that never hears anything.
 */
import { connect, credsAuthenticator, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.ts';
import { createLocalExecutor } from '../executors/local.ts';
import type { Executor } from '../executors/types.ts';
import { answer, keyedQueue, type AnswerContext } from './answer.ts';
import { readCredentialsFile, type AgentConfig } from './config.ts';
import { encode, MAX_REPLY_BYTES, subjects, type AgentEvent, type AgentReply } from './protocol.ts';

export interface AgentOptions {
  config: AgentConfig;
  log: Logger;
  /** mamoru's version, said in every heartbeat. */
  version: string;
  clock?: Clock;
  /** @defaultValue the local executor */
  executor?: Executor;
}

/** How the agent logs in: a password from its file, or a creds file (JWT + NKey seed). */
function authOf(config: AgentConfig): { user?: string; pass?: string; authenticator?: ReturnType<typeof credsAuthenticator> } {
  const n = config.nats;
  if (n.creds_file) return { authenticator: credsAuthenticator(new Uint8Array(readCredentialsFile(n.creds_file))) };
  if (n.password_file) {
    // A trailing newline (echo pw > file) is not part of the password, as for mamoru's secrets.
    const pass = readCredentialsFile(n.password_file).toString('utf8').replace(/\r?\n$/, '');
    return { user: n.user!, pass };
  }
  return n.user ? { user: n.user } : {};
}

export class Agent {
  private readonly abort = new AbortController();
  private readonly inflight = new Set<Promise<void>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly ctx: AnswerContext;
  private readonly subjects: { req: string; events: string };
  /** Resolves when the connection has closed for good (an Error when it was not asked to). */
  readonly closed: Promise<void | Error>;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly sub: Subscription,
    private readonly opts: AgentOptions,
    private readonly executor: Executor,
  ) {
    const { config, log } = opts;
    this.subjects = subjects(config.nats.prefix, config.name);
    this.ctx = { config, executor, clock: opts.clock ?? systemClock, log, signal: this.abort.signal, serialize: keyedQueue() };
    this.closed = nc.closed();
  }

  /**
   * Connects, subscribes to its requests and says hello. Throws CredentialsFileError before any
   * connection when the credentials file is not the agent user's alone.
   */
  static async start(opts: AgentOptions): Promise<Agent> {
    const { config, log } = opts;
    const auth = authOf(config);
    const nc = await connect({
      servers: config.nats.url.split(',').map((s) => s.trim()),
      name: `mamoru-agent-${config.name}`,
      ...auth,
      ...(config.nats.ca_file ? { tls: { caFile: config.nats.ca_file } } : {}),
      maxReconnectAttempts: -1,
    });
    try {
      const { req } = subjects(config.nats.prefix, config.name);
      const sub = nc.subscribe(req);
      // The server answers a subscription it refuses with an error before the flush's PONG.
      await nc.flush();
      if (sub.isClosed()) {
        const why = await sub.closed;
        throw new Error(`agent: NATS refused the subscription to ${req}${why instanceof Error ? ` (${why.message})` : ''}: give the agent's user permission to subscribe to it`);
      }
      const agent = new Agent(nc, sub, opts, opts.executor ?? createLocalExecutor());
      agent.serve();
      agent.watchStatus();
      await agent.publish('hello');
      agent.timer = setInterval(() => void agent.publish('heartbeat'), config.heartbeat);
      agent.timer.unref?.();
      log.info({ subject: req, allow_actions: config.allow_actions }, `agent ${config.name}: listening on ${req}`);
      return agent;
    } catch (e) {
      await nc.close().catch(() => {});
      throw e;
    }
  }

  /** What the agent says about itself. */
  event(type: AgentEvent['type']): AgentEvent {
    const c = this.opts.config;
    return {
      type,
      name: c.name,
      version: this.opts.version,
      at: (this.opts.clock ?? systemClock).now(),
      allow_actions: [...c.allow_actions],
      allow_inspections: [...c.allow_inspections],
      services: c.services.map((s) => s.name),
      jails: [],
    };
  }

  private async publish(type: AgentEvent['type']): Promise<void> {
    try {
      this.nc.publish(this.subjects.events, encode(this.event(type)));
    } catch (err) {
      this.opts.log.warn({ err }, `agent: could not publish its ${type}`);
    }
  }

  private serve(): void {
    void (async () => {
      for await (const msg of this.sub) {
        if (this.inflight.size >= this.opts.config.max_concurrent) {
          this.respond(msg, { id: '', ok: false, code: 'failed', error: `busy: the agent already handles ${this.opts.config.max_concurrent} requests; ask again later` });
          continue;
        }
        const p = answer(msg.data, this.ctx).then((reply) => this.respond(msg, reply));
        this.inflight.add(p);
        void p.finally(() => this.inflight.delete(p));
      }
    })();
  }

  /**
   * What the connection goes through, in the log: a publish NATS refuses (a permission missing
   * for the events subject) is reported only here, and a lost brain shows as a disconnect.
   */
  private watchStatus(): void {
    const log = this.opts.log;
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type === 'error') log.error({ err: s.error }, `agent: NATS said: ${s.error.message}`);
        else if (s.type === 'disconnect' || s.type === 'reconnect') log.warn({ server: s.server }, `agent: ${s.type}ed ${s.type === 'disconnect' ? 'from' : 'to'} NATS`);
      }
    })();
  }

  /** Sends the reply when it fits; a result too large for one message is said as such. */
  private respond(msg: Msg, reply: AgentReply): void {
    if (!msg.reply) return;
    // A server configured with a smaller max_payload would refuse the message: the brain would
    // only see a timeout. Some room is left for the headers and the subject.
    const max = Math.min(MAX_REPLY_BYTES, (this.nc.info?.max_payload ?? MAX_REPLY_BYTES) - 1024);
    let bytes = encode(reply);
    if (bytes.length > max) {
      bytes = encode({ id: reply.id, ok: false, code: 'too-large', error: `the result is ${bytes.length} bytes; a reply carries at most ${max}` } satisfies AgentReply);
    }
    try {
      msg.respond(bytes);
    } catch (err) {
      this.opts.log.warn({ err }, 'agent: could not send a reply');
    }
  }

  /** Stops answering, lets what runs end (actions are aborted), and closes the connection. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    this.sub.unsubscribe();
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, 5_000).unref?.())]);
    await this.nc.drain().catch(() => this.nc.close());
    await this.executor.close();
  }
}
