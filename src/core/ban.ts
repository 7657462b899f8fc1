/** A ban as the store keeps it: what is blocked, until when, why, and who the address is. */
export interface BanRecord {
  /** The blocked address or network, canonical (`1.2.3.4`, `2001:db8::/64`). */
  address: string;
  /** Only this destination port, when the ban is per port (the runbook's `--dport 110`). */
  port?: number | undefined;
  proto?: 'tcp' | 'udp' | undefined;
  /** The jail that decided it, or `manual` for `mamoru bans add`. */
  jail: string;
  /** One line: how many failures, from which filter, in what window. */
  reason: string;
  createdAt: number;
  /** When it ends, ms; undefined for a ban without an end. */
  until?: number | undefined;
  /** 1 for an address's first ban, 2 for the second... (longer bans for repeat offenders). */
  banCount: number;
  /** Country and network owner, when enrichment found them (display only). */
  enrichment?: Record<string, unknown> | undefined;
}

/** The store key of a ban: one row per address, port and protocol. */
export function banKey(b: Pick<BanRecord, 'address' | 'port' | 'proto'>): string {
  return b.port === undefined ? b.address : `${b.address}|${b.proto ?? 'tcp'}|${b.port}`;
}
