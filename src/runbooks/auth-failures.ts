/**
 * Failed logins per source address in a mail log, for the POP3 runbook's evidence: Dovecot
 * (`auth failed ... rip=ADDR`, `passwd-file(user,ADDR,...): unknown user`), vpopmail's
 * `vchkpw-pop3: vpopmail user not found family@:ADDR`, Courier's `LOGIN FAILED, ..., ip=[ADDR]`,
 * PAM's `authentication failure; ... rhost=ADDR`, Postfix SASL's `unknown[ADDR]: SASL LOGIN
 * authentication failed`. A log line carries text the client chose (the user name) before the
 * address, so the address is always the one the daemon wrote last on the line, and it must parse
 * as an address. Evidence only: the guard's own filters decide bans.
 */
import net from 'node:net';

/**
 * Each: the line is a failure when `when` matches; the address is the last match of `address`;
 * `attempts` reads how many attempts one line stands for. One attempt can be logged twice (Dovecot
 * writes the passdb verdict and the login process's summary): the groups are counted apart and
 * the larger count of an address is its count.
 */
const FAILURES: { family: string; group: string; when: RegExp; address: RegExp; attempts?: (line: string) => number }[] = [
  { family: 'dovecot', group: 'dovecot-login', when: /\(auth failed, \d+ attempts?/, address: /, rip=([0-9a-fA-F:.]+)/g, attempts: (l) => Number(/\(auth failed, (\d+) attempts?/.exec(l)?.[1] ?? 1) },
  { family: 'dovecot', group: 'dovecot-passdb', when: /\b(?:passwd-file|pam|sql|ldap|passwd|shadow)\([^)]*\): (?:unknown user|Password mismatch|pam_authenticate\(\) failed)/, address: /\([^,()]*,([0-9a-fA-F:.]+),/g },
  { family: 'vpopmail', group: 'vpopmail', when: /vchkpw-(?:pop3|imap|smtp|submission)(?:\[\d+\])?: (?:vpopmail user not found|password fail|user not found)/, address: /:([0-9a-fA-F:.]+)\s*$/g },
  { family: 'courier', group: 'courier', when: /LOGIN FAILED, /, address: /ip=\[(?:::ffff:)?([0-9a-fA-F:.]+)\]/g },
  { family: 'pam', group: 'pam', when: /authentication failure;/, address: /\brhost=(?:::ffff:)?([0-9a-fA-F:.]+)/g },
  { family: 'postfix-sasl', group: 'postfix-sasl', when: /SASL (?:LOGIN|PLAIN|CRAM-MD5|DIGEST-MD5) authentication failed/, address: /\[([0-9a-fA-F:.]+)\]:/g },
];

export interface FailureCount {
  address: string;
  failures: number;
  /** Which log family recognised them. */
  families: string[];
}

/** The address a failure line names, or undefined when none parses. */
export function failureAddress(line: string): { address: string; family: string; group: string; attempts: number } | undefined {
  for (const f of FAILURES) {
    if (!f.when.test(line)) continue;
    const all = [...line.matchAll(f.address)];
    let a = all[all.length - 1]?.[1];
    if (!a) continue;
    if (a.startsWith('::ffff:') && net.isIPv4(a.slice(7))) a = a.slice(7);
    if (net.isIP(a)) return { address: a, family: f.family, group: f.group, attempts: Math.max(1, f.attempts?.(line) ?? 1) };
  }
  return undefined;
}

/** Counts failures per address, most first (pure). */
export function countFailures(lines: string[]): FailureCount[] {
  const byGroup = new Map<string, Map<string, number>>();
  const families = new Map<string, string[]>();
  for (const line of lines) {
    const hit = failureAddress(line);
    if (!hit) continue;
    let g = byGroup.get(hit.address);
    if (!g) byGroup.set(hit.address, (g = new Map()));
    g.set(hit.group, (g.get(hit.group) ?? 0) + hit.attempts);
    const fam = families.get(hit.address) ?? [];
    if (!fam.includes(hit.family)) fam.push(hit.family);
    families.set(hit.address, fam);
  }
  return [...byGroup.entries()]
    .map(([address, g]) => ({ address, failures: Math.max(...g.values()), families: families.get(address)! }))
    .sort((a, b) => b.failures - a.failures || a.address.localeCompare(b.address));
}
