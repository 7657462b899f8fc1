/**
 * The plain sentences, per language: every English sentence has its Japanese twin here, side by
 * side, so neither language can gain a case the other lacks. A problem and its recovery name the
 * same subject ("the mail queue ... holds 1,500 messages" / "the mail queue ... is back to
 * normal"). The Japanese is written as an operator writes to a client: polite, short, facts first.
 */
import type { Matter, Reading, Subject, Why } from './cause.ts';

export type { Language } from '../../core/said.ts';
import type { Language } from '../../core/said.ts';

/** The service a probe watches, named as a client would name it. */
const services: Record<string, Record<Language, string>> = {
  http: { en: 'the web site (HTTP)', ja: 'ウェブサイト（HTTP）' },
  tcp: { en: 'a network service', ja: 'ネットワークサービス' },
  smtp: { en: 'outgoing mail (SMTP)', ja: 'メール送信（SMTP）' },
  pop3: { en: 'incoming mail (POP3)', ja: 'メール受信（POP3）' },
  imap: { en: 'incoming mail (IMAP)', ja: 'メール受信（IMAP）' },
  ftp: { en: 'file upload (FTP)', ja: 'ファイル転送（FTP）' },
  mysql: { en: 'the database (MySQL)', ja: 'データベース（MySQL）' },
  dns: { en: 'name resolution (DNS)', ja: 'DNS（名前解決）' },
  ssh: { en: 'remote login (SSH)', ja: 'リモートログイン（SSH）' },
  process: { en: 'a program that should be running', ja: '稼働しているべきプログラム' },
  ping: { en: 'the server', ja: 'サーバー' },
  'nagios-plugin': { en: 'a monitored service', ja: '監視対象のサービス' },
};

export interface Words {
  subject(s: Subject): string;
  /** A problem of a service or quantity on host `h`. */
  problem(s: Subject, m: Matter, h: string): string;
  recovered(s: Subject, h: string, r: Reading | undefined): string;
  /** A problem that was already over when its first message went out (mamoru fixed it meanwhile). */
  fixedMeanwhile(s: Subject, h: string, r: Reading | undefined): string;
  hostDown(h: string): string;
  hostBack(h: string): string;
  hostBackMeanwhile(h: string): string;
  /** A host behind a down parent (folded into the parent's incident). */
  behind(h: string): string;
  behindBack(h: string): string;
  /** A target without a host check of its own behind the down server `parent` (folded into its incident). */
  behindServer(h: string, parent: string): string;
  /** The same service seen through target `h` (a twin), failing with this incident's check, and back. */
  twin(h: string, probe: string | undefined): string;
  twinBack(h: string, probe: string | undefined): string;
}

/** What a twin is the same of, by probe: "the same web server". */
const same = (probe: string | undefined, l: Language) => ({ http: { en: 'web server', ja: 'ウェブサーバー' }, smtp: { en: 'mail server', ja: 'メールサーバー' }, pop3: { en: 'mail server', ja: 'メールサーバー' }, imap: { en: 'mail server', ja: 'メールサーバー' }, ftp: { en: 'FTP server', ja: 'FTP サーバー' }, mysql: { en: 'database server', ja: 'データベースサーバー' } })[probe ?? '']?.[l] ?? { en: 'service', ja: 'サービス' }[l];

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const en$ = (n: number) => n.toLocaleString('en-US');
const ja$ = (n: number) => n.toLocaleString('ja-JP');

const enWhy: Record<Why, string> = {
  'agent-silent': 'the SNMP agent there does not answer',
  'agent-credentials': "the SNMP agent there refuses mamoru's credentials",
  'agent-unreadable': 'the SNMP agent there gives no usable answer',
  unreachable: 'the server does not answer on the network',
  timeout: 'no answer in time',
  refused: 'the connection is refused',
  auth: 'the monitoring login is refused',
  'no-reading': 'the check could not get a result',
};

const jaWhy: Record<Why, string> = {
  'agent-silent': 'SNMP エージェントが応答していません',
  'agent-credentials': 'SNMP エージェントが監視用の認証を拒否しています',
  'agent-unreadable': 'SNMP エージェントから有効な応答が得られません',
  unreachable: 'サーバーがネットワーク上で応答していません',
  timeout: '時間内に応答がありません',
  refused: '接続が拒否されています',
  auth: '監視用のログインが拒否されています',
  'no-reading': '監視で結果を得られませんでした',
};

const enCount = (n: number) => `${en$(n)} ${n === 1 ? 'message' : 'messages'}`;

function enOver(s: Subject, m: Extract<Matter, { kind: 'over' }>, h: string): string {
  const r = m.reading;
  if (s.kind === 'disk') {
    const detail = r?.kind === 'disk' ? `${r.percent} % ${r.inodes ? 'of the inodes ' : ''}used on ${r.path}` : m.warning ? 'over its warning level' : 'over its limit';
    return `Disk space on ${h} is running ${m.warning ? 'low' : 'out'} (${detail}).`;
  }
  if (s.kind === 'mail-queue') {
    if (r?.kind !== 'count') return `The mail queue on ${h} is over its ${m.warning ? 'warning level' : 'limit'}.`;
    const limit = r.limit === undefined ? (m.warning ? 'over its warning level' : 'over its limit') : `${m.warning ? 'warning level' : 'limit'} ${en$(r.limit)}`;
    return `The mail queue on ${h} holds ${enCount(r.count)} (${limit}).`;
  }
  const shown = r?.kind === 'value' ? r.shown : '?';
  if (s.kind === 'snmp-agent') return `The SNMP agent on ${h} reports a value outside its limits (${shown}).`;
  return `${cap(en.subject(s))} on ${h} is ${shown}, outside its limits.`;
}

function enReading(r: Reading | undefined): string {
  if (!r) return '';
  if (r.kind === 'disk') return ` (${r.percent} % ${r.inodes ? 'of the inodes ' : ''}used on ${r.path})`;
  if (r.kind === 'count') return r.count === 0 ? ' (the queue is empty)' : ` (${enCount(r.count)})`;
  return ` (${r.shown})`;
}

export const en: Words = {
  subject(s) {
    switch (s.kind) {
      case 'server':
        return 'the server';
      case 'disk':
        return 'disk space';
      case 'mail-queue':
        return 'the mail queue';
      case 'snmp-agent':
        return 'the SNMP agent';
      case 'snmp-value':
        return `the value "${s.label}" (SNMP)`;
      case 'service':
        return services[s.probe ?? '']?.en ?? `the service "${s.label}"`;
    }
  },
  problem(s, m, h) {
    const S = cap(this.subject(s));
    const quantity = s.kind === 'disk' || s.kind === 'mail-queue' || s.kind === 'snmp-value';
    if (m.kind === 'unreadable') return `mamoru cannot ${quantity ? 'read' : 'check'} ${this.subject(s)} on ${h} (${enWhy[m.why]}).`;
    if (m.kind === 'over') return enOver(s, m, h);
    if (s.kind === 'snmp-agent' && m.kind === 'timeout') return `The SNMP agent on ${h} does not answer.`;
    if (s.kind === 'snmp-agent' && m.kind === 'auth') return `The SNMP agent on ${h} refuses mamoru's credentials.`;
    switch (m.kind) {
      case 'refused':
        return `${S} on ${h} refuses connections: it is not running.`;
      case 'timeout':
        return `${S} on ${h} does not answer in time.`;
      case 'slow':
        return `${S} on ${h} is answering slowly.`;
      case 'auth':
        return `${S} on ${h} answers but refuses the monitoring login.`;
      case 'unreachable':
        return `${S} on ${h} cannot be reached: the server does not answer on the network.`;
      case 'other':
        return `${S} on ${h} is not working properly.`;
    }
  },
  recovered(s, h, r) {
    if (s.kind === 'disk' || s.kind === 'mail-queue' || s.kind === 'snmp-value') return `${cap(this.subject(s))} on ${h} is back to normal${enReading(r)}.`;
    if (s.kind === 'snmp-agent') return `The SNMP agent on ${h} answers again.`;
    return `${cap(this.subject(s))} on ${h} works again.`;
  },
  fixedMeanwhile(s, h, r) {
    if (s.kind === 'disk' || s.kind === 'mail-queue' || s.kind === 'snmp-value') return `${cap(this.subject(s))} on ${h} went out of bounds and is back to normal${enReading(r)}.`;
    if (s.kind === 'snmp-agent') return `The SNMP agent on ${h} stopped answering and answers again.`;
    return `${cap(this.subject(s))} on ${h} stopped working and works again.`;
  },
  hostDown: (h) => `The server ${h} does not answer on the network.`,
  hostBack: (h) => `The server ${h} answers again.`,
  hostBackMeanwhile: (h) => `The server ${h} stopped answering on the network and answers again.`,
  behind: (h) => `${h} cannot be reached because the server or network in front of it is down.`,
  behindBack: (h) => `${h} can be reached again.`,
  behindServer: (h, parent) => `${h} cannot be reached because the server in front of it (${parent}) is down.`,
  twin: (h, probe) => `${h} (the same ${same(probe, 'en')}) is affected too.`,
  twinBack: (h, probe) => `${h} (the same ${same(probe, 'en')}) works again.`,
};

function jaOver(s: Subject, m: Extract<Matter, { kind: 'over' }>, h: string): string {
  const r = m.reading;
  if (s.kind === 'disk') {
    const detail = r?.kind === 'disk' ? `（${r.path} の${r.inodes ? ' inode ' : ''}使用率 ${r.percent}%）` : m.warning ? '（警告値を超えています）' : '（上限を超えています）';
    return `${h} のディスク容量が${m.warning ? '少なくなっています' : '残りわずかです'}${detail}。`;
  }
  if (s.kind === 'mail-queue') {
    if (r?.kind !== 'count') return `${h} のメールキューが${m.warning ? '警告値' : '上限'}を超えています。`;
    if (r.limit === undefined) return `${h} のメールキューに ${ja$(r.count)} 通のメールが溜まり、${m.warning ? '警告値' : '上限'}を超えています。`;
    return `${h} のメールキューに ${ja$(r.count)} 通のメールが溜まっています（${m.warning ? '警告値' : '上限'} ${ja$(r.limit)} 通）。`;
  }
  const shown = r?.kind === 'value' ? r.shown : '?';
  if (s.kind === 'snmp-agent') return `${h} の SNMP エージェントが基準外の値を返しています（${shown}）。`;
  return `${h} の${ja.subject(s)}が ${shown} となり、基準値の範囲外です。`;
}

function jaReading(r: Reading | undefined): string {
  if (!r) return '';
  if (r.kind === 'disk') return `（${r.path} の${r.inodes ? ' inode ' : ''}使用率 ${r.percent}%）`;
  if (r.kind === 'count') return r.count === 0 ? '（送信待ちのメールはありません）' : `（${ja$(r.count)} 通）`;
  return `（${r.shown}）`;
}

/** `acc-srv の` before a subject; a space before one that starts in Latin letters (`SNMP`). */
const of = (h: string, subject: string) => `${h} の${/^[A-Za-z]/.test(subject) ? ' ' : ''}${subject}`;

export const ja: Words = {
  subject(s) {
    switch (s.kind) {
      case 'server':
        return 'サーバー';
      case 'disk':
        return 'ディスク容量';
      case 'mail-queue':
        return 'メールキュー';
      case 'snmp-agent':
        return 'SNMP エージェント';
      case 'snmp-value':
        return `「${s.label}」の値（SNMP）`;
      case 'service':
        return services[s.probe ?? '']?.ja ?? `サービス「${s.label}」`;
    }
  },
  problem(s, m, h) {
    const who = of(h, this.subject(s));
    const quantity = s.kind === 'disk' || s.kind === 'mail-queue' || s.kind === 'snmp-value';
    if (m.kind === 'unreadable') return `${who}を${quantity ? '読み取れません' : '確認できません'}（${jaWhy[m.why]}）。`;
    if (m.kind === 'over') return jaOver(s, m, h);
    if (s.kind === 'snmp-agent' && m.kind === 'timeout') return `${who}が応答していません。`;
    if (s.kind === 'snmp-agent' && m.kind === 'auth') return `${who}が監視用の認証を拒否しています。`;
    switch (m.kind) {
      case 'refused':
        return `${who}が接続を受け付けていません（停止しています）。`;
      case 'timeout':
        return `${who}が時間内に応答しません。`;
      case 'slow':
        return `${who}の応答が遅くなっています。`;
      case 'auth':
        return `${who}は応答していますが、監視用のログインが拒否されています。`;
      case 'unreachable':
        return `${who}に到達できません（サーバーがネットワーク上で応答していません）。`;
      case 'other':
        return `${who}が正常に動作していません。`;
    }
  },
  recovered(s, h, r) {
    const who = of(h, this.subject(s));
    if (s.kind === 'disk' || s.kind === 'mail-queue' || s.kind === 'snmp-value') return `${who}は正常に戻りました${jaReading(r)}。`;
    return `${who}は復旧しました。`;
  },
  fixedMeanwhile(s, h, r) {
    const who = of(h, this.subject(s));
    if (s.kind === 'disk' || s.kind === 'mail-queue' || s.kind === 'snmp-value') return `${who}が基準を超えていましたが、正常に戻りました${jaReading(r)}。`;
    if (s.kind === 'snmp-agent') return `${who}が応答しない状態でしたが、復旧しました。`;
    return `${who}が停止していましたが、復旧しました。`;
  },
  hostDown: (h) => `サーバー ${h} がネットワーク上で応答していません。`,
  hostBack: (h) => `サーバー ${h} は復旧しました。`,
  hostBackMeanwhile: (h) => `サーバー ${h} がネットワーク上で応答しない状態でしたが、復旧しました。`,
  behind: (h) => `${h} は手前のサーバーまたはネットワークの障害により到達できません。`,
  behindBack: (h) => `${h} に再び到達できるようになりました。`,
  behindServer: (h, parent) => `${h} は手前のサーバー（${parent}）が停止しているため到達できません。`,
  twin: (h, probe) => `${h}（同じ${same(probe, 'ja')}）にも影響が出ています。`,
  twinBack: (h, probe) => `${h}（同じ${same(probe, 'ja')}）も復旧しました。`,
};

export const words: Record<Language, Words> = { en, ja };
