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
import { said, type Said } from '../core/said.ts';
import { couldNot, recentErrors, type Findings } from './steps.ts';
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

function workersSay(w: ApacheWorkersEvidence): Said {
  const at = w.atLimit ? ' (at the limit)' : '';
  const atJa = w.atLimit ? '（上限に達しています）' : '';
  const logged = w.lastAh00161 ? ' Apache logged that it reached its limit.' : '';
  const loggedJa = w.lastAh00161 ? 'Apache のログにも上限到達の記録があります。' : '';
  return said(
    `Apache runs ${w.running} workers against a limit of ${w.limit} (${w.directive})${at}.${logged}`,
    `Apache の処理数は ${w.running}、上限は ${w.limit}（${w.directive}）です${atJa}。${loggedJa}`,
  );
}

/** Workers, who holds them, and the verdict that follows. */
export async function apacheLoad(ctx: RunbookContext, f: Findings, label: string): Promise<RunbookResult> {
  const where = targetName(ctx);
  const workers = await f.look(
    'workers',
    () => inspectWorkers(ctx),
    (w) => ({ limit: w.limit, running: w.running, atLimit: w.atLimit, directive: w.directive, file: w.file, line: w.line, lastAh00161: w.lastAh00161, mpm: w.mpm }),
    workersSay,
  );
  let sources: ConnectionSource[] | undefined;
  try {
    sources = await whoHolds(ctx);
  } catch (e) {
    f.add('connections', `could not find out (connections): ${(e as Error).message}`, undefined, couldNot('connections'));
  }
  const j = judgeSources(sources ?? [], ctx.service.attack);
  const portList = ctx.service.ports.join(', ');
  if (sources) {
    const top = j.sources.slice(0, 5).map((s) => `${s.address} ${s.total}`).join(', ');
    f.add(
      'connections',
      j.total === 0 ? `no open connections on port ${portList}` : `${plural(j.total, 'open connection')} on port ${portList} from ${plural(j.distinct, 'address', 'addresses')}; most: ${top}`,
      {
        total: j.total,
        distinct: j.distinct,
        sources: j.sources.slice(0, 20).map((s) => ({ address: s.address, connections: s.total, states: s.states })),
      },
      j.total === 0
        ? said(`No open connections on port ${portList}.`, `ポート ${portList} に開いている接続はありません。`)
        : said(`${plural(j.total, 'open connection')} on port ${portList} from ${plural(j.distinct, 'address', 'addresses')}; the most from one address: ${j.sources[0]!.total}.`, `ポート ${portList} に ${j.distinct} か所から ${j.total} 件の接続があります（1 か所からの最多は ${j.sources[0]!.total} 件）。`),
    );
  }
  if (!workers) {
    return {
      verdict: `${label} on ${where} runs but its workers could not be counted; a person should look`,
      verdictSay: said(`${label} on ${where} runs, but mamoru could not count its workers: a person should look.`, `${where} の ${label} は動いていますが、処理数を確認できませんでした。担当者の確認が必要です。`),
      evidence: f.items,
      proposed: [],
    };
  }
  const atLimit = workers.atLimit || (j.total >= workers.limit && workers.running >= workers.limit);
  const count = `${workers.running} of ${workers.limit}`;
  const countSay = atLimit
    ? said(`${label} on ${where} uses all ${workers.limit} of its workers`, `${where} の ${label} は処理数の上限 ${workers.limit} をすべて使っています`)
    : said(`${label} on ${where} uses ${workers.running} of its ${workers.limit} workers`, `${where} の ${label} の処理数は上限 ${workers.limit} のうち ${workers.running} です`);

  if (j.kind === 'attack') {
    const attack: AttackEvidence = {
      service: 'http',
      ports: ctx.service.ports,
      sources: j.heavy.map((s) => ({ address: s.address, connections: s.total, synRecv: (s.states.SYN_RECV ?? 0) + (s.states.NEW_SYN_RECV ?? 0) || undefined })),
      summary: `${j.heavy.map((s) => `${s.address} holds ${s.total}`).join(', ')} of ${j.total} connections`,
    };
    const whoEn = j.heavy.map((s) => `${s.address} holds ${s.total}`).join(', ');
    const whoJa = j.heavy.map((s) => `${s.address} が ${s.total} 件`).join('、');
    f.add('attack', `attack: ${attack.summary}`, { sources: attack.sources }, said(`Attack: ${whoEn} of ${j.total} connections.`, `攻撃: 全 ${j.total} 件の接続のうち ${whoJa}を占めています。`));
    return {
      verdict: `${atLimit ? `workers at limit (${count})` : `workers ${count}`} on ${where}, attack: ${attack.summary}; not raising the limit (it would only feed the attack), the source${j.heavy.length === 1 ? '' : 's'} go${j.heavy.length === 1 ? 'es' : ''} to the guard`,
      verdictSay: said(
        `${countSay.en}, held by an attack: ${whoEn} of ${j.total} connections. The limit stays as it is (a higher one would only feed the attack); the attacking address${j.heavy.length === 1 ? ' is' : 'es are'} handed to the guard to block.`,
        `${countSay.ja}。原因は攻撃で、全 ${j.total} 件の接続のうち ${whoJa}を占めています。上限を上げても攻撃を助けるだけのため変更せず、攻撃元は遮断の対象としてガードに渡します。`,
      ),
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
    const sl = workers.serverLimit.value;
    return {
      verdict: `workers at limit (${count}) on ${where}, surge: ${plural(j.total, 'connection')} from ${plural(j.distinct, 'address', 'addresses')}, at most ${most} from one; raise the limit${capped ? ` and ServerLimit ${sl} (needs a full restart)` : ''}`,
      verdictSay: capped
        ? said(
            `${countSay.en}: a surge of real visitors (${plural(j.total, 'connection')} from ${plural(j.distinct, 'address', 'addresses')}, at most ${most} from one), not an attack. The limit can only go up together with ServerLimit ${sl}, which takes a full restart of Apache (visitors cut for a few seconds).`,
            `${countSay.ja}。攻撃ではなく、アクセスの集中です（${j.distinct} か所から ${j.total} 件、1 か所から最多 ${most} 件）。上限の引き上げには ServerLimit ${sl} の引き上げと Apache の完全な再起動（数秒間接続が切れます）が必要です。`,
          )
        : said(
            `${countSay.en}: a surge of real visitors (${plural(j.total, 'connection')} from ${plural(j.distinct, 'address', 'addresses')}, at most ${most} from one), not an attack. The limit can be raised without a restart.`,
            `${countSay.ja}。攻撃ではなく、アクセスの集中です（${j.distinct} か所から ${j.total} 件、1 か所から最多 ${most} 件）。上限は再起動なしで引き上げられます。`,
          ),
      evidence: f.items,
      proposed: [capped ? { type: 'raise-worker-limit-restart', why: `${why}; ServerLimit ${sl} caps it, which only a full restart can raise` } : { type: 'raise-worker-limit', why }],
    };
  }
  await recentErrors(ctx, f, workers.errorLog ?? ctx.service.error_log);
  const needed = `The web server on ${where} has free workers, yet pages are slow: the site's application or its database may be the cause; please check recent changes.`;
  return {
    verdict: `${label} on ${where} runs ${count} workers, below its limit: the slowness is not the worker limit`,
    verdictSay: said(`${countSay.en}, below its limit: the slowness is not the worker limit.`, `${countSay.ja}。上限には達しておらず、遅さの原因は処理数の上限ではありません。`),
    evidence: f.items,
    proposed: [],
    neededFromClient: needed,
    neededSay: said(needed, `${where} のウェブサーバーには処理の余裕がありますが、ページの表示が遅くなっています。サイトのアプリケーションやデータベースが原因の可能性があります。最近の変更をご確認ください。`),
  };
}
