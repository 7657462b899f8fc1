/**
 * Unwraps a Nagios or Icinga notification around a plugin's output, so the rules read only what
 * the plugin said and take the host, the service description and the state from the wrapping:
 *
 *   ** PROBLEM Service Alert: web1/HTTP is CRITICAL **      (Nagios' notify-service-by-email)
 *   Notification Type: PROBLEM / Service: HTTP / Host: web1 / State: CRITICAL / Additional Info: ...
 *   [PROBLEM] HTTP on web1 is CRITICAL!  /  HTTP on web1 is CRITICAL!  /  Info: ...   (Icinga 2's mail scripts)
 *
 * Text without any of this passes through unchanged as the output.
 */

export interface Unwrapped {
  /** The plugin's output (every line that is not part of the wrapping). */
  output: string;
  /** `PROBLEM`, `RECOVERY`, `ACKNOWLEDGEMENT` ..., when the wrapping says it. */
  notificationType?: string | undefined;
  host?: string | undefined;
  /** The service description (`HTTP`, `Mail Queue`). */
  service?: string | undefined;
  /** The state word (`CRITICAL`, `DOWN` ...), upper case. */
  state?: string | undefined;
  /** A host notification (a host check failed), not a service one. */
  hostAlert: boolean;
}

const TYPES = 'PROBLEM|RECOVERY|ACKNOWLEDGEMENT|FLAPPINGSTART|FLAPPINGSTOP|FLAPPINGDISABLED|DOWNTIMESTART|DOWNTIMEEND|DOWNTIMECANCELLED|CUSTOM';
const STATES = 'OK|WARNING|CRITICAL|UNKNOWN|UP|DOWN|UNREACHABLE';

/** Whole-line headers: each returns the facts it carries. */
const headers: { re: RegExp; facts: (m: RegExpMatchArray) => Partial<Unwrapped> }[] = [
  // Nagios: ** PROBLEM Service Alert: web1/HTTP is CRITICAL **
  { re: new RegExp(`^\\*\\*\\s*(${TYPES})\\s+Service Alert:\\s*([^/]+)/(.+?)\\s+is\\s+(${STATES})\\s*\\*\\*$`, 'i'), facts: (m) => ({ notificationType: m[1], host: m[2], service: m[3], state: m[4] }) },
  // Nagios: ** PROBLEM Host Alert: web1 is DOWN **
  { re: new RegExp(`^\\*\\*\\s*(${TYPES})\\s+Host Alert:\\s*(.+?)\\s+is\\s+(${STATES})\\s*\\*\\*$`, 'i'), facts: (m) => ({ notificationType: m[1], host: m[2], state: m[3], hostAlert: true }) },
  // Icinga 2 subject: [PROBLEM] HTTP on web1 is CRITICAL!   /   [PROBLEM] Host web1 is DOWN!
  { re: new RegExp(`^\\[(${TYPES})\\]\\s+Host\\s+(\\S+)\\s+is\\s+(${STATES})!?$`, 'i'), facts: (m) => ({ notificationType: m[1], host: m[2], state: m[3], hostAlert: true }) },
  { re: new RegExp(`^\\[(${TYPES})\\]\\s+(.+?)\\s+on\\s+(\\S+)\\s+is\\s+(${STATES})!?$`, 'i'), facts: (m) => ({ notificationType: m[1], service: m[2], host: m[3], state: m[4] }) },
  // Icinga 2 body: HTTP on web1 is CRITICAL!   /   web1 is DOWN!   (the "!" keeps plugin prose like "eth0 is DOWN" out)
  { re: new RegExp(`^(.+?)\\s+on\\s+(\\S+)\\s+is\\s+(${STATES})!$`), facts: (m) => ({ service: m[1], host: m[2], state: m[3] }) },
  { re: /^(\S+)\s+is\s+(UP|DOWN|UNREACHABLE)!$/, facts: (m) => ({ host: m[1], state: m[2], hostAlert: true }) },
  // Banners: ***** Nagios *****, ***** Service Monitoring on icinga2 *****
  { re: /^\*{3,}.*\*{3,}$/, facts: () => ({}) },
];

/** `Name: value` fields of the notification bodies. */
const fields: { re: RegExp; facts: (v: string) => Partial<Unwrapped> }[] = [
  { re: /^(?:Notification Type|Type)\s*:\s*(.*)$/i, facts: (v) => ({ notificationType: v }) },
  { re: /^(?:Service|Service Description|Service Name)\s*:\s*(.*)$/i, facts: (v) => ({ service: v }) },
  { re: /^(?:Host|Host ?Name)\s*:\s*(.*)$/i, facts: (v) => ({ host: v }) },
  { re: new RegExp(`^State\\s*:\\s*(${STATES})\\b.*$`, 'i'), facts: (v) => ({ state: v }) },
  { re: /^(?:Address|IPv4|IPv6|Date\/Time|When|Comment|Author|Duration|Host ?Alias|Display Name|Notes|Notes URL|Action URL|Acknowledged by)\s*:.*$/i, facts: () => ({}) },
];

const OUTPUT_FIELD = /^(?:Additional Info|Info|Output|Service Output|Host Output|Plugin Output)\s*:\s*(.*)$/i;

/** Splits a notification into its facts and the plugin output it carries. */
export function unwrapNotification(text: string): Unwrapped {
  const out: Unwrapped = { output: '', hostAlert: false };
  const rest: string[] = [];
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const header = headers.find((h) => h.re.test(line));
    if (header) {
      Object.assign(out, header.facts(line.match(header.re)!));
      continue;
    }
    const field = fields.find((f) => f.re.test(line));
    if (field) {
      Object.assign(out, field.facts(line.match(field.re)![1]?.trim() ?? ''));
      continue;
    }
    const o = OUTPUT_FIELD.exec(line);
    if (o) {
      if (o[1]) rest.push(o[1]);
      continue;
    }
    rest.push(line);
  }
  out.output = rest.join('\n');
  if (out.state) out.state = out.state.toUpperCase();
  // A Nagios host notification has Host and State (UP/DOWN/UNREACHABLE) but no Service.
  if (!out.service && out.state && /^(UP|DOWN|UNREACHABLE)$/.test(out.state)) out.hostAlert = true;
  return out;
}
