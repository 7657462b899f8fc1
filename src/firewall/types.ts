/**
 * The one shape every firewall backend has (style.md 3 and 6): `{ type, summary, schema, create }`,
 * where create() returns a Firewall. A backend owns one place in the kernel's rules (its own
 * nftables table, iptables chain or ipsets) and never touches anything outside it; `list()`
 * reads the kernel's truth so reconcile.ts can repair what someone changed by hand.
 *
 * Backends talk to their tools through an injected argv runner, never a shell: the daemon gives
 * the local runner (run.ts), the tests one that runs inside a network namespace they created.
 */
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { FirewallState } from './drift.ts';

export type Proto = 'tcp' | 'udp';

/** A ban to apply. */
export interface BanRequest {
  /** An IP address or a network (CIDR), IPv4 or IPv6. */
  address: string;
  /** When the ban ends, ms since the epoch; permanent when absent. */
  until?: number | undefined;
  /** Ban only this destination port (the runbook's `-p tcp --dport 110`); every port when absent. */
  port?: number | undefined;
  /** Protocol of `port`. @defaultValue 'tcp' */
  proto?: Proto | undefined;
}

/** A ban as the kernel holds it; `address` is canonical (src/guard/address.ts formatCidr). */
export interface BanRule {
  address: string;
  until?: number | undefined;
  port?: number | undefined;
  proto?: Proto | undefined;
}

export interface Firewall {
  /** Creates the backend's table/chain/sets and the hook that sends traffic through them (idempotent). */
  setup(): Promise<void>;
  /** Applies a ban; banning the same address, port and proto again replaces its end time. */
  ban(b: BanRequest): Promise<void>;
  /** Removes every rule of exactly this address or network (all ports). */
  unban(address: string): Promise<void>;
  /** What the kernel holds now, in the backend's own place only. */
  list(): Promise<BanRule[]>;
  /**
   * Bans and what is broken in the backend's structure, from one cheap read (the drift watch
   * calls it every second). Optional: without it the watch compares list() alone.
   */
  state?(): Promise<FirewallState>;
  /** Removes every ban, keeps the table/chain/sets. */
  flush(): Promise<void>;
  /** Removes everything the backend created; nothing of mamoru's is left in the rules. */
  teardown(): Promise<void>;
}

export interface RunResult {
  /** Exit status; null when the program could not be started or was killed. */
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one argv (no shell) and resolves with how it went; it never rejects. */
export type Runner = (argv: string[], opts?: { input?: string | undefined }) => Promise<RunResult>;

export interface FirewallDeps {
  log: Logger;
  /** @defaultValue the local runner (src/firewall/run.ts) */
  run?: Runner | undefined;
  /** The time, for turning `until` into a kernel timeout. @defaultValue Date.now */
  now?: (() => number) | undefined;
}

export interface FirewallDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Equals the file name and the config discriminator. */
  type: string;
  /** One line for the CLI help and the docs. */
  summary: string;
  schema: S;
  create(options: z.output<S>, deps: FirewallDeps): Firewall;
}

/** Identity helper that keeps the option types of each backend. */
export function defineFirewall<S extends z.ZodObject>(def: FirewallDefinition<S>): FirewallDefinition<S> {
  return def;
}

/** A firewall command failed or a ban was refused: which backend, what, and what to do. */
export class FirewallError extends Error {
  constructor(
    readonly backend: string,
    message: string,
    readonly argv?: string[] | undefined,
    readonly stderr?: string | undefined,
  ) {
    super(`firewall ${backend}: ${message}`);
    this.name = 'FirewallError';
  }
}
