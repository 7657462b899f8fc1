/**
 * Timeline records as respond() and the actions write them (issue 13's contract: evidence and the
 * verdict with `data.say`, every action's status record with `data.type`, `data.status` and
 * `data.say`, its steps in between, needed-from-client with `data.neededSay`), and the incidents
 * they belong to, for composing messages the way the dispatcher does.
 */
import type { IncidentMember, IncidentRecord } from '../../src/core/incident.ts';
import { said, type Said } from '../../src/core/said.ts';
import { compose, type Change, type ComposeInput } from '../../src/notify/compose.ts';
import type { DetailRecord } from '../../src/notify/templates/sections.ts';
import type { TemplateEvent } from '../../src/notify/templates/defaults.ts';

/** 2026-01-19 11:00:00 UTC = 20:00:00 JST. */
export const T0 = Date.UTC(2026, 0, 19, 11, 0, 0);

export const jaContact = { name: '山田商事', language: 'ja' as const, time_zone: 'Asia/Tokyo' };
export const enContact = { name: 'ops', language: 'en' as const, time_zone: 'UTC' };

export function member(probe: string, label: string, state: string, text: string, recoveredAt?: number): IncidentMember {
  return { key: `web1/${label}`, kind: 'service', probe, label, state, text, since: T0, recoveredAt };
}

export function incident(members: IncidentMember[], resolved = false): IncidentRecord {
  return { id: 12, target: 'web1', status: resolved ? 'resolved' : 'open', severity: 'critical', title: 'web1: -', openedAt: T0, resolvedAt: resolved ? T0 + 95_000 : null, updatedAt: T0, members };
}

export const httpDown = () => member('http', 'http', 'CRITICAL', 'connect to address 10.114.0.10 and port 80: Connection refused');

let clock = T0;
const at = () => (clock += 1000);

export const evidence = (text: string, say: Said | undefined, data: Record<string, unknown> = {}): DetailRecord => ({ kind: 'evidence', text, data: { ...data, ...(say ? { say } : {}) }, at: at() });

export const verdict = (runbook: string, text: string, say: Said): DetailRecord => ({ kind: 'evidence', text: `verdict: ${text}`, data: { runbook, proposed: [], say }, at: at() });

/** A status record of an action (the line the message tells). */
export const status = (type: string, s: string, text: string, say: Said | undefined, data: Record<string, unknown> = {}): DetailRecord => ({ kind: 'action', text, data: { type, status: s, ...data, ...(say ? { say } : {}) }, at: at() });

/** A step of an action: a command it ran, what it saw (operator words only, as most are). */
export const step = (type: string, text: string, data: Record<string, unknown> = {}): DetailRecord => ({ kind: 'action', text, data: { type, status: 'step', ...data }, at: at() });

export const needed = (text: string, neededSay: Said): DetailRecord => ({ kind: 'evidence', text: `needed from the client: ${text}`, data: { needed: text, neededSay }, at: at() });

export const escalated = (why: string, say?: Said): DetailRecord => ({ kind: 'escalated', text: `needs a person: ${why}`, data: { runbook: 'http-down', ...(say ? { say } : {}) }, at: at() });

/** The http-down runbook's records on a dead Apache, before any action. */
export function apacheFound(): DetailRecord[] {
  return [
    evidence('apache2: no master process', said('No Apache process is running on web1.', 'web1 では Apache のプロセスが動いていません。'), { what: 'master' }),
    evidence('port 80 not listening', said('Nothing listens on port 80.', 'ポート 80 で待ち受けているプログラムがありません。'), { what: 'listening' }),
    verdict('http-down', 'Apache is down on web1: port 80 not listening, no master process', said('Apache is down on web1: it is not running and port 80 is closed.', 'web1 の Apache が停止しています（プロセスがなく、ポート 80 が閉じています）。')),
  ];
}

const startSay = {
  started: said('Starting apache2 on web1.', 'web1 の apache2 を起動しています。'),
  done: said('Started apache2 on web1: it answers again (HTTP 200).', 'web1 の apache2 を起動しました。再び応答しています（HTTP 200）。'),
  escalate: said('Tried to start apache2 on web1, but it does not answer: a person must read its error log and fix its configuration.', 'web1 の apache2 の起動を試みましたが応答しません。担当者がエラーログを確認し、設定を修正する必要があります。'),
  dryRun: said('Would start apache2 on web1 (systemctl start apache2).', 'web1 の apache2 を起動します（systemctl start apache2）。'),
};

/** start-service as respond() records it: started, its steps, then how it ended. */
export function startApache(end: 'done' | 'escalate' | 'started' | 'dry-run'): DetailRecord[] {
  const out: DetailRecord[] = [];
  if (end === 'dry-run') return [step('start-service', 'would run: systemctl start apache2', { argv: ['systemctl', 'start', 'apache2'] }), status('start-service', 'dry-run', 'would start apache2 on web1 (systemctl start apache2)', startSay.dryRun)];
  out.push(status('start-service', 'started', 'starting apache2 on web1', startSay.started));
  out.push(step('start-service', 'apache2 is not running; port 80 closed'));
  if (end === 'started') return out;
  out.push(step('start-service', `ran systemctl start apache2: exit ${end === 'done' ? 0 : 1}`, { argv: ['systemctl', 'start', 'apache2'], exitCode: end === 'done' ? 0 : 1 }));
  if (end === 'done') out.push(status('start-service', 'done', 'started apache2 on web1; verified: HTTP OK: HTTP/1.1 200 OK', startSay.done));
  else out.push(status('start-service', 'escalate', 'tried to start apache2 on web1, but it is not answering', startSay.escalate));
  return out;
}

/** A raise held for approval (ask mode), as policy.ts records it. */
export function raiseAsked(expiresAt: number): DetailRecord[] {
  const waiting = said('Waiting for approval to raise MaxRequestWorkers on web1 from 5 to 10 and reload Apache.', 'web1 の MaxRequestWorkers を 5 から 10 に引き上げ Apache を再読み込みすることについて、承認をお待ちしています。');
  return [status('raise-worker-limit', 'pending', 'asked for approval (id a1b2c3, within 30 minutes): raise MaxRequestWorkers on web1 from 5 to 10', waiting, { approvalId: 'a1b2c3', action: 'raise-worker-limit', expiresAt })];
}

export function message(contact: typeof jaContact | typeof enContact, event: TemplateEvent, inc: IncidentRecord, records: DetailRecord[], changes: Change[] = [], extra: Partial<ComposeInput> = {}) {
  return compose(contact, {}, { event, incident: inc, address: '10.114.0.10', details: { records }, changes, now: T0 + 60_000, ...extra });
}

/** The body's sections by heading (`What mamoru did:` / `■ 実施した対応`), each heading's lines up to a blank line. */
export function section(text: string, heading: string): string | undefined {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l === heading || l.startsWith(heading));
  if (i === -1) return undefined;
  const out: string[] = [];
  for (const l of lines.slice(i + 1)) {
    if (l.trim() === '') break;
    out.push(l);
  }
  return out.join('\n');
}

/** A run of three ASCII words: an English sentence (or a piece of one). */
const ENGLISH_RUN = /[A-Za-z][\w'’-]*(?:[ \t,.:;!?()"-]+[A-Za-z][\w'’-]*){2,}/;
/** File paths and URLs are names, like addresses and host names. */
const PATH = /(?:\b[a-z]+:\/\/|(?<![\w])\/)[^\s「」（）、。]+/g;

/** A quotation in a Japanese line (「plugin output」): told as the server said it. */
const QUOTED = /「[^「」]*」/g;

/**
 * Lines of a Japanese message that carry English: outside the 技術情報 part and outside a
 * quotation (plugin output and quoted log lines are told as they are), a line with a run of 3+
 * ASCII words is English.
 */
export function englishLines(subject: string, text: string): string[] {
  const bad: string[] = [];
  const english = (line: string) => ENGLISH_RUN.test(line.replace(QUOTED, '「」').replace(PATH, '/'));
  if (english(subject)) bad.push(`subject: ${subject}`);
  let technical = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('■')) technical = line.includes('技術情報');
    else if (!technical && english(line)) bad.push(line);
  }
  return bad;
}
