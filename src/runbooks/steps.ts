/**
 * Steps several runbooks take, each adding its evidence: open the page by IP and by domain from
 * the monitor, look at the service's processes and ports, read the recent end of its error log.
 * A step that cannot find out (the server cannot be reached, a file cannot be read) says so as
 * evidence instead of stopping the runbook: "could not find out" is a finding too.
 */
import { probeOnce, type Answer } from '../actions/answers.ts';
import { isApache } from '../actions/service-config.ts';
import { observeService, type ServiceView } from '../actions/service-observe.ts';
import type { Clock } from '../core/clock.ts';
import { inspectErrorLog } from '../inspect/error-log.ts';
import { said, type Said } from '../core/said.ts';
import type { Evidence, RunbookContext } from './types.ts';

/** What each look is, for "could not find out" in each language. */
const LOOKS: Record<string, Said> = {
  service: said("the service's processes and ports", 'サービスのプロセスとポート'),
  'error-log': said('the error log', 'エラーログ'),
  workers: said("Apache's workers and their limit", 'Apache の処理数と上限'),
  connections: said('the open connections', '接続状況'),
  'syn-recv': said('the half-open connections', '確立途中の接続'),
  'mail-log': said('the mail log', 'メールログ'),
  'disk-usage': said('the disk usage', 'ディスク使用量'),
  'deleted-open': said('deleted files still held open', '削除済みで開かれたままのファイル'),
  inodes: said('the inode usage', 'inode の使用状況'),
  bans: said('the bans in force', '現在のアクセス遮断'),
  queue: said('the mail queue', 'メールキュー'),
};

/** "Could not find out X" in each language (the reason stays in the operator's line and the data). */
export function couldNot(what: string): Said {
  const w = LOOKS[what] ?? said(what, `「${what}」`);
  return said(`mamoru could not find out ${w.en}.`, `${w.ja}を確認できませんでした。`);
}

/** The evidence a runbook gathers, in the order it was found, each with the moment it was found. */
export class Findings {
  readonly items: Evidence[] = [];

  /** @param clock what stamps each finding (the runbook context's clock) */
  constructor(private readonly clock?: Clock) {}

  /** One finding: the operator's line, its facts, and the message's line in each language. */
  add(what: string, summary: string, data?: Record<string, unknown>, said?: Said): void {
    this.items.push({ what, summary, ...(said ? { say: said } : {}), ...(data ? { data } : {}), ...(this.clock ? { at: this.clock.now() } : {}) });
  }

  /**
   * Runs one look; its result's summary becomes evidence, and `said` words it for the message.
   * Undefined (and a "could not" finding) when it fails.
   */
  async look<T extends { summary: string }>(what: string, fn: () => Promise<T>, data?: (v: T) => Record<string, unknown>, said?: (v: T) => Said): Promise<T | undefined> {
    try {
      const v = await fn();
      this.add(what, v.summary, data ? data(v) : undefined, said?.(v));
      return v;
    } catch (e) {
      this.add(what, `could not find out (${what}): ${(e as Error).message}`, { error: (e as Error).message }, couldNot(what));
      return undefined;
    }
  }
}

/** The page as a client opens it: by IP on each web port, and by domain name when one is configured. */
export async function openPages(ctx: RunbookContext, f: Findings): Promise<Answer[]> {
  const svc = ctx.service;
  const ports = svc.ports.length ? svc.ports : [80];
  const byIp = await Promise.all(
    ports.map((port) => probeOnce('http', ctx.address, { port, tls: port === 443 || port === 8443, ...(svc.domain ? { host_header: svc.domain } : {}) }, svc.page_timeout, ctx.signal)),
  );
  ports.forEach((port, i) => {
    const url = `http://${ctx.address}${port === 80 ? '' : `:${port}`}/`;
    f.add('page', `${url} ${pageWords(byIp[i]!)}`, { port, ...byIp[i]! }, pageSay(url, byIp[i]!));
  });
  if (!svc.domain) return byIp;
  const byName = await probeOnce('http', svc.domain, { port: ports[0]! }, svc.page_timeout, ctx.signal);
  f.add('page', `http://${svc.domain}/ ${pageWords(byName)}`, { domain: svc.domain, ...byName }, pageSay(`http://${svc.domain}/`, byName));
  return [...byIp, byName];
}

function pageWords(a: Answer): string {
  return a.answered ? `answers: ${a.text}` : `does not answer: ${a.text}`;
}

/** A probe's own line, quoted (it is the plugin's output, in its words), bounded. */
export const quoted = (text: string, max = 160) => {
  // eslint-disable-next-line no-control-regex
  const t = text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
};

const seconds = (ms: number) => (ms / 1000).toFixed(2);

function pageSay(url: string, a: Answer): Said {
  return a.answered
    ? said(`The page ${url} opens from the monitor (${seconds(a.ms)} s).`, `監視サーバーからページ ${url} を開けました（${seconds(a.ms)} 秒）。`)
    : said(`The page ${url} does not open from the monitor: "${quoted(a.text)}".`, `監視サーバーからページ ${url} を開けません（「${quoted(a.text)}」）。`);
}

/** The service from the client's side: the page for a web server, else a TCP connection per port. */
export async function connectFromMonitor(ctx: RunbookContext, f: Findings, probe: 'tcp' | 'ftp' | 'pop3' = 'tcp'): Promise<Answer[]> {
  if (isApache(ctx.service)) return openPages(ctx, f);
  const answers = await Promise.all(ctx.service.ports.map((port) => probeOnce(probe, ctx.address, { port }, ctx.service.page_timeout, ctx.signal)));
  ctx.service.ports.forEach((port, i) => {
    const a = answers[i]!;
    const name = probe.toUpperCase();
    const say = a.answered
      ? said(`${name} on ${ctx.address}:${port} answers from the monitor.`, `監視サーバーから ${ctx.address}:${port}（${name}）に接続でき、応答がありました。`)
      : said(`${name} on ${ctx.address}:${port} does not answer from the monitor: "${quoted(a.text)}".`, `監視サーバーから ${ctx.address}:${port}（${name}）に応答がありません（「${quoted(a.text)}」）。`);
    f.add('connect', `${name} ${ctx.address}:${port} from the monitor ${pageWords(a)}`, { port, ...a }, say);
  });
  return answers;
}

/** Processes and ports in each language, from the view's facts. */
export function viewSay(name: string, v: ServiceView): Said {
  const en: string[] = [];
  const ja: string[] = [];
  const m = v.master.master;
  if (m) {
    en.push(`${name} runs (${v.master.children.length} ${v.master.children.length === 1 ? 'child' : 'children'})`);
    ja.push(`${name} は稼働しています（子プロセス ${v.master.children.length}）`);
  } else {
    en.push(`no ${name} process runs`);
    ja.push(`${name} のプロセスがありません`);
  }
  const portsEn = (ps: number[], udp: boolean) => ps.map((p) => `${udp ? 'UDP ' : 'port '}${p}`).join(', ');
  const portsJa = (ps: number[], udp: boolean) => ps.map((p) => `${udp ? 'UDP ' : 'ポート '}${p}`).join('、');
  if (v.listening.length) (en.push(`${portsEn(v.listening, false)} listening`), ja.push(`${portsJa(v.listening, false)} で待ち受けています`));
  if (v.notListening.length) (en.push(`${portsEn(v.notListening, false)} not listening`), ja.push(`${portsJa(v.notListening, false)} で待ち受けていません`));
  if (v.udpOpen.length) (en.push(`${portsEn(v.udpOpen, true)} open`), ja.push(`${portsJa(v.udpOpen, true)} が開いています`));
  if (v.udpClosed.length) (en.push(`${portsEn(v.udpClosed, true)} not open`), ja.push(`${portsJa(v.udpClosed, true)} が開いていません`));
  const cap = (x: string) => x.charAt(0).toUpperCase() + x.slice(1);
  return said(`${cap(en.join(', '))}.`, `${ja.join('。')}。`);
}

/** Processes and ports of the service on the server. */
export function lookAtService(ctx: RunbookContext, f: Findings): Promise<ServiceView | undefined> {
  return f.look(
    'service',
    () => observeService(ctx.executor, ctx.service),
    (v) => ({
      masterPid: v.master.master?.pid,
      children: v.master.children.length,
      listening: v.listening,
      notListening: v.notListening,
      udpOpen: v.udpOpen,
      udpClosed: v.udpClosed,
    }),
    (v) => viewSay(ctx.service.name, v),
  );
}

/** The last lines of the service's error log (where it says why it stopped), when its path is known. */
export async function recentErrors(ctx: RunbookContext, f: Findings, path = ctx.service.error_log, lines = 5): Promise<void> {
  if (!path) return;
  await f.look(
    'error-log',
    () => inspectErrorLog(ctx.executor, { path, maxLines: lines, maxBytes: 64 * 1024 }),
    (v) => ({ path: v.path, lines: v.lines.map((l) => l.text) }),
    (v) => {
      const last = v.lines.at(-1)?.text;
      return last === undefined
        ? said(`The error log ${v.path} has nothing recent.`, `エラーログ ${v.path} に最近の記録はありません。`)
        : said(`The error log ${v.path} ends with: "${quoted(last, 200)}".`, `エラーログ ${v.path} の最後の行:「${quoted(last, 200)}」。`);
    },
  );
}
