/**
 * The field runbook's alert table as data: an ordered list of rules, each "this wording (or this
 * state of the check) means that kind of failure, of this service". The first rule that fits
 * wins, so the specific come before the general (an SNMP tool's `Timeout` is the agent, not a
 * slow service; `No route to host` is the host, not the port).
 *
 * The wording is what the tools really print (Debian's monitoring-plugins, net-snmp's tools,
 * MariaDB's client library, curl), recorded from the lab in `test/fixtures/alerts/`, and the texts
 * of mamoru's own probes, which follow the plugins.
 */
import type { Clue, Decision } from './context.ts';
import type { SnmpValueReading } from './snmp-values.ts';
import type { AlertKind, Service } from './types.ts';

/** An alert as the rules see it. */
export interface Alert {
  /** The plugin's output, without any notification wrapping (all lines). */
  output: string;
  /** The state, when known apart from the text (upper case: OK, WARNING, ..., UP, DOWN, UNREACHABLE). */
  state?: string | undefined;
  /** Where the state came from (given beside the text, or the notification's wrapping). */
  stateBy?: Decision | undefined;
  /** `PROBLEM`, `RECOVERY` ..., from a notification. */
  notificationType?: string | undefined;
  /** A host check (or host notification), whose failure means the host itself. */
  hostCheck: boolean;
  /** What made it a host check (the probe type, a host notification, a ping command). */
  hostBy?: Decision | undefined;
  /** The check names, service descriptions and check commands the sender gave, in one string. */
  hint?: string | undefined;
  /** Everything known around the text, in the order it is believed (context.ts). */
  clues: readonly Clue[];
  /** The service the probe type, the text or the clues tell (rules may say otherwise). */
  service?: Service | undefined;
  serviceBy: Decision | null;
  /** For an SNMP threshold alert (`SNMP CRITICAL - *2345*`): which value it is, and what said so. */
  snmpValue?: SnmpValueReading | undefined;
}

export interface Rule {
  /** What the alert means, in the field runbook's words. */
  means: string;
  kind: AlertKind;
  /** The output says any of these... */
  text?: readonly RegExp[];
  /** ...and (or only, without `text`) this holds. */
  when?: (a: Alert) => boolean;
  /** The service involved, when the rule knows it better than the alert's own (null: none). */
  service?: Service | null;
  /** Which context decided, for a rule that reads more than the text (default: the text it matched). */
  decide?: (a: Alert) => Decision | undefined;
  /** The reason in words when it depends on the alert (default: `means`). */
  explain?: (a: Alert) => string;
}

const problem = (a: Alert) => a.state !== 'OK' && a.state !== 'UP';
const snmpValueIs = (subject: SnmpValueReading['subject']) => (a: Alert) => problem(a) && a.snmpValue?.subject === subject;
const bySnmpValue = (a: Alert) => a.snmpValue?.decision;

export const rules: readonly Rule[] = [
  // ── all is well ───────────────────────────────────────────────────────────────────────────
  {
    means: 'the check is OK again (a recovery)',
    kind: 'ok',
    when: (a) => a.state === 'OK' || a.state === 'UP' || /^RECOVERY$/i.test(a.notificationType ?? ''),
    decide: (a) => (a.state === 'OK' || a.state === 'UP' ? a.stateBy : { by: 'notification', value: a.notificationType ?? null }),
  },
  {
    means: 'the plugin says OK',
    kind: 'ok',
    when: (a) => a.state === undefined,
    // `HTTP OK:`, `PING OK -`, `OK - 10.0.0.5 rta ...` (check_icmp), `OK: mailq is 0`; check_mysql's OK is its status line.
    text: [/^\s*(?:[A-Za-z][\w/]*\s+)?OK\b\s*[-:]/, /^\s*Uptime: \d+\s+Threads: \d+/],
  },

  // ── section 2: the server cannot be reached ───────────────────────────────────────────────
  {
    means: 'the host check fails: the server does not answer',
    kind: 'host-unreachable',
    service: null,
    when: (a) => problem(a) && (a.hostCheck || a.state === 'DOWN' || a.state === 'UNREACHABLE'),
    decide: (a) => (a.hostCheck ? a.hostBy : a.stateBy),
  },

  // ── the SNMP agent cannot be read (before timeouts: `snmpbulkget: Timeout` is the agent) ─────
  {
    means: 'the SNMP agent cannot be read',
    kind: 'snmp-agent-error',
    service: 'snmp',
    text: [
      /\bsnmp(?:get|bulkget|walk|bulkwalk|getnext|table|status|df)?: *(?:Timeout|Error|Unknown|Authentication|Cannot|No Response)/i,
      /\bTimeout: No Response from\b/i,
      /^SNMP (?:problem|UNKNOWN|CRITICAL) - (?:No data received from host|External command error)/i,
      // check_snmp (monitoring-plugins 2.3) passes snmpget's words on after its own.
      /^\s*External command error\b/,
      /\bUnknown user name\b/i,
      /\bAuthentication failure \(incorrect password, community or key\)/i,
      /\bUSM (?:unknown security name|unsupported security level|authentication failure|unknown engineID|not in time window|decryption error)/i,
      /\b(?:Unknown engine ID|Unsupported security level|Not in time window|Decryption error)\b/,
      /\bSNMPv3 security error from\b/,
      // An OID or MIB the tools cannot resolve, or the agent does not serve: net-snmp's words.
      /\bUnknown Object Identifier\b/,
      /\bUnknown OID\b/,
      /\bCannot find module \(/,
      /\bNo Such (?:Object available on this agent|Instance currently exists) at this OID\b/i,
      /\(noSuchName\) There is no such variable name\b/,
      /\bReason: authorizationError\b/,
      /\bCannot send V2 PDU on V1 session\b/,
    ],
  },

  { means: 'the SNMP agent is not running (no snmpd process)', kind: 'snmp-agent-error', service: 'snmp', when: problem, text: [/\b0 processes with command name 'snmpd'/] },

  // ── mail queue above its threshold ───────────────────────────────────────────────────────────
  // An SNMP threshold (`SNMP CRITICAL - *2345*`) is the value its label, OID or check says (snmp-values.ts).
  { means: 'the mail queue is above its threshold (an SNMP threshold on the mail-queue OID)', kind: 'mail-queue', service: 'smtp', when: snmpValueIs('mail-queue'), decide: bySnmpValue },
  { means: 'a filesystem (or its inodes) is over its threshold (an SNMP threshold on a disk OID)', kind: 'disk-full', service: 'disk', when: snmpValueIs('disk'), decide: bySnmpValue },
  {
    means: 'a value read over SNMP is over its threshold, and no runbook of the field runbook answers it: a person should look',
    kind: 'unknown',
    when: snmpValueIs('other'),
    decide: bySnmpValue,
    explain: (a) => `${a.snmpValue?.what ?? 'a value read over SNMP'} is over its threshold (an SNMP value no runbook of the field runbook answers): a person should look`,
  },
  {
    means: 'the mail queue is above its threshold',
    kind: 'mail-queue',
    service: 'smtp',
    when: problem,
    text: [
      // check_mailq: "mailq is 1500"; a label naming the queue before its number, or as perfdata.
      /\bmailq is \d+/i,
      /\bmail ?queue (?:is|has) \d+/i,
      /\b(?:mail ?queue|mailq)(?: (?:size|length))?(?: is|:)? \*?"?\d+\b/i,
      /(?:^|\s|\|)'?(?:mail[ _-]?queue|mailq)'?=\d/i,
    ],
  },

  // ── a filesystem (or its inodes) over threshold ─────────────────────────────────────────────
  {
    means: 'a filesystem (or its inodes) is over its threshold',
    kind: 'disk-full',
    service: 'disk',
    // Not check_disk's "DISK CRITICAL - /x is not accessible": a missing path is not a full disk.
    text: [/^\s*DISK (?:WARNING|CRITICAL)\b(?! - \S+ is not)/, /\[(?:Disk|Inum) use \d+%/, /No space left on device/i],
  },

  // ── the host does not answer (its words, from ping or from a service check) ───────────────
  {
    means: 'the server does not answer at all',
    kind: 'host-unreachable',
    service: null,
    text: [
      /Packet loss = 100%/i,
      /\blost 100%/i,
      /\b100% packet loss/i,
      /\bHost Unreachable\b/i,
      /\bNo route to host\b/i,
      /\bNetwork (?:is )?unreachable\b/i,
      /\bHost is down\b/i,
      // check_curl (curl 7.88) hides the errno behind "Couldn't connect to server": a refusal comes
      // back within a round trip, an address nobody answers ARP for after the kernel's 3 s.
      /cURL returned 7 - Failed to connect to \S+ port \d+ after [1-9]\d{3,} ms/,
    ],
  },
  // Partial loss or slow round trips: re-pinging, from more than one place, is the answer too.
  { means: 'ping loses packets or answers slowly', kind: 'host-unreachable', service: null, text: [/^\s*PING (?:WARNING|CRITICAL)\b/, /^\s*(?:WARNING|CRITICAL) - \S+:? rta [\d.na]+m?s?, lost \d+%/] },

  // ── section 3: the service is down (nothing listens) ───────────────────────────────────────
  {
    means: 'the service is down (nothing listens)',
    kind: 'service-refused',
    text: [
      /Connection refused/i,
      /Unable to open TCP socket/i,
      /cURL returned 7\b/,
      // check_mysql (libmariadb 3) reports a refused connection as "(115)", the errno of its
      // non-blocking connect; an unanswered one it does not report at all (it waits minutes).
      /Can't connect to (?:MySQL )?server on \S+ \(11[15]\b/i,
      /Can't connect to local (?:MySQL )?server through socket/i,
      // check_dns: "Connection to DNS x was refused"; check_dig only says dig failed, which, fast,
      // is a refusal (a silent server ends in the plugin's own timeout instead).
      /\bConnection to DNS \S+ was refused/,
      /\(dig returned an error status\)/,
    ],
  },
  { means: 'the service is down (its process is not running)', kind: 'service-refused', when: problem, text: [/\b0 processes\b/] },

  // ── a service takes longer than the check waits ──────────────────────────────────────────────
  {
    means: 'the service takes longer to answer than the check waits',
    kind: 'service-timeout',
    text: [
      // The plugins' socket alarm: "CRITICAL - Socket timeout after 10 seconds".
      /Socket timeout/i,
      // The plugins' own alarm ("CRITICAL - Plugin timed out after 10 seconds", "... while executing
      // system call"), Nagios killing a check ("(Service check timed out after 60.01 seconds)"),
      // mamoru's runner ("check timed out after"), curl ("Operation timed out", "Connection timed out").
      /\btimed out\b/i,
      // mamoru's "No response from DNS server X after N seconds"; check_dns's "No response from DNS X"
      // is nslookup giving up, on a silent server and (as the plugin's source says) a stopped one.
      /No response from DNS\b/i,
      /No data received from host/i,
      /Can't connect to (?:MySQL )?server on \S+ \(110\b/i,
      /Lost connection to (?:MySQL )?server at 'reading initial communication packet'/i,
    ],
  },

  // ── the service answers, but wrongly: none of the field runbook's rows ──────────────────────
  {
    means: 'the service answers, but not as expected (an error status, the wrong content or certificate): a person should look',
    kind: 'unknown',
    text: [/HTTP\/[\d.]+ [45]\d\d\b/, /pattern not found|string not found|Unexpected response|Invalid HTTP response|certificate|page size|redirect/i],
  },

  // ── the service answers, slowly ──────────────────────────────────────────────────────────────
  { means: 'the service answers, but slower than its threshold', kind: 'service-slow', when: problem, text: [/\d seconds? response time\b/i, /\bsec\. response time\b/i, /\bresponse time \d/i] },
];

/** The first rule that fits the alert, and which context decided: the rule's own say, else the words it matched. */
export function firstRule(a: Alert): { rule: Rule; decision: Decision } | undefined {
  for (const rule of rules) {
    if (rule.when && !rule.when(a)) continue;
    let matched: string | undefined;
    if (rule.text) {
      for (const re of rule.text) {
        matched = re.exec(a.output)?.[0];
        if (matched !== undefined) break;
      }
      if (matched === undefined) continue;
    }
    const decision = rule.decide?.(a) ?? (matched !== undefined ? { by: 'text' as const, value: matched.trim().slice(0, 120) } : (a.stateBy ?? { by: 'text' as const, value: null }));
    return { rule, decision };
  }
  return undefined;
}
