/**
 * `mamoru agent -c agent.yaml`: the agent on a monitored server (src/agent/). It runs until
 * SIGTERM or SIGINT; a config it cannot use, or a credentials file others can read, stops it at
 * once with exit 2 and the fix in the message.
 *
 * `mamoru agents [--json] -c mamoru.yaml`: on the brain, the agents heard within their TTL, from
 * the brain's NATS bus (`bus: { type: nats }`); `--listen 6s` hears the heartbeats itself first,
 * for when no running brain records them.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Agent } from '../agent/agent.ts';
import { CredentialsFileError, loadAgentConfig } from '../agent/config.ts';
import { AgentClient, type AgentInfo } from '../agent/client.ts';
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

function line(a: AgentInfo, now: number): string {
  const acts = a.allowActions.length ? a.allowActions.join(', ') : 'none';
  return `${a.name}  ${a.version}  seen ${ago(now - a.lastSeen)}  actions: ${acts}  services: ${a.services.length ? a.services.join(', ') : 'none'}`;
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
      const now = Date.now();
      if (opts.json) process.stdout.write(JSON.stringify(agents, null, 2) + '\n');
      else process.stdout.write(agents.length ? agents.map((a) => line(a, now)).join('\n') + '\n' : 'no agent heard\n');
    });
}
