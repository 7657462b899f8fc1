/**
 * The message of an attack the guard blocked ("attack blocked"), en and ja side by side: who
 * (address, country and network owner when enrichment found them), what they tried (how many
 * failures over what time), what is blocked (which ports), until when (worded at compose time in
 * the contact's zone), and which incident it explains. Built-in only: config templates speak of
 * outages, and an attack's facts are not template fields.
 */
import { addressScope } from '../../guard/enrich/ip-scope.ts';
import type { AttackBan, IncidentRecord } from '../../core/incident.ts';
import type { Language } from '../../core/said.ts';
import { contactTimeZone, type ContactConfig } from '../contacts.ts';
import type { ComposeInput } from '../compose.ts';
import type { NotificationMessage } from '../types.ts';
import { localTime, serviceWords, spokenDuration } from './plain.ts';

/** What was tried, named per protocol: the part of the subject and the "what they tried" line. */
const protocols: Record<string, Record<Language, string>> = {
  pop3: { en: 'POP3', ja: 'POP3' },
  imap: { en: 'IMAP', ja: 'IMAP' },
  smtp: { en: 'SMTP', ja: 'メール送信（SMTP）' },
  ssh: { en: 'SSH', ja: 'SSH' },
  ftp: { en: 'FTP', ja: 'FTP' },
  http: { en: 'the web site', ja: 'ウェブサイト' },
  mail: { en: 'mail', ja: 'メール' },
  logins: { en: 'logins', ja: 'ログイン' },
};
const protocol = (tried: string, lang: Language) => (protocols[tried] ?? protocols.logins!)[lang];

const MAX_WHO = 5;

/** Japanese sets Latin letters and digits apart from the kana around them with a space. */
const jaSpaced = (before: string, latin: string, after: string) => `${before}${/^[A-Za-z0-9]/.test(latin) ? ' ' : ''}${latin}${/[A-Za-z0-9]$/.test(latin) && after ? ' ' : ''}${after}`;

/** `China (CN)` / `中国（CN）`; the code alone when the runtime does not know it. */
function countryWords(code: string | undefined, lang: Language): string | undefined {
  if (!code || !/^[A-Z]{2}$/.test(code)) return undefined;
  let name: string | undefined;
  try {
    name = new Intl.DisplayNames([lang], { type: 'region' }).of(code);
  } catch {
    name = undefined;
  }
  if (!name || name === code) return code;
  return lang === 'ja' ? `${name}（${code}）` : `${name} (${code})`;
}

// Whois text is written by whoever registered the network: one short line.
const clip = (s: string) => s.replace(/[\p{Cc}\s]+/gu, ' ').trim().slice(0, 80);

function who(b: AttackBan, lang: Language): string {
  const country = countryWords(b.country, lang);
  const owner = b.owner ? clip(b.owner) : undefined;
  const network = b.network ? clip(b.network) : undefined;
  // No registry knows a private address: the attacker is inside, which the reader must know.
  const scope = addressScope(b.address.split('/')[0]!);
  if (lang === 'ja') {
    const parts = [country, owner ? `ネットワーク管理者: ${owner}${network ? `（${network}）` : ''}` : network ? `ネットワーク: ${network}` : undefined].filter(Boolean);
    return parts.length ? `${b.address}（${parts.join('、')}）` : scope === 'private' ? `${b.address}（プライベートアドレス: 内部ネットワークの機器です）` : `${b.address}（所在地・管理者は不明）`;
  }
  const parts = [country, owner ? `network owner ${owner}${network ? ` (${network})` : ''}` : network ? `network ${network}` : undefined].filter(Boolean);
  return parts.length ? `${b.address}, ${parts.join(', ')}` : scope === 'private' ? `${b.address} (a private address: a machine on an internal network)` : `${b.address} (where it is and who owns it are not known)`;
}

function tried(b: AttackBan, lang: Language): string {
  const within = b.windowMs === undefined ? undefined : spokenDuration(b.windowMs, lang);
  if (b.tried === 'connections') {
    return lang === 'ja' ? '大量の接続を開いたまま保持し、サーバーの受付枠を埋めようとしました' : 'held a large number of connections open to use up the server';
  }
  const name = protocol(b.tried, lang);
  if (lang === 'ja') {
    const what = b.tried === 'logins' ? 'ログイン' : `${name} へのログイン`;
    return b.failures === undefined ? `${what}の失敗を繰り返しました` : `${what}に ${b.failures} 回失敗しました${within ? `（${within}以内）` : ''}`;
  }
  const what = b.tried === 'logins' ? 'logins' : `${name} logins`;
  return b.failures === undefined ? `repeated failed ${what}` : `${b.failures} failed ${what}${within ? ` within ${within}` : ''}`;
}

function portsWords(ports: (number | undefined)[], lang: Language): string {
  if (ports.some((p) => p === undefined)) return lang === 'ja' ? 'すべてのポート' : 'every port';
  const list = [...new Set(ports as number[])].sort((a, b) => a - b);
  if (lang === 'ja') return `ポート ${list.join(', ')}`;
  return `${list.length === 1 ? 'port' : 'ports'} ${list.join(', ')}`;
}

/** What the subject says the attack was. */
function verb(b: AttackBan, lang: Language): string {
  if (b.tried === 'connections') return lang === 'ja' ? '大量接続' : 'holding too many connections';
  if (lang === 'ja') return b.tried === 'logins' ? 'ログインの総当たり攻撃' : `${protocol(b.tried, lang)} への総当たり攻撃`;
  return b.tried === 'logins' ? 'brute-forcing logins' : `brute-forcing ${protocol(b.tried, lang)}`;
}

/** The attack incident's message for one contact. */
export function composeAttack(contact: Pick<ContactConfig, 'name' | 'language' | 'time_zone'>, input: ComposeInput & { incident: IncidentRecord }): NotificationMessage {
  const lang = contact.language;
  const tz = contactTimeZone(contact);
  const inc = input.incident;
  const bans = inc.attack?.bans ?? [];
  const first = bans[0] ?? { address: '-', jail: '-', tried: 'logins', at: inc.openedAt };
  const addresses = [...new Set(bans.map((b) => b.address))];
  const total = Math.max(inc.attack?.total ?? bans.length, bans.length);
  const more = addresses.length - 1 + (total - bans.length);
  const cc = first.country && /^[A-Z]{2}$/.test(first.country) ? first.country : undefined;
  const ports = portsWords(bans.map((b) => b.port), lang);
  const ends = bans.map((b) => b.until);
  const until = ends.some((u) => u === undefined) ? undefined : Math.max(...(ends as number[]));
  const explains = (inc.links ?? []).filter((l) => l.relation === 'explains');
  const byAddress = addresses.slice(0, MAX_WHO).map((a) => bans.find((b) => b.address === a)!);
  const update = input.event === 'update';

  if (lang === 'ja') {
    const from = `${first.address}${cc ? `（${cc}）` : ''}${more > 0 ? ` ほか ${more} 件` : ''}`;
    // A bare address before Japanese gets a space (`10.0.0.66 による`), as every Latin word here does.
    const subject = `【攻撃を遮断】${inc.target}: ${from}${/[0-9A-Za-z]$/.test(from) ? ' ' : ''}${jaSpaced('による', verb(first, 'ja'), '')}${jaSpaced('を', ports, 'で遮断')}`;
    const rest = more - (byAddress.length - 1);
    const lines = [
      `${contact.name} 様`,
      '',
      'mamoru（サーバー監視）よりお知らせいたします。',
      update ? `${inc.target} への攻撃について続報をお知らせいたします。` : `${inc.target} への攻撃を検知し、遮断いたしました。`,
      '',
      '■ 攻撃元',
      ...byAddress.map((b) => `- ${who(b, 'ja')}`),
      ...(rest > 0 ? [`- ほか ${rest} 件の送信元`] : []),
      '',
      '■ 攻撃の内容',
      ...byAddress.map((b) => `- ${b.address}: ${tried(b, 'ja')}`),
      '',
      '■ 遮断した内容',
      `${jaSpaced('', ports, 'への接続を、上記の送信元からのみ遮断しています。')}`,
      '',
      '■ 遮断の期限',
      until === undefined ? '期限はありません（手動で解除するまで続きます）。' : `${localTime(until, tz)} まで（期限が来ると自動的に解除されます）。`,
      '',
      '■ 関連する障害',
      ...(explains.length
        ? explains.map((l) => `この攻撃がインシデント #${l.incident}（${inc.target} の${l.check ? serviceWords({ kind: 'service', probe: l.check.probe, label: l.check.label }, 'ja') : 'サービス'}の不具合）の原因です。原因は遮断済みです。`)
        : ['現時点で、この攻撃によるサービスへの影響は確認されていません。']),
      '',
      '■ お客様へのお願い',
      '特にございません。',
      '',
      `インシデント番号: #${inc.id}（${inc.target}${input.address ? ` / ${input.address}` : ''}）`,
    ];
    return message(subject, lines, 'ja', inc, input);
  }

  const subject = `[ATTACK BLOCKED] ${inc.target}: ${first.address}${cc ? ` (${cc})` : ''}${more > 0 ? ` and ${more} more` : ''} ${verb(first, 'en')}, blocked on ${ports}`;
  const rest = more - (byAddress.length - 1);
  const lines = [
    update ? `An update on the attack mamoru blocked on ${inc.target}.` : `mamoru blocked an attack on ${inc.target}.`,
    '',
    'Who:',
    ...byAddress.map((b) => `- ${who(b, 'en')}`),
    ...(rest > 0 ? [`- and ${rest} more address${rest === 1 ? '' : 'es'}`] : []),
    '',
    'What they tried:',
    ...byAddress.map((b) => `- ${b.address}: ${tried(b, 'en')}`),
    '',
    'What is blocked:',
    `Connections to ${ports}, from these addresses only.`,
    '',
    'Until:',
    until === undefined ? 'No end is set: the block stays until someone lifts it.' : `${localTime(until, tz)}; the block lifts by itself then.`,
    '',
    'What it explains:',
    ...(explains.length
      ? explains.map((l) => `This attack explains incident #${l.incident} (${l.check ? serviceWords({ kind: 'service', probe: l.check.probe, label: l.check.label }, 'en') : 'a service'} on ${inc.target}). Its cause is blocked now.`)
      : ['No problem mamoru watches was caused by it so far.']),
    '',
    'What we need from you:',
    'Nothing.',
    '',
    `Attack incident #${inc.id} on ${inc.target}${input.address ? ` (${input.address})` : ''}.`,
  ];
  return message(subject, lines, 'en', inc, input);
}

function message(subject: string, lines: string[], language: Language, inc: IncidentRecord, input: ComposeInput): NotificationMessage {
  return {
    subject: subject.replace(/\s*\n\s*/g, ' ').slice(0, 250),
    text: lines.join('\n'),
    language,
    incidentId: String(inc.id),
    event: input.event === 'update' ? 'update' : 'open',
    severity: 'warning',
  };
}
