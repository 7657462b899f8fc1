/**
 * Apache that runs but is slow or not answering: its workers against the limit, and who holds
 * them. Many distinct clients with a few connections each is a surge, where one more step of
 * the limit helps; a few sources holding most connections is an attack, where a higher limit only
 * feeds it: then the limit stays, and the sources go to the guard as attack evidence. Shared by
 * http-down and http-slow.
 */
import type { ServiceConfig } from '../actions/service-config.ts';
import { processNames } from '../actions/service-config.ts';
import { inspectApacheWorkers, type ApacheWorkersEvidence } from '../inspect/apache-workers.ts';
import { summarizeConnectionsSliced, type ConnectionSource } from '../inspect/connections.ts';
import { readTcpTable, type TcpState } from '../inspect/proc-net-tcp.ts';
import { plural } from '../inspect/types.ts';
import { recentErrors, type Findings } from './steps.ts';
import { targetName, type AttackEvidence, type RunbookContext, type RunbookResult } from './types.ts';

/** Connections that hold a worker (or a slot in the accept queue); finished ones (TIME_WAIT) do not. */
export const HELD: TcpState[] = ['ESTABLISHED', 'SYN_RECV', 'NEW_SYN_RECV', 'CLOSE_WAIT'];

export interface SourceJudgement {
  kind: 'attack' | 'surge' | 'none';
  total: number;
  distinct: number;
  /** The sources that make it an attack (empty for a surge). */
  heavy: ConnectionSource[];
  /** Every source, most connections first. */
  sources: ConnectionSource[];
}

/**
 * Surge or attack, from who holds the connections (pure): an attack when at most `max_sources`
 * addresses, each holding at least `min_connections`, hold at least `share` of them all.
 */
export function judgeSources(sources: ConnectionSource[], cfg: ServiceConfig['attack']): SourceJudgement {
  const sorted = [...sources].sort((a, b) => b.total - a.total || a.address.localeCompare(b.address));
  const total = sorted.reduce((n, s) => n + s.total, 0);
  if (total === 0) return { kind: 'none', total, distinct: 0, heavy: [], sources: sorted };
  const heavy = sorted.slice(0, cfg.max_sources).filter((s) => s.total >= cfg.min_connections);
  const held = heavy.reduce((n, s) => n + s.total, 0);
  const attack = heavy.length > 0 && held / total >= cfg.share;
  return { kind: attack ? 'attack' : 'surge', total, distinct: sorted.length, heavy: attack ? heavy : [], sources: sorted };
}

/** Inbound connections on the service's ports, merged per remote address. */
async function whoHolds(ctx: RunbookContext): Promise<ConnectionSource[]> {
  const sockets = await readTcpTable(ctx.executor);
  const merged = new Map<string, ConnectionSource>();
  for (const port of ctx.service.ports.length ? ctx.service.ports : [80]) {
    for (const s of (await summarizeConnectionsSliced(sockets, { localPort: port, states: HELD, top: 10_000 })).topSources) {
      const m = merged.get(s.address);
      if (!m) merged.set(s.address, { ...s, states: { ...s.states }, localPorts: { ...s.localPorts } });
      else {
        m.total += s.total;
        for (const [k, v] of Object.entries(s.states)) m.states[k as TcpState] = (m.states[k as TcpState] ?? 0) + v!;
        Object.assign(m.localPorts, s.localPorts);
      }
    }
  }
  const ignore = new Set(ctx.ignoreSources ?? []);
  return [...merged.values()].filter((s) => !ignore.has(s.address));
}

export function inspectWorkers(ctx: RunbookContext): Promise<ApacheWorkersEvidence> {
  const s = ctx.service;
  return inspectApacheWorkers(ctx.executor, { names: processNames(s), configFile: s.config_file, serverRoot: s.server_root, errorLog: s.error_log, pidFile: s.pid_file });
}

/** Workers, who holds them, and the verdict that follows. */
export async function apacheLoad(ctx: RunbookContext, f: Findings, label: string): Promise<RunbookResult> {
  const where = targetName(ctx);
  const workers = await f.look('workers', () => inspectWorkers(ctx), (w) => ({ limit: w.limit, running: w.running, atLimit: w.atLimit, directive: w.directive, file: w.file, line: w.line, lastAh00161: w.lastAh00161, mpm: w.mpm }));
  let sources: ConnectionSource[] | undefined;
  try {
    sources = await whoHolds(ctx);
  } catch (e) {
    f.add('connections', `could not find out (connections): ${(e as Error).message}`);
  }
  const j = judgeSources(sources ?? [], ctx.service.attack);
  if (sources) {
    const top = j.sources.slice(0, 5).map((s) => `${s.address} ${s.total}`).join(', ');
    f.add('connections', j.total === 0 ? `no open connections on port ${ctx.service.ports.join(', ')}` : `${plural(j.total, 'open connection')} on port ${ctx.service.ports.join(', ')} from ${plural(j.distinct, 'address', 'addresses')}; most: ${top}`, {
      total: j.total,
      distinct: j.distinct,
      sources: j.sources.slice(0, 20).map((s) => ({ address: s.address, connections: s.total, states: s.states })),
    });
  }
  if (!workers) return { verdict: `${label} on ${where} runs but its workers could not be counted; a person should look`, evidence: f.items, proposed: [] };
  const atLimit = workers.atLimit || (j.total >= workers.limit && workers.running >= workers.limit);
  const count = `${workers.running} of ${workers.limit}`;

  if (j.kind === 'attack') {
    const attack: AttackEvidence = {
      service: 'http',
      ports: ctx.service.ports,
      sources: j.heavy.map((s) => ({ address: s.address, connections: s.total, synRecv: (s.states.SYN_RECV ?? 0) + (s.states.NEW_SYN_RECV ?? 0) || undefined })),
      summary: `${j.heavy.map((s) => `${s.address} holds ${s.total}`).join(', ')} of ${j.total} connections`,
    };
    f.add('attack', `attack: ${attack.summary}`, { sources: attack.sources });
    return {
      verdict: `${atLimit ? `workers at limit (${count})` : `workers ${count}`} on ${where}, attack: ${attack.summary}; not raising the limit (it would only feed the attack), the source${j.heavy.length === 1 ? '' : 's'} go${j.heavy.length === 1 ? 'es' : ''} to the guard`,
      evidence: f.items,
      proposed: [],
      attack,
    };
  }
  if (atLimit) {
    const most = j.sources[0]?.total ?? 0;
    // At ServerLimit (or capped by it) a graceful reload cannot raise anything: only a restart can.
    const capped = workers.cappedBy !== undefined || workers.limit >= workers.serverLimit.value * (workers.threadsPerChild?.value ?? 1);
    const why = `${label} uses all ${workers.limit} workers for ${plural(j.distinct, 'distinct client')} (a surge, not an attack)`;
    return {
      verdict: `workers at limit (${count}) on ${where}, surge: ${plural(j.total, 'connection')} from ${plural(j.distinct, 'address', 'addresses')}, at most ${most} from one; raise the limit${capped ? ` and ServerLimit ${workers.serverLimit.value} (needs a full restart)` : ''}`,
      evidence: f.items,
      proposed: [capped ? { type: 'raise-worker-limit-restart', why: `${why}; ServerLimit ${workers.serverLimit.value} caps it, which only a full restart can raise` } : { type: 'raise-worker-limit', why }],
    };
  }
  await recentErrors(ctx, f, workers.errorLog ?? ctx.service.error_log);
  return {
    verdict: `${label} on ${where} runs ${count} workers, below its limit: the slowness is not the worker limit`,
    evidence: f.items,
    proposed: [],
    neededFromClient: `The web server on ${where} has free workers, yet pages are slow: the site's application or its database may be the cause; please check recent changes.`,
  };
}
