/**
 * Password hashes: node:crypto scrypt (memory-hard), encoded `scrypt$N$r$p$salt$hash` with the
 * salt and hash in base64url, so the parameters can be raised later and old hashes still verify.
 * scrypt runs in libuv's thread pool (crypto.scrypt, never scryptSync): a login must not stop
 * the event loop for the ~50 ms one hash takes.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 2 ** 15;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** The largest parameters a stored hash may ask for (a damaged or planted hash must not cost a GiB). */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 4;
/** Longest password hashed: past it the KDF's input is the person's mistake or an attack. */
export const MAX_PASSWORD_BYTES = 1024;

/** scrypt needs 128·N·r bytes (plus a little); Node refuses past `maxmem` (32 MiB by default). */
const maxmemFor = (n: number, r: number, p: number) => 128 * r * (n + p + 2) + 1024 * 1024;

function derive(password: string, salt: Buffer, n: number, r: number, p: number, keyLen: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, keyLen, { N: n, r, p, maxmem: maxmemFor(n, r, p) }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hashes a password with fresh salt: `scrypt$32768$8$1$<salt>$<hash>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, N, R, P, KEY_BYTES);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface Parsed {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parse(encoded: string): Parsed | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [n, r, p] = parts.slice(1, 4).map((x) => (/^\d{1,8}$/.test(x!) ? Number(x) : NaN)) as [number, number, number];
  if (!(n >= 2 && n <= MAX_N && (n & (n - 1)) === 0 && r >= 1 && r <= MAX_R && p >= 1 && p <= MAX_P)) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || key.length < 16 || key.length > 64) return undefined;
  return { n, r, p, salt, key };
}

/**
 * Does the password match the hash? Compared in constant time. A hash that cannot be read is
 * false (never an error a client could tell apart), after the same work as a real one.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parse(encoded);
  if (!parsed || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    await derive(password.slice(0, MAX_PASSWORD_BYTES), randomBytes(SALT_BYTES), N, R, P, KEY_BYTES);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.n, parsed.r, parsed.p, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

let dummy: Promise<string> | undefined;
/**
 * A real hash of a random password, made once: verified against for names that do not exist,
 * so a login for an unknown name costs the same time as a wrong password for a known one.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(24).toString('base64url'));
  return dummy;
}

/** Does the hash use weaker parameters than today's (a candidate for re-hashing at login)? */
export function needsRehash(encoded: string): boolean {
  const p = parse(encoded);
  return !p || p.n < N || p.r < R || p.key.length < KEY_BYTES;
}
