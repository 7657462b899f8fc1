/**
 * OpenSSH known_hosts, read the way `ssh` reads it, so mamoru trusts exactly the host keys the
 * operator's own ssh would: plain and `[host]:port` names, comma lists, `*` `?` wildcards and
 * `!` negation, hashed names (`|1|salt|hmac`, HashKnownHosts), `@revoked` keys. `@cert-authority`
 * lines are read and skipped (host certificates are not supported: such a host counts as
 * unknown). A key that is not in the file, or differs from the one there, is refused with the
 * fingerprint the server showed and what to do.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface KnownHostEntry {
  marker?: 'cert-authority' | 'revoked' | undefined;
  /** Comma-separated patterns, or undefined for a hashed name. */
  patterns?: string[] | undefined;
  hashed?: { salt: Buffer; hash: Buffer } | undefined;
  keyType: string;
  /** The key blob (base64-decoded), as the server sends it. */
  key: Buffer;
  line: number;
}

/** Parses a known_hosts text; lines that are not entries (comments, garbage) are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift()!.slice(1);
      if (m !== 'cert-authority' && m !== 'revoked') return;
      marker = m;
    }
    const [names, keyType, b64] = fields;
    if (!names || !keyType || !b64) return;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) return;
    if (names.startsWith('|1|')) {
      const [, , salt, hash] = names.split('|');
      if (!salt || !hash) return;
      entries.push({ marker, hashed: { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') }, keyType, key, line: i + 1 });
    } else {
      entries.push({ marker, patterns: names.split(','), keyType, key, line: i + 1 });
    }
  });
  return entries;
}

/** The name ssh looks up: `host` on port 22, `[host]:port` elsewhere. */
export function lookupName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function wildcard(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(name);
}

/** ssh's match_hostname: a negated pattern that matches vetoes the line. */
function matchPatterns(patterns: string[], name: string): boolean {
  let hit = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    const pat = (negated ? p.slice(1) : p).toLowerCase();
    if (wildcard(pat, name)) {
      if (negated) return false;
      hit = true;
    }
  }
  return hit;
}

function matches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const mac = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return mac.length === entry.hashed.hash.length && timingSafeEqual(mac, entry.hashed.hash);
  }
  return matchPatterns(entry.patterns ?? [], name);
}

/** The key type named inside a key blob (its first SSH string). */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

/** `SHA256:...` as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** Host-key algorithms ssh2 should prefer for key types the file knows for this host. */
export function preferredAlgorithms(entries: KnownHostEntry[], host: string, port: number): string[] {
  const name = lookupName(host, port);
  const types = entries.filter((e) => !e.marker && matches(e, name)).map((e) => e.keyType);
  const algos: string[] = [];
  for (const t of types) {
    const list = t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
    for (const a of list) if (!algos.includes(a)) algos.push(a);
  }
  return algos;
}

export type HostKeyVerdict = { ok: true; line: number } | { ok: false; kind: 'host-key-unknown' | 'host-key-mismatch' | 'host-key-revoked'; message: string };

/** Whether `blob` is the key known_hosts names for host:port; the message says what to do if not. */
export function verifyHostKey(entries: KnownHostEntry[], file: string, host: string, port: number, blob: Buffer): HostKeyVerdict {
  const name = lookupName(host, port);
  const shown = `${blobKeyType(blob)} key ${fingerprint(blob)}`;
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(blob));
  if (revoked) {
    return { ok: false, kind: 'host-key-revoked', message: `${name} presented the ${shown}, which ${file} line ${revoked.line} marks @revoked: refusing to connect` };
  }
  const known = entries.filter((e) => !e.marker && matches(e, name));
  const same = known.find((e) => e.key.equals(blob));
  if (same) return { ok: true, line: same.line };
  if (known.length > 0) {
    const lines = known.map((e) => `line ${e.line} (${e.keyType})`).join(', ');
    return {
      ok: false,
      kind: 'host-key-mismatch',
      message:
        `HOST KEY MISMATCH for ${name}: the server presented the ${shown}, but ${file} has a different key at ${lines}. ` +
        `Someone may be intercepting the connection, or the server was reinstalled. Refusing to connect; ` +
        `if the change is legitimate, verify the new fingerprint out of band and replace the entry.`,
    };
  }
  return {
    ok: false,
    kind: 'host-key-unknown',
    message:
      `unknown host ${name}: ${file} has no key for it (the server presented the ${shown}). Refusing to connect; ` +
      `verify the fingerprint out of band, then add the key (for example ssh-keyscan${port === 22 ? '' : ` -p ${port}`} ${host} >> ${file}).`,
  };
}
