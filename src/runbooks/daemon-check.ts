/**
 * The service runbook's decision (field runbook section 3), shared by the runbooks of services
 * that are either running or not (MySQL, FTP, SNMP's agent, any other daemon, and Apache before
 * its workers are looked at): from what listens, what runs and what answers, a verdict and the
 * one action that fits. Stopped: start it. Running but not listening: restart it. Listening
 * without its process, or answering nobody while it runs: a person looks.
 */
import type { Answer } from '../actions/answers.ts';
import { processNames } from '../actions/service-config.ts';
import type { ServiceView } from '../actions/service-observe.ts';
import { plural } from '../inspect/types.ts';
import { said } from '../core/said.ts';
import { quoted, type Findings } from './steps.ts';
import { targetName, type RunbookContext, type RunbookResult } from './types.ts';

export interface DaemonWords {
  /** The service as people call it: `Apache`, `MySQL`, `the FTP server (vsftpd)`. */
  label: string;
  /** The same in Japanese: `Apache`, `MySQL`, `FTP サーバー（vsftpd）`. */
  ja: string;
  /** How the missing process is said: `no master process`, `no mariadbd process`. */
  noProcess?: string | undefined;
}

function ports(view: ServiceView, which: 'closed' | 'open'): string {
  const tcp = which === 'closed' ? view.notListening : view.listening;
  const udp = which === 'closed' ? view.udpClosed : view.udpOpen;
  return [...tcp.map((p) => `port ${p}`), ...udp.map((p) => `UDP ${p}`)].join(', ');
}

function portsJa(view: ServiceView, which: 'closed' | 'open'): string {
  const tcp = which === 'closed' ? view.notListening : view.listening;
  const udp = which === 'closed' ? view.udpClosed : view.udpOpen;
  return [...tcp.map((p) => `ポート ${p}`), ...udp.map((p) => `UDP ${p}`)].join('、');
}

const cap = (x: string) => x.charAt(0).toUpperCase() + x.slice(1);
/** `acc-srv の Apache`: the host, then the service (a space before a Latin name). */
const jaOf = (where: string, ja: string) => `${where} の${/^[A-Za-z]/.test(ja) ? ' ' : ''}${ja}`;
/** A subject before a particle: `MySQL は`, `FTP サーバー（vsftpd）は` (a space after a Latin end only). */
const sp = (s: string) => (/[A-Za-z0-9]$/.test(s) ? `${s} ` : s);

/** Whether the service is simply down, half up, or up (then `undefined`: the caller looks further). */
export function daemonVerdict(ctx: RunbookContext, f: Findings, view: ServiceView | undefined, answers: Answer[], words: DaemonWords): RunbookResult | undefined {
  const svc = ctx.service;
  const where = targetName(ctx);
  const who = jaOf(where, words.ja);
  const noProcess = words.noProcess ?? `no ${processNames(svc).join('/')} process`;
  const answering = answers.length > 0 && answers.every((a) => a.answered);
  if (!view) {
    return {
      verdict: `${words.label} on ${where} ${answering ? 'answers' : 'does not answer'}, and the server could not be inspected`,
      verdictSay: said(
        `${cap(words.label)} on ${where} ${answering ? 'answers' : 'does not answer'}, and mamoru could not look inside the server.`,
        `${sp(who)}は${answering ? '応答しています' : '応答していません'}。サーバー内部は確認できませんでした。`,
      ),
      evidence: f.items,
      proposed: [],
    };
  }
  if (view.down) {
    const closed = ports(view, 'closed');
    const closedJa = portsJa(view, 'closed');
    return {
      verdict: `${words.label} is down on ${where}: ${closed ? `${closed} not listening, ` : ''}${noProcess}; start it`,
      verdictSay: said(
        `${cap(words.label)} is down on ${where}: its process is not running${closed ? ` and ${closed} is not listening` : ''}.`,
        `${sp(who)}が停止しています（プロセスがなく${closedJa ? `、${closedJa} で待ち受けていません` : ''}）。`,
      ),
      evidence: f.items,
      proposed: [{ type: 'start-service', why: `${words.label} is not running (${closed ? `${closed} not listening, ` : ''}${noProcess})` }],
    };
  }
  if (!view.master.master) {
    const needed = `Something other than ${words.label} is using ${ports(view, 'open')} on ${where}; please tell us whether that is intended.`;
    return {
      verdict: `${ports(view, 'open')} listening on ${where} but ${noProcess}: another program holds the port`,
      verdictSay: said(
        `${cap(ports(view, 'open'))} on ${where} is held by another program: ${words.label} is not running.`,
        `${jaOf(where, portsJa(view, 'open'))} は別のプログラムが使用しており、${sp(words.ja)}は動いていません。`,
      ),
      evidence: f.items,
      proposed: [],
      neededFromClient: needed,
      neededSay: said(needed, `${jaOf(where, portsJa(view, 'open'))} を ${sp(words.ja)}以外のプログラムが使用しています。意図したものかどうか、お知らせください。`),
    };
  }
  if (!view.up) {
    const pid = view.master.master.pid;
    return {
      verdict: `${words.label} runs on ${where} (pid ${pid}) but ${ports(view, 'closed')} not listening; restart it`,
      verdictSay: said(
        `${cap(words.label)} runs on ${where} but ${ports(view, 'closed')} is not listening.`,
        `${sp(who)}は動いていますが、${portsJa(view, 'closed')} で待ち受けていません。`,
      ),
      evidence: f.items,
      proposed: [{ type: 'restart-service', why: `${words.label} runs (pid ${pid}, ${plural(view.master.children.length, 'child', 'children')}) but ${ports(view, 'closed')} not listening` }],
    };
  }
  if (answers.length > 0 && !answering) return undefined;
  return {
    verdict: `${words.label} runs on ${where} and answers now${answers[0] ? `: ${answers[0].text}` : ''}`,
    verdictSay: said(`${cap(words.label)} runs on ${where} and answers now.`, `${sp(who)}は稼働しており、現在は応答しています。`),
    evidence: f.items,
    proposed: [],
  };
}

/** Running and listening, yet no answer from the monitor: hung, or something in between drops it. */
export function hungVerdict(ctx: RunbookContext, f: Findings, view: ServiceView, answers: Answer[], words: DaemonWords): RunbookResult {
  const failed = answers.filter((a) => !a.answered);
  const where = targetName(ctx);
  const needed = `${words.label} on ${where} runs but does not answer; if a firewall or a recent change could block it, please tell us.`;
  return {
    verdict: `${words.label} runs on ${where} (pid ${view.master.master?.pid}) and ${ports(view, 'open')} listening, but it does not answer from the monitor: ${failed[0]?.text ?? 'no answer'}`,
    verdictSay: said(
      `${cap(words.label)} runs on ${where} and ${ports(view, 'open')} is listening, but it does not answer from the monitor${failed[0] ? `: "${quoted(failed[0].text)}"` : ''}.`,
      `${sp(jaOf(where, words.ja))}は動いており、${portsJa(view, 'open')} で待ち受けていますが、監視サーバーからの接続に応答しません${failed[0] ? `（「${quoted(failed[0].text)}」）` : ''}。`,
    ),
    evidence: f.items,
    proposed: [],
    neededFromClient: needed,
    neededSay: said(needed, `${sp(jaOf(where, words.ja))}は動いていますが応答しません。ファイアウォールや最近の変更で通信が妨げられている可能性があれば、お知らせください。`),
  };
}
