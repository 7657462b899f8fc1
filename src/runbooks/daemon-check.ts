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
import { targetName, type RunbookContext, type RunbookResult } from './types.ts';
import type { Findings } from './steps.ts';

export interface DaemonWords {
  /** The service as people call it: `Apache`, `MySQL`, `the FTP server (vsftpd)`. */
  label: string;
  /** How the missing process is said: `no master process`, `no mariadbd process`. */
  noProcess?: string | undefined;
}

function ports(view: ServiceView, which: 'closed' | 'open'): string {
  const tcp = which === 'closed' ? view.notListening : view.listening;
  const udp = which === 'closed' ? view.udpClosed : view.udpOpen;
  return [...tcp.map((p) => `port ${p}`), ...udp.map((p) => `UDP ${p}`)].join(', ');
}

/** Whether the service is simply down, half up, or up (then `undefined`: the caller looks further). */
export function daemonVerdict(ctx: RunbookContext, f: Findings, view: ServiceView | undefined, answers: Answer[], words: DaemonWords): RunbookResult | undefined {
  const svc = ctx.service;
  const where = targetName(ctx);
  const noProcess = words.noProcess ?? `no ${processNames(svc).join('/')} process`;
  const answering = answers.length > 0 && answers.every((a) => a.answered);
  if (!view) {
    return {
      verdict: `${words.label} on ${where} ${answering ? 'answers' : 'does not answer'}, and the server could not be inspected`,
      evidence: f.items,
      proposed: [],
    };
  }
  if (view.down) {
    const closed = ports(view, 'closed');
    return {
      verdict: `${words.label} is down on ${where}: ${closed ? `${closed} not listening, ` : ''}${noProcess}; start it`,
      evidence: f.items,
      proposed: [{ type: 'start-service', why: `${words.label} is not running (${closed ? `${closed} not listening, ` : ''}${noProcess})` }],
    };
  }
  if (!view.master.master) {
    return {
      verdict: `${ports(view, 'open')} listening on ${where} but ${noProcess}: another program holds the port`,
      evidence: f.items,
      proposed: [],
      neededFromClient: `Something other than ${words.label} is using ${ports(view, 'open')} on ${where}; please tell us whether that is intended.`,
    };
  }
  if (!view.up) {
    const pid = view.master.master.pid;
    return {
      verdict: `${words.label} runs on ${where} (pid ${pid}) but ${ports(view, 'closed')} not listening; restart it`,
      evidence: f.items,
      proposed: [{ type: 'restart-service', why: `${words.label} runs (pid ${pid}, ${plural(view.master.children.length, 'child', 'children')}) but ${ports(view, 'closed')} not listening` }],
    };
  }
  if (answers.length > 0 && !answering) return undefined;
  return {
    verdict: `${words.label} runs on ${where} and answers now${answers[0] ? `: ${answers[0].text}` : ''}`,
    evidence: f.items,
    proposed: [],
  };
}

/** Running and listening, yet no answer from the monitor: hung, or something in between drops it. */
export function hungVerdict(ctx: RunbookContext, f: Findings, view: ServiceView, answers: Answer[], words: DaemonWords): RunbookResult {
  const failed = answers.filter((a) => !a.answered);
  return {
    verdict: `${words.label} runs on ${targetName(ctx)} (pid ${view.master.master?.pid}) and ${ports(view, 'open')} listening, but it does not answer from the monitor: ${failed[0]?.text ?? 'no answer'}`,
    evidence: f.items,
    proposed: [],
    neededFromClient: `${words.label} on ${targetName(ctx)} runs but does not answer; if a firewall or a recent change could block it, please tell us.`,
  };
}
