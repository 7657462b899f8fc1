/**
 * `mamoru agent -c agent.yaml`: the agent on a monitored server (src/agent/). It runs until
 * SIGTERM or SIGINT; a config it cannot use, or a credentials file others can read, stops it at
 * once with exit 2 and the fix in the message.
 *
 * `mamoru agents [--json] -c mamoru.yaml`: on the brain, the agents as the running brain lists them
 * (GET /api/v1/agents: also the lost ones and the targets naming each); with no brain answering,
 * those heard within their TTL, from the NATS bus (`bus: { type: nats }`); `--listen 6s` hears the
 * heartbeats itself first, for when no running brain records them.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Agent } from '../agent/agent.ts';
import { CredentialsFileError, loadAgentConfig } from '../agent/config.ts';
import { AgentClient, type AgentInfo } from '../agent/client.ts';
import type { AgentView } from '../daemon/agents.ts';
import { loadConfigFile } from '../config/load.ts';
import { parseDuration } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import { createLogger, silentLogger } from '../core/log.ts';
import { secretsFrom } from '../core/secrets.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const DEFAULT_AGENT_CONFIG = process.env.MAMORU_AGENT_CONFIG ?? '/etc/mamoru/agent.yaml';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description("run the server agent: connects out to NATS and answers the brain's inspections and the actions its own config allows")
    .option('-c, --config <file>', "the agent's config file", DEFAULT_AGENT_CONFIG)
    .action(async (opts: { config: string }) => {
      const config = loadAgentConfig(opts.config);
      const log = createLogger();
      let agent: Agent;
      try {
        agent = await Agent.start({ config, log, version: pkg.version });
      } catch (e) {
        if (e instanceof CredentialsFileError) throw new UsageError(e.message);
        // NATS unreachable, the password refused, a permission missing: one line, no stack.
        const why = (e as Error).message;
        throw new UsageError(why.startsWith('agent: ') ? why : `agent ${config.name}: cannot start with NATS at ${config.nats.url}: ${why}`);
      }
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        log.info(`agent ${config.name}: stopping`);
        await agent.close();
        process.exit(0);
      };
      process.once('SIGTERM', () => void stop());
      process.once('SIGINT', () => void stop());
      const closed = await agent.closed;
      if (!stopping) {
        log.error({ err: closed }, `agent ${config.name}: the NATS connection closed`);
        process.exit(1);
      }
    });
}

const ago = (ms: number) => (ms < 1000 ? 'just now' : `${Math.round(ms / 1000)} s ago`);

/** An agent as listed: from NATS (AgentInfo), or from the running brain, which also knows lost ones and their targets. */
type Listed = Omit<AgentInfo, 'version' | 'lastSeen'> & { version: string | null; lastSeen: number | null; alive?: boolean; targets?: string[] };

function line(a: Listed, now: number): string {
  const acts = a.allowActions.length ? a.allowActions.join(', ') : 'none';
  const heard = a.lastSeen === null ? 'never heard' : a.alive === false ? `LOST, not heard for ${ago(now - a.lastSeen).replace(' ago', '')}` : `seen ${ago(now - a.lastSeen)}`;
  const targets = a.targets?.length ? `  targets: ${a.targets.join(', ')}` : '';
  return `${a.name}  ${a.version ?? '-'}  ${heard}  actions: ${acts}  services: ${a.services.length ? a.services.join(', ') : 'none'}${targets}`;
}

/** The running brain's list (GET /api/v1/agents); undefined when no brain answers, so NATS is read instead. */
async function fromBrain(configFile: string): Promise<Listed[] | undefined> {
  const { callDaemon, daemonTarget } = await import('./daemon-api.ts');
  try {
    const views = await callDaemon<AgentView[]>(daemonTarget(configFile), '/api/v1/agents');
    return views.map((v) => ({ name: v.name, version: v.version, lastSeen: v.last_seen === null ? null : Date.parse(v.last_seen), alive: v.alive, allowActions: v.allow_actions, allowInspections: v.allow_inspections, services: v.services, jails: v.jails, targets: v.targets }));
  } catch (e) {
    // Not running (or its web room off): as without a brain. Refused: say so, then the same.
    if (!/cannot reach the daemon|web room is off/.test((e as Error).message)) process.stderr.write(`mamoru: ${(e as Error).message}; reading the heartbeats from NATS instead\n`);
    return undefined;
  }
}

export function registerAgents(program: Command): void {
  program
    .command('agents')
    .description('list the server agents heard within their TTL (needs bus: { type: nats })')
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_FILE)
    .option('--json', 'print JSON')
    .option('--listen <duration>', 'hear the heartbeats for this long first (when no brain is running to record them)')
    .action(async (opts: { config: string; json?: boolean; listen?: string }) => {
      const { config } = loadConfigFile(opts.config);
      const bus = config.bus as { type: string; url?: string; prefix?: string; user?: string; password_secret?: string; member_ttl?: number };
      if (bus.type !== 'nats' || !bus.url || !bus.prefix) throw new UsageError(`${opts.config}: agents talk over NATS: set bus: { type: nats, url: ... } in the config`);
      let listenMs = 0;
      if (opts.listen !== undefined) {
        try {
          listenMs = parseDuration(opts.listen);
        } catch (e) {
          throw new UsageError(`--listen: ${(e as Error).message}`);
        }
        if (listenMs > 600_000) throw new UsageError('--listen: at most 10m');
      }
      const listed = listenMs > 0 ? undefined : await fromBrain(opts.config);
      if (listed) return print(listed, opts.json === true);
      const pass = bus.password_secret ? secretsFrom(config.secrets)(bus.password_secret) : undefined;
      // No bucket: no brain has recorded an agent on this NATS yet.
      const none = (e: Error) => {
        if (/not found/i.test(e.message)) return undefined;
        throw e;
      };
      const client = await AgentClient.open({ url: bus.url, prefix: bus.prefix, user: bus.user, pass, ...(bus.member_ttl ? { agentTtlMs: bus.member_ttl } : {}) }, silentLogger, { create: listenMs > 0 }).catch(none);
      let agents: AgentInfo[] = [];
      if (client) {
        try {
          if (listenMs > 0) {
            await client.watch();
            await new Promise((r) => setTimeout(r, listenMs));
          }
          agents = (await client.agents().catch(none)) ?? [];
        } finally {
          await client.close();
        }
      }
      print(agents, opts.json === true);
    });
}

function print(agents: Listed[], json: boolean): void {
  const now = Date.now();
  if (json) process.stdout.write(JSON.stringify(agents, null, 2) + '\n');
  else process.stdout.write(agents.length ? agents.map((a) => line(a, now)).join('\n') + '\n' : 'no agent heard\n');
}
