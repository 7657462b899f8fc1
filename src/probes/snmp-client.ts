/**
 * The SNMP client the snmp and disk-snmp probes share: one net-snmp session per check, promises
 * instead of callbacks, the check's abort signal as the deadline, values decoded to plain
 * numbers/strings, and every failure sorted into a kind an operator can act on (agent silent,
 * unknown v3 user, wrong password, an error status from the agent).
 *
 * net-snmp ships no type declarations; it is loaded through createRequire and typed here with
 * only what mamoru uses, so nothing else needs an ambient module declaration.
 */
import { createRequire } from 'node:module';

/** What the net-snmp package gives us (a narrow, hand-written view of its API). */
interface RawVarbind {
  oid: string;
  type: number;
  value: unknown;
}
type Callback<T> = (error: (Error & { code?: number; status?: number }) | null, result: T) => void;
interface RawSession {
  get(oids: string[], cb: Callback<RawVarbind[]>): void;
  getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, cb: Callback<(RawVarbind | RawVarbind[])[]>): void;
  close(): void;
  on(event: 'error' | 'close', fn: (...args: unknown[]) => void): void;
}
interface NetSnmp {
  createSession(target: string, community: string, options: object): RawSession;
  createV3Session(target: string, user: object, options: object): RawSession;
  Version1: number;
  Version2c: number;
  SecurityLevel: Record<string, number>;
  AuthProtocols: Record<string, number>;
  PrivProtocols: Record<string, number>;
  ResponseInvalidCode: Record<string, number>;
  RequestTimedOutError: new (...a: unknown[]) => Error;
  RequestFailedError: new (...a: unknown[]) => Error;
  ResponseInvalidError: new (...a: unknown[]) => Error;
}
// net-snmp is loaded on the first session, not at import: every config pulls in the probe
// registry, and most never run an SNMP check (start-up time, issue 16).
let netSnmpLib: NetSnmp | undefined;
const netSnmp = () => (netSnmpLib ??= createRequire(import.meta.url)('net-snmp') as NetSnmp);

/** ASN.1/SMI type codes on the wire. */
export const SnmpType = {
  Boolean: 1,
  Integer: 2,
  OctetString: 4,
  Null: 5,
  OID: 6,
  IpAddress: 64,
  Counter: 65,
  Gauge: 66,
  TimeTicks: 67,
  Opaque: 68,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;

/** net-snmp's (snmpget's) words for the three "no value here" answers. */
const missingWords: Record<number, string> = {
  [SnmpType.NoSuchObject]: 'No Such Object available on this agent at this OID',
  [SnmpType.NoSuchInstance]: 'No Such Instance currently exists at this OID',
  [SnmpType.EndOfMibView]: 'No more variables left in this MIB View (It is past the end of the MIB tree)',
};

export type SnmpValue =
  | { kind: 'number'; value: number; type: string }
  | { kind: 'string'; value: string; type: string }
  /** noSuchObject, noSuchInstance, endOfMibView: the agent has nothing at this OID. */
  | { kind: 'missing'; value: string; type: string };

export interface Varbind {
  oid: string;
  value: SnmpValue;
}

export interface SnmpTarget {
  host: string;
  port: number;
  /** Time for one attempt; the whole request is also bounded by the check's abort signal. */
  attemptMs: number;
  retries: number;
  auth:
    | { version: '1' | '2c'; community: string }
    | {
        version: '3';
        user: string;
        level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
        authProtocol: 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
        authKey?: string | undefined;
        privProtocol: 'des' | 'aes' | 'aes256b' | 'aes256r';
        privKey?: string | undefined;
      };
}

/** Why a request got no values: each kind is a different thing to fix. */
export type SnmpFailureKind =
  /** No answer at all (agent down, packets dropped, v1/v2c community wrong, v3 privacy key wrong). */
  | 'timeout'
  /** v3 report usmStatsUnknownUserNames. */
  | 'unknown-user'
  /** v3 report usmStatsWrongDigests: the authentication password is wrong. */
  | 'wrong-digest'
  /** Any other v3 report (security level, decryption, time window, engine id). */
  | 'security'
  /** The agent answered with an error status (tooBig, genErr, noAccess ...). */
  | 'agent-error'
  /** The answer could not be used (bad packet, OIDs that do not match the request). */
  | 'bad-response'
  /** A local problem: name did not resolve, socket error, invalid request. */
  | 'local';

export class SnmpFailure extends Error {
  constructor(readonly kind: SnmpFailureKind, message: string) {
    super(message);
    this.name = 'SnmpFailure';
  }
}

function decodeCounter64(buf: Buffer): number {
  let n = 0n;
  for (const b of buf) n = (n << 8n) | BigInt(b);
  return Number(n);
}

/** Printable text of an OCTET STRING: UTF-8 when it is, hex bytes (like snmpget's Hex-STRING) when not. */
function octets(buf: Buffer): string {
  const text = buf.toString('utf8');
  // eslint-disable-next-line no-control-regex
  if (!text.includes('\ufffd') && !/[\x00-\x08\x0e-\x1f]/.test(text)) return text.replace(/\0+$/, '');
  return [...buf].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

export function decodeValue(vb: RawVarbind): SnmpValue {
  const { type, value } = vb;
  switch (type) {
    case SnmpType.Integer:
    case SnmpType.Counter:
    case SnmpType.Gauge:
    case SnmpType.TimeTicks:
      return { kind: 'number', value: Number(value), type: type === SnmpType.Integer ? 'INTEGER' : type === SnmpType.Counter ? 'Counter32' : type === SnmpType.Gauge ? 'Gauge32' : 'Timeticks' };
    case SnmpType.Counter64:
      return { kind: 'number', value: Buffer.isBuffer(value) ? decodeCounter64(value) : Number(value), type: 'Counter64' };
    case SnmpType.Boolean:
      return { kind: 'string', value: String(value), type: 'BOOLEAN' };
    case SnmpType.OctetString:
      return { kind: 'string', value: Buffer.isBuffer(value) ? octets(value) : String(value), type: 'STRING' };
    case SnmpType.Opaque:
      return { kind: 'string', value: Buffer.isBuffer(value) ? octets(value) : String(value), type: 'Opaque' };
    case SnmpType.OID:
      return { kind: 'string', value: String(value), type: 'OID' };
    case SnmpType.IpAddress:
      return { kind: 'string', value: String(value), type: 'IpAddress' };
    case SnmpType.Null:
      return { kind: 'string', value: '', type: 'NULL' };
    default: {
      const words = missingWords[type];
      if (words) return { kind: 'missing', value: words, type: type === SnmpType.NoSuchObject ? 'noSuchObject' : type === SnmpType.NoSuchInstance ? 'noSuchInstance' : 'endOfMibView' };
      return { kind: 'string', value: Buffer.isBuffer(value) ? octets(value) : String(value), type: `type ${type}` };
    }
  }
}

function openSession(t: SnmpTarget): RawSession {
  const lib = netSnmp();
  const options = { port: t.port, retries: t.retries, timeout: t.attemptMs, transport: t.host.includes(':') ? 'udp6' : 'udp4', idBitsSize: 32 };
  if (t.auth.version !== '3') return lib.createSession(t.host, t.auth.community, { ...options, version: t.auth.version === '1' ? lib.Version1 : lib.Version2c });
  const a = t.auth;
  const user: Record<string, unknown> = { name: a.user, level: lib.SecurityLevel[a.level] };
  if (a.level !== 'noAuthNoPriv') Object.assign(user, { authProtocol: lib.AuthProtocols[a.authProtocol], authKey: a.authKey ?? '' });
  if (a.level === 'authPriv') Object.assign(user, { privProtocol: lib.PrivProtocols[a.privProtocol], privKey: a.privKey ?? '' });
  return lib.createV3Session(t.host, user, options);
}

// The report OIDs' words as snmpget prints them (RFC 3414 usmStats*).
const reportKinds: [RegExp, SnmpFailureKind, string][] = [
  [/Unknown User Name/i, 'unknown-user', 'Unknown user name'],
  [/Wrong Digest/i, 'wrong-digest', 'Authentication failure (incorrect password, community or key)'],
  [/Unsupported Security Level/i, 'security', 'Unsupported security level'],
  [/Decryption Error/i, 'security', 'Decryption error (incorrect privacy password?)'],
  [/Not In Time Window/i, 'security', 'Not in time window'],
  [/Unknown Engine ID/i, 'security', 'Unknown engine ID'],
];

/** Turns whatever net-snmp reported into an SnmpFailure with words an operator knows. */
export function classify(err: unknown): SnmpFailure {
  if (err instanceof SnmpFailure) return err;
  const lib = netSnmp();
  const e = err as { message?: string; code?: unknown } | undefined;
  const message = e?.message ?? String(err);
  if (err instanceof lib.RequestTimedOutError) return new SnmpFailure('timeout', 'no response');
  if (err instanceof lib.RequestFailedError) return new SnmpFailure('agent-error', `the agent answered with an error: ${message}`);
  if (err instanceof lib.ResponseInvalidError) {
    for (const [re, kind, words] of reportKinds) if (re.test(message)) return new SnmpFailure(kind, words);
    return new SnmpFailure('bad-response', `unusable response: ${message}`);
  }
  if (typeof e?.code === 'string' && /^(ENOTFOUND|EAI_)/.test(e.code)) return new SnmpFailure('local', 'name or service not known');
  return new SnmpFailure('local', message);
}

/** Sends one request on the open session; rejects with an SnmpFailure. */
type Send = <T>(fn: (s: RawSession, cb: Callback<T>) => void) => Promise<T>;

const noResponse = () => new SnmpFailure('timeout', 'no response');

/**
 * Opens one session (one UDP socket; for v3 one engine discovery) for `work` and closes it
 * afterwards. An abort of `signal` fails the request in flight as a timeout at once, and the
 * close means no late packet or retry timer outlives the check.
 */
async function withSession<R>(t: SnmpTarget, signal: AbortSignal, work: (send: Send) => Promise<R>): Promise<R> {
  if (signal.aborted) throw noResponse();
  let session: RawSession;
  try {
    session = openSession(t);
  } catch (e) {
    throw new SnmpFailure('local', `cannot start the request: ${(e as Error).message}`);
  }
  const inFlight = new Set<(e: unknown) => void>();
  const failAll = (e: unknown) => {
    for (const fail of [...inFlight]) fail(e);
  };
  const onAbort = () => failAll(noResponse());
  signal.addEventListener('abort', onAbort, { once: true });
  // net-snmp emits 'error' on the session only for a datagram it cannot decode.
  session.on('error', (e) => failAll(new SnmpFailure('bad-response', `unusable response: ${(e as Error)?.message ?? String(e)}`)));
  const send: Send = <T>(fn: (s: RawSession, cb: Callback<T>) => void) =>
    new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(noResponse());
      let done = false;
      const settle = (err: unknown, value?: T) => {
        if (done) return;
        done = true;
        inFlight.delete(settle);
        if (err) reject(classify(err));
        else resolve(value as T);
      };
      inFlight.add(settle);
      try {
        fn(session, (err, value) => settle(err, value));
      } catch (e) {
        settle(new SnmpFailure('local', `cannot send the request: ${(e as Error).message}`));
      }
    });
  try {
    return await work(send);
  } finally {
    signal.removeEventListener('abort', onAbort);
    try {
      session.close();
    } catch {
      /* already closed */
    }
  }
}

/** GET of exact OIDs; one value per OID, in order. */
export async function snmpGet(t: SnmpTarget, oids: string[], signal: AbortSignal): Promise<Varbind[]> {
  const raw = await withSession(t, signal, (send) => send<RawVarbind[]>((s, cb) => s.get(oids, cb)));
  return raw.map((vb) => ({ oid: vb.oid, value: decodeValue(vb) }));
}

/** True when `oid` lies strictly under `base` (`1.3.6.1.2` is under `1.3.6.1`). */
export function oidUnder(base: string, oid: string): boolean {
  return oid.startsWith(base + '.');
}

/**
 * One GETBULK (no non-repeaters) for the subtrees under `bases`: for each base, the values inside
 * it, at most `maxRepetitions` each (a bounded answer, never a walk without end). An empty
 * subtree gives an empty list.
 */
export async function snmpBulk(t: SnmpTarget, bases: string[], maxRepetitions: number, signal: AbortSignal): Promise<Varbind[][]> {
  const raw = await withSession(t, signal, (send) => send<(RawVarbind | RawVarbind[])[]>((s, cb) => s.getBulk(bases, 0, maxRepetitions, cb)));
  return bases.map((base, i) => {
    const column = raw[i];
    const list = Array.isArray(column) ? column : column ? [column] : [];
    const inside: Varbind[] = [];
    for (const vb of list) {
      if (!vb || !oidUnder(base, vb.oid)) break;
      const value = decodeValue(vb);
      if (value.kind === 'missing') break;
      inside.push({ oid: vb.oid, value });
    }
    return inside;
  });
}

/**
 * Reads columns of a table: GETBULK again and again from where the last answer ended, until every
 * column leaves its subtree. At most `maxRows` rows, so a huge or looping agent stays bounded.
 */
export function snmpColumns(t: SnmpTarget, columns: string[], signal: AbortSignal, maxRows = 1000): Promise<Map<string, Varbind>[]> {
  return withSession(t, signal, async (send) => {
    const result = columns.map(() => new Map<string, Varbind>());
    const cursor = [...columns];
    const open = columns.map(() => true);
    for (let round = 0; open.some(Boolean) && round < maxRows; round++) {
      const asked = columns.map((_, i) => i).filter((i) => open[i]);
      const answer = await send<(RawVarbind | RawVarbind[])[]>((s, cb) => s.getBulk(asked.map((i) => cursor[i]!), 0, 25, cb));
      asked.forEach((col, k) => {
        const column = answer[k];
        const base = columns[col]!;
        let last: string | undefined;
        for (const vb of Array.isArray(column) ? column : column ? [column] : []) {
          const value = decodeValue(vb);
          // Past the column, nothing left, or an agent answering an OID not after the one asked
          // for (it would loop for ever): this column is done.
          if (value.kind === 'missing' || !oidUnder(base, vb.oid) || compareOids(vb.oid, last ?? cursor[col]!) <= 0 || result[col]!.size >= maxRows) {
            open[col] = false;
            return;
          }
          last = vb.oid;
          result[col]!.set(vb.oid.slice(base.length + 1), { oid: vb.oid, value });
        }
        if (last === undefined) open[col] = false;
        else cursor[col] = last;
      });
    }
    return result;
  });
}

export function compareOids(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
