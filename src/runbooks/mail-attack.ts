/**
 * Who is attacking a mail server, from evidence that cannot be forged: failed logins in the mail
 * log per source name the attacker; half-open (SYN_RECV) and held connections only support it,
 * because a SYN's source address can be spoofed (the guard's jail holds the same line). The
 * guard's bans in force are evidence too: an address already banned on a port is said to be, and
 * no block is asked for it again. Pure functions: pop3-slow gathers, this decides and words.
 */
import net from 'node:net';
import { said, type Said } from '../core/said.ts';
import { plural } from '../inspect/types.ts';
import { failureAddress } from './auth-failures.ts';
import type { AttackSource, BanInForce } from './types.ts';

export type MailProtocol = 'pop3' | 'imap';

/** IMAP's ports (plain, implicit TLS); every other port of a POP3 service is asked as POP3. */
const IMAP_PORTS = new Set([143, 993]);
const IMPLICIT_TLS = new Set([993, 995]);

/** Which greeting a port is asked for: `* OK` on IMAP's ports, `+OK` on the others. */
export function protocolOfPort(port: number): MailProtocol {
  return IMAP_PORTS.has(port) ? 'imap' : 'pop3';
}

/** The probe's options for a port: TLS from the first byte on 993 and 995. */
export function greetingOptions(port: number): { port: number; tls: 'implicit' | 'none' } {
  return { port, tls: IMPLICIT_TLS.has(port) ? 'implicit' : 'none' };
}

export const protocolLabel = (p: MailProtocol) => (p === 'imap' ? 'IMAP' : 'POP3');

/**
 * The protocol a failure line names, when it names one: the program before its colon, as
 * Dovecot's `pop3-login:`/`imap-login:`, vpopmail's `vchkpw-pop3:`, Courier's `pop3d:`/`imapd-ssl:`.
 * Only the part before the first parenthesis or failure text is read (what follows carries the
 * user name the client chose), and a host name (`imap.example.com`, no colon) is not a program.
 */
export function failureProtocol(line: string): MailProtocol | undefined {
  const head = /^([^(]*?)(?:\(|LOGIN FAILED|vpopmail user not found|password fail|user not found|unknown user|Password mismatch|authentication failure|$)/.exec(line)?.[1] ?? '';
  const m = /\b(?:vchkpw-)?(pop3|imap)(?:-login|d-ssl|d|-ssl)?(?:\[\d+\])?:/.exec(head);
  return m ? (m[1] as MailProtocol) : undefined;
}

/** Per address, the protocols its failed logins came in by (an address absent: none named). */
export function failureProtocols(lines: string[]): Map<string, Set<MailProtocol>> {
  const out = new Map<string, Set<MailProtocol>>();
  for (const line of lines) {
    const hit = failureAddress(line);
    const p = hit && failureProtocol(line);
    if (!hit || !p) continue;
    const s = out.get(hit.address) ?? new Set<MailProtocol>();
    s.add(p);
    out.set(hit.address, s);
  }
  return out;
}

/** The bans that cover an address on a port now: the address or a network holding it, on that port or on all. */
export function bansCovering(bans: readonly BanInForce[], address: string, port: number, now: number): BanInForce[] {
  return bans.filter((b) => inForce(b, now) && (b.port === undefined || b.port === port) && holds(b.address, address));
}

function inForce(b: BanInForce, now: number): boolean {
  return b.until === undefined || b.until > now;
}

function holds(banned: string, address: string): boolean {
  if (banned === address) return true;
  const [net0, bits] = banned.split('/');
  if (!bits || !net0) return false;
  const family = net.isIPv6(net0) ? 'ipv6' : net.isIPv4(net0) ? 'ipv4' : undefined;
  const own = net.isIPv6(address) ? 'ipv6' : net.isIPv4(address) ? 'ipv4' : undefined;
  if (!family || family !== own) return false;
  const list = new net.BlockList();
  list.addSubnet(net0, Number(bits), family);
  return list.check(address, family);
}

/** "on port 110 until 12:34", "on all ports with no end": one ban in the operator's words. */
export function banWords(b: BanInForce): string {
  const where = b.port === undefined ? 'on all ports' : `on port ${b.port}`;
  return `${where} ${b.until === undefined || !Number.isFinite(b.until) ? 'with no end' : `until ${new Date(b.until).toTimeString().slice(0, 5)}`}`;
}

/** A window in words: 15 min, 90 s, 2 h. */
export function windowWords(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

export interface Thresholds {
  min_auth_failures: number;
  min_connections: number;
  auth_window: number;
}

/** An attacker: a source with enough failed logins, where it attacked, and what already blocks it. */
export interface Attacker extends AttackSource {
  /** The ports its failures came in by (the service's POP3 ports when the log names no protocol). */
  ports: number[];
  /** Bans in force on those ports. */
  banned: BanInForce[];
  /** Its ports no ban covers yet: what to block. */
  unblocked: number[];
}

export interface Judgement {
  attackers: Attacker[];
  /** Many half-open or held connections, no failed logins: evidence, never named an attacker. */
  unproven: AttackSource[];
}

/**
 * Names attackers from failed logins alone (at least `min_auth_failures`), and sets apart the
 * sources that only hold connections. `ports` are the service's ports: an attacker's failures in
 * one protocol make it an attacker on that protocol's ports only.
 */
export function judge(sources: Iterable<AttackSource>, protocols: ReadonlyMap<string, ReadonlySet<MailProtocol>>, ports: readonly number[], bans: readonly BanInForce[], t: Thresholds, now: number): Judgement {
  const attackers: Attacker[] = [];
  const unproven: AttackSource[] = [];
  for (const s of sources) {
    if ((s.authFailures ?? 0) >= t.min_auth_failures) {
      const named = protocols.get(s.address);
      const own = ports.filter((p) => (named?.size ? named.has(protocolOfPort(p)) : protocolOfPort(p) === 'pop3'));
      const used = own.length ? own : [...ports];
      const banned = new Map<string, BanInForce>();
      const unblocked: number[] = [];
      for (const p of used) {
        const cover = bansCovering(bans, s.address, p, now);
        for (const b of cover) banned.set(`${b.address}|${b.port ?? '*'}`, b);
        if (cover.length === 0) unblocked.push(p);
      }
      attackers.push({ ...s, ports: used, banned: [...banned.values()], unblocked });
    } else if ((s.synRecv ?? 0) >= t.min_connections || s.connections >= t.min_connections) unproven.push(s);
  }
  attackers.sort((x, y) => (y.authFailures ?? 0) - (x.authFailures ?? 0) || x.address.localeCompare(y.address));
  unproven.sort((x, y) => (y.synRecv ?? 0) + y.connections - ((x.synRecv ?? 0) + x.connections));
  return { attackers, unproven };
}

/** Held and half-open connections of a source, as supporting words: `15 SYN_RECV, 2 connections`. */
function connectionWords(s: AttackSource): string[] {
  return [s.synRecv ? `${s.synRecv} SYN_RECV` : '', s.connections ? plural(s.connections, 'connection') : ''].filter(Boolean);
}

/**
 * One attacker in words. Not banned: `1.2.3.4 (15 SYN_RECV, 12 failed logins)`. Banned:
 * `1.2.3.4 failed 40 logins in 15 min and is already banned on port 110 until 12:34`.
 */
export function attackerWords(a: Attacker, windowMs: number): string {
  if (a.banned.length === 0) return `${a.address} (${[...connectionWords(a), plural(a.authFailures ?? 0, 'failed login')].join(', ')})`;
  const held = connectionWords(a);
  return `${a.address} failed ${plural(a.authFailures ?? 0, 'login')} in ${windowWords(windowMs)}${held.length ? ` (${held.join(', ')})` : ''} and is already banned ${a.banned.map(banWords).join(', ')}`;
}

/** A source with connections only: `49 SYN_RECV from 10.0.0.9 with no failed login (half-open, can be forged)`. */
export function unprovenWords(s: AttackSource): string {
  const held = connectionWords(s).join(', ');
  return `${held} from ${s.address} with no failed login${s.synRecv ? ' (half-open connections can be forged)' : ''}`;
}

/** A window in Japanese: 15 分, 90 秒, 2 時間. */
export function windowJa(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} 時間`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} 分`;
  return `${Math.round(ms / 1000)} 秒`;
}

/** One ban without its end (the instant stays in data, worded by the notify room): `on port 110`, `ポート 110`. */
function banSay(b: BanInForce): Said {
  return b.port === undefined ? said('on all ports', '全ポート') : said(`on port ${b.port}`, `ポート ${b.port}`);
}

function connectionJa(s: AttackSource): string[] {
  return [s.synRecv ? `確立途中の接続 ${s.synRecv} 件` : '', s.connections ? `接続 ${s.connections} 件` : ''].filter(Boolean);
}

/** One attacker for the message, in each language, with no instant in it. */
export function attackerSay(a: Attacker, windowMs: number): Said {
  const n = a.authFailures ?? 0;
  const heldEn = connectionWords(a);
  const heldJa = connectionJa(a);
  const ports = a.ports.join(', ');
  const base = said(
    `${a.address} failed ${plural(n, 'login')} in ${windowWords(windowMs)}${heldEn.length ? ` (${heldEn.join(', ')})` : ''}`,
    `${a.address} から ${windowJa(windowMs)}間に ${n} 回のログイン失敗${heldJa.length ? `（${heldJa.join('、')}）` : ''}`,
  );
  if (a.banned.length === 0) return said(`${base.en}, on port ${ports}`, `${base.ja}がありました（ポート ${a.ports.join('、')}）`);
  const bans = a.banned.map(banSay);
  return said(`${base.en} and is already blocked ${bans.map((b) => b.en).join(', ')}`, `${base.ja}があり、すでに${bans.map((b) => b.ja).join('、')} で遮断済みです`);
}

/** A source with connections only, for the message: never called an attacker. */
export function unprovenSay(s: AttackSource): Said {
  return said(
    `${connectionWords(s).join(', ')} from ${s.address} with no failed login${s.synRecv ? ' (half-open connections can be forged, so this names no one)' : ''}`,
    `${s.address} からの${connectionJa(s).join('、')}（ログイン失敗はなし${s.synRecv ? '。確立途中の接続は送信元を偽装できるため、攻撃元とは断定しません' : ''}）`,
  );
}
