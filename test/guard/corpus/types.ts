/**
 * One line of a filter corpus: as the daemon writes it, where it comes from, and the address a
 * ban must be built from (null: the line is not a failure, or its address cannot be told apart
 * from client text, and nothing may match it). Corpora are written from each daemon's own format
 * strings across its versions (or recorded from the lab's real daemons), never from another
 * project's patterns.
 */
export interface CorpusEntry {
  /** The form, short: `sshd 7.4+: Failed password (preauth)`. */
  form: string;
  /** Where the wording comes from: `lab` (recorded from Debian 12's daemon) or the source (`openssh auth.c auth_log(): "Failed %s for %s%.100s from %.200s port %d ssh2%s"`). */
  source: string;
  /** The whole log line, syslog header included when the daemon logs through syslog. */
  line: string;
  /** The address a ban must use (canonical), or null: nothing may match. */
  address: string | null;
  /** The filter mode the form needs when it is not `normal` (ambiguous forms). */
  mode?: 'normal' | 'aggressive' | 'ddos';
}
