/**
 * Which value an SNMP threshold alert is about. check_snmp (and mamoru's snmp probe) says only
 * `SNMP CRITICAL - *2345*`: the value over its threshold, starred. What the value is comes from
 * the words around it (check_snmp's `-l` label before the star, its `-u` units after, perfdata
 * labels and OIDs after the `|`) and from the check's context (its OIDs, labels, name, service
 * description, check command). With none of them, the field runbook's reading holds: the alert
 * is the mail queue (its section 1, "on the mail-queue OID").
 *
 * Tables, not code: an OID subtree or a word is one line.
 */
import type { Clue, Decision } from './context.ts';

/** What an SNMP value is about, for triage: the two with a runbook, and everything else. */
export type SnmpSubject = 'mail-queue' | 'disk' | 'other';

export interface SnmpValueReading {
  subject: SnmpSubject;
  /** The value in words (`the mail queue`, `the load average`). */
  what: string;
  decision: Decision;
}

/** check_snmp's line for a value over its threshold: `SNMP CRITICAL - mailq *1500* | mailq=1500;1000;2000`. */
export const SNMP_THRESHOLD = /^\s*SNMP (?:WARNING|CRITICAL) - (.*?)\*("?)(-?\d+(?:\.\d+)?)\2\*([^|\n]*)(?:\|([^\n]*))?/;

interface Kind {
  subject: SnmpSubject;
  what: string;
}
const MAIL_QUEUE: Kind = { subject: 'mail-queue', what: 'the mail queue' };
const DISK: Kind = { subject: 'disk', what: 'disk space' };
const other = (what: string): Kind => ({ subject: 'other', what });

/**
 * Numeric subtrees (no leading dot) and what is under them. The longest prefix wins. The UCD
 * `exec`/`extend` tables (2021.8) are not here: what they hold depends on the script.
 */
const HR_STORAGE_ENTRY = '1.3.6.1.2.1.25.2.3.1';
const subtrees: [string, Kind][] = [
  [HR_STORAGE_ENTRY, { subject: 'disk', what: 'storage (hrStorageTable)' }],
  ['1.3.6.1.4.1.2021.9.1', { subject: 'disk', what: 'disk space (UCD dskTable)' }],
  ['1.3.6.1.4.1.2021.10.1', other('the load average')],
  ['1.3.6.1.2.1.25.3.3.1.2', other('processor load')],
  ['1.3.6.1.4.1.2021.11', other('CPU usage')],
  ['1.3.6.1.4.1.2021.4', other('memory')],
  ['1.3.6.1.4.1.2021.2', other('processes (UCD prTable)')],
  ['1.3.6.1.2.1.25.1.5', other('logged-in users')],
  ['1.3.6.1.2.1.25.1.6', other('the number of processes')],
  ['1.3.6.1.2.1.2.2.1', other('a network interface')],
  ['1.3.6.1.2.1.31.1.1.1', other('a network interface')],
  ['1.3.6.1.2.1.1', other('the agent itself (system group)')],
  ['1.3.6.1.2.1.6', other('TCP counters')],
  ['1.3.6.1.2.1.7', other('UDP counters')],
];

/** MIB object names (as `snmpget` takes them) and what they are. */
const objectNames: [RegExp, Kind][] = [
  [/^hrStorage\w*$/i, { subject: 'disk', what: 'storage (hrStorageTable)' }],
  [/^dsk\w*$/i, { subject: 'disk', what: 'disk space (UCD dskTable)' }],
  [/^laLoad\w*$|^laConfig$/i, other('the load average')],
  [/^hrProcessorLoad$/i, other('processor load')],
  [/^ssCpu\w*$/i, other('CPU usage')],
  [/^(?:mem\w+)$/i, other('memory')],
  [/^if\w+$/i, other('a network interface')],
  [/^sysUpTime\w*$|^hrSystemUptime$/i, other('the agent itself (system group)')],
  [/^hrSystemProcesses$/i, other('the number of processes')],
  [/^hrSystemNumUsers$/i, other('logged-in users')],
];

/** Words in names, descriptions, labels and commands (after camelCase and separators are split). */
const words: [RegExp, Kind][] = [
  [/\bmail ?q(?:ueue)?s?\b|\bmailqueue\b|\bpostqueue\b|\b(?:postfix|exim4?|sendmail|qmail|smtp|mta) queue\b|\bqueue (?:of )?mail\b|\bmsg queue\b/, MAIL_QUEUE],
  [/\b(?:disk|disks|df|filesystems?|file system|storage|partitions?|inodes?|inum|dsk)\b/, DISK],
  [/\b(?:load|loadavg|load average)\b/, other('the load average')],
  [/\bcpu\b|\bprocessor\b/, other('CPU usage')],
  [/\b(?:memory|mem|ram|swap)\b/, other('memory')],
  [/\b(?:temperature|temp|thermal|fan|power|voltage)\b/, other('a hardware sensor')],
  [/\b(?:interface|traffic|bandwidth|ifin|ifout|octets|eth\d*|ens\d*|bond\d*)\b/, other('a network interface')],
  [/\b(?:uptime|sysuptime)\b/, other('the agent itself (system group)')],
  [/\b(?:users|logins)\b/, other('logged-in users')],
  [/\b(?:procs|processes|process count)\b/, other('the number of processes')],
  [/\b(?:connections|sessions|conntrack)\b/, other('connections')],
];

/** `mail-queue`, `MailQueueHigh`, `check_snmp_mailq`, `Mail_Queue` -> `mail queue`, `mail queue high`, ... */
function wordsOf(s: string): string {
  return s
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .replace(/\bcheck[_-]/g, ' ')
    .replace(/[^a-z0-9/]+/g, ' ')
    .trim();
}

/** `iso.3.6...`, `.1.3.6...`, `1.3.6...` -> `1.3.6...` (only numeric OIDs). */
function numericOid(s: string): string | undefined {
  const m = /^(?:iso|\.?1)((?:\.\d{1,10}){2,128})$/.exec(s.trim());
  return m ? `1${m[1]}` : undefined;
}

/**
 * NET-SNMP-EXTEND-MIB rows carry the extend's name in their index (`...3.1.1.5.109.97.105.108.113`
 * is nsExtendOutput1Line."mailq"): the name is what the operator called the script.
 */
const EXTEND_TABLES = /^1\.3\.6\.1\.4\.1\.8072\.1\.3\.2\.(?:2\.1\.\d+|3\.1\.\d+|4\.1\.\d+)\.(\d+)((?:\.\d+)+)$/;

function extendName(oid: string): string | undefined {
  const m = EXTEND_TABLES.exec(oid);
  if (!m) return undefined;
  const len = Number(m[1]);
  const codes = m[2]!.slice(1).split('.').map(Number);
  if (len < 1 || codes.length < len || codes.slice(0, len).some((c) => c < 32 || c > 126)) return undefined;
  return String.fromCharCode(...codes.slice(0, len));
}

function byWords(s: string): Kind | undefined {
  const w = wordsOf(s);
  if (/^\/[\w./-]*$/.test(s.trim())) return DISK; // a mount point used as a label or name
  return words.find(([re]) => re.test(w))?.[1];
}

/** What one OID (numeric or `MODULE::name.index`) is about, when the tables know. */
export function kindOfOid(raw: string): Kind | undefined {
  const n = numericOid(raw);
  if (n) {
    const name = extendName(n);
    if (name) return byWords(name);
    let best: [string, Kind] | undefined;
    for (const entry of subtrees) if ((n === entry[0] || n.startsWith(`${entry[0]}.`)) && (!best || entry[0].length > best[0].length)) best = entry;
    // net-snmp on Linux numbers its hrStorageTable memory rows 1-10 and filesystems from 31.
    const row = best?.[0] === HR_STORAGE_ENTRY ? Number(n.slice(HR_STORAGE_ENTRY.length + 1).split('.')[1]) : NaN;
    if (row >= 1 && row <= 10) return other('memory (hrStorageTable rows 1-10 on net-snmp)');
    return best?.[1];
  }
  const named = /^(?:[\w-]+::)?([A-Za-z][\w-]*)(?:\.("?)([^"]*)\2)?/.exec(raw.trim());
  if (!named) return undefined;
  if (/^nsExtend/i.test(named[1]!)) return named[3] ? byWords(named[3]) : undefined;
  return objectNames.find(([re]) => re.test(named[1]!))?.[1];
}

/** OIDs inside a longer text (a command line, perfdata): numeric, and `MODULE::name` forms. */
const OIDS_IN = /(?:^|[\s!=,'"(])((?:iso|\.?1)(?:\.\d{1,10}){4,128}|[A-Z][\w-]*-MIB::[A-Za-z][\w-]*(?:\.(?:"[^"\s]{1,64}"|[\w.]+))?)/g;

function kindInText(s: string): Kind | undefined {
  for (const m of s.matchAll(OIDS_IN)) {
    const k = kindOfOid(m[1]!);
    if (k) return k;
  }
  return undefined;
}

/** What a clue says about the value: its OIDs first, then its words. */
function kindOfClue(c: Clue): Kind | undefined {
  if (c.by === 'oid') return kindOfOid(c.value) ?? kindInText(c.value);
  if (c.by === 'probe') return c.value === 'mailq' ? MAIL_QUEUE : c.value === 'disk' || c.value === 'disk-snmp' ? DISK : undefined;
  return kindInText(c.value) ?? byWords(c.value);
}

/** Perfdata labels (`mailq=1500;...`, `'Mail queue'=1500`) and OIDs used as labels. */
function perfLabels(perf: string): string[] {
  return [...perf.matchAll(/(?:^|\s)('([^']{1,200})'|[^\s=']{1,200})=/g)].map((m) => m[2] ?? m[1]!).slice(0, 64);
}

/**
 * The value of an SNMP threshold alert, or undefined when the output is not one. The plugin's own
 * words decide first (its label, units, perfdata), then the clues in order; with none that tells,
 * an integer is the mail queue (the field runbook's default), anything else a value without a runbook.
 */
export function readSnmpValue(output: string, clues: readonly Clue[]): SnmpValueReading | undefined {
  const m = SNMP_THRESHOLD.exec(output);
  if (!m) return undefined;
  const [, before = '', , value = '', after = '', perf = ''] = m;
  for (const t of [before.trim(), after.trim(), ...perfLabels(perf)]) {
    if (!t) continue;
    const k = kindOfOid(t) ?? byWords(t);
    if (k) return { ...k, decision: { by: 'text', value: t } };
  }
  for (const c of clues) {
    const k = kindOfClue(c);
    if (k) return { ...k, decision: { by: c.by, value: c.value } };
  }
  if (/^\d+$/.test(value)) return { ...MAIL_QUEUE, decision: { by: 'default', value: 'an SNMP threshold alert with nothing else known is the mail queue (field runbook, section 1)' } };
  return { ...other('a value read over SNMP'), decision: { by: 'text', value: `*${value}*` } };
}
