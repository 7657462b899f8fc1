/**
 * Plain words for what broke, for people who do not read plugin output: the service a probe
 * watches, named as a client would name it, and what is wrong with it (refused, no answer in
 * time, slow, full, not reachable), in English and in Japanese as an operator would write it.
 */
import type { IncidentMember } from '../../core/incident.ts';

export type Language = 'en' | 'ja';

const services: Record<string, { en: string; ja: string }> = {
  http: { en: 'the web site (HTTP)', ja: 'ウェブサイト（HTTP）' },
  tcp: { en: 'a network service', ja: 'ネットワークサービス' },
  smtp: { en: 'outgoing mail (SMTP)', ja: 'メール送信（SMTP）' },
  pop3: { en: 'incoming mail (POP3)', ja: 'メール受信（POP3）' },
  imap: { en: 'incoming mail (IMAP)', ja: 'メール受信（IMAP）' },
  ftp: { en: 'file upload (FTP)', ja: 'ファイル転送（FTP）' },
  mysql: { en: 'the database (MySQL)', ja: 'データベース（MySQL）' },
  dns: { en: 'name resolution (DNS)', ja: 'DNS（名前解決）' },
  disk: { en: 'disk space', ja: 'ディスク容量' },
  'disk-snmp': { en: 'disk space', ja: 'ディスク容量' },
  mailq: { en: 'the mail queue', ja: 'メールの送信待ち' },
  snmp: { en: 'the SNMP agent', ja: 'SNMP エージェント' },
  process: { en: 'a program that should be running', ja: '稼働しているべきプログラム' },
  ping: { en: 'the server', ja: 'サーバー' },
  'nagios-plugin': { en: 'a monitored service', ja: '監視対象のサービス' },
};

type Problem = 'refused' | 'timeout' | 'slow' | 'full' | 'auth' | 'other';

/** What kind of trouble the plugin text describes; the state tells slow (WARNING) from down. */
function problemOf(m: IncidentMember): Problem {
  const t = m.text.toLowerCase();
  if (m.probe === 'disk' || m.probe === 'disk-snmp' || m.probe === 'mailq') return 'full';
  if (/refused|reset by peer|no route|unreachable/.test(t)) return 'refused';
  if (/timeout|timed out|no response|packet loss = 100%/.test(t)) return 'timeout';
  if (/auth|login|password|access denied/.test(t)) return 'auth';
  if (m.state === 'WARNING') return 'slow';
  return 'other';
}

const sentences: Record<Language, Record<Problem | 'down' | 'unreachable' | 'recovered', (svc: string, host: string) => string>> = {
  en: {
    down: (_s, h) => `The server ${h} does not answer on the network.`,
    unreachable: (_s, h) => `${h} cannot be reached because the server or network in front of it is down.`,
    refused: (s, h) => `${cap(s)} on ${h} refuses connections: it is not running.`,
    timeout: (s, h) => `${cap(s)} on ${h} does not answer in time.`,
    slow: (s, h) => `${cap(s)} on ${h} is answering slowly.`,
    full: (s, h) => `${cap(s)} on ${h} is running out (over its limit).`,
    auth: (s, h) => `${cap(s)} on ${h} answers but refuses the monitoring login.`,
    other: (s, h) => `${cap(s)} on ${h} is not working properly.`,
    recovered: (s, h) => `${cap(s)} on ${h} works again.`,
  },
  ja: {
    down: (_s, h) => `サーバー ${h} がネットワーク上で応答していません。`,
    unreachable: (_s, h) => `${h} は手前のサーバーまたはネットワークの障害により到達できません。`,
    refused: (s, h) => `${h} の${s}が接続を受け付けていません（停止しています）。`,
    timeout: (s, h) => `${h} の${s}が時間内に応答しません。`,
    slow: (s, h) => `${h} の${s}の応答が遅くなっています。`,
    full: (s, h) => `${h} の${s}が上限を超えています。`,
    auth: (s, h) => `${h} の${s}は応答していますが、監視用のログインが拒否されています。`,
    other: (s, h) => `${h} の${s}が正常に動作していません。`,
    recovered: (s, h) => `${h} の${s}は復旧しました。`,
  },
};

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The service a member stands for, in the client's words. */
export function serviceWords(m: Pick<IncidentMember, 'probe' | 'kind' | 'label'>, lang: Language): string {
  if (m.kind !== 'service') return lang === 'ja' ? 'サーバー' : 'the server';
  return services[m.probe ?? '']?.[lang] ?? (lang === 'ja' ? `サービス「${m.label}」` : `the service "${m.label}"`);
}

/** One sentence about one member, as it is now (problem or recovered). */
export function plainSentence(m: IncidentMember, target: string, lang: Language): string {
  const words = sentences[lang];
  const svc = serviceWords(m, lang);
  if (m.recoveredAt !== undefined) return words.recovered(svc, m.kind === 'folded-host' ? m.label : target);
  if (m.kind === 'host') return words.down(svc, target);
  if (m.kind === 'folded-host') return words.unreachable(svc, m.label);
  return words[problemOf(m)](svc, target);
}

/** `4 min 12 s` / `4分12秒`. */
export function spokenDuration(ms: number, lang: Language): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const parts: string[] = [];
  if (lang === 'ja') {
    if (d) parts.push(`${d}日`);
    if (h) parts.push(`${h}時間`);
    if (m) parts.push(`${m}分`);
    if (sec || parts.length === 0) parts.push(`${sec}秒`);
    return parts.join('');
  }
  if (d) parts.push(`${d} d`);
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  if (sec || parts.length === 0) parts.push(`${sec} s`);
  return parts.join(' ');
}

/** A local time for people: `2026-11-26 14:05:09 JST`-like, in the contact's zone. */
export function localTime(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  // Intl spells Japan's zone "GMT+9"; people there write JST.
  const zone = timeZone === 'Asia/Tokyo' ? 'JST' : get('timeZoneName');
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${zone}`;
}
