/**
 * The bus: how pollers hand check results to the brain, how the processes of one installation
 * know who is alive, and how one brain holds the lead. `local` runs it inside one process (the
 * embedded default); `nats` runs it on NATS JetStream for pollers and brains on other machines.
 * Both are held to one contract suite (test/bus/contract.ts), like the stores.
 */
import type { z } from 'zod';
import type { Logger } from '../core/log.ts';
import type { Clock } from '../core/clock.ts';
import type { CheckResult } from '../core/result.ts';

/** One check result on its way from the poller that ran it to the brain. */
export interface ResultEnvelope {
  /**
   * Unique per run (`checkId@startedAt@poller`): the bus drops a second message with the same id
   * within its dedup window, so a poller that publishes again after a lost acknowledgement never
   * makes the brain count a result twice.
   */
  id: string;
  checkId: string;
  /** Where the check ran (a poller's zone; `local` on the embedded bus). */
  zone: string;
  poller: string;
  result: CheckResult;
}

/** What a publish did: how many the bus now holds, and how many were repeats it dropped. */
export interface PublishReport {
  stored: number;
  duplicates: number;
}

/** A running consumer; stop() ends it after the batch in hand is handled. */
export interface ResultConsumer {
  stop(): Promise<void>;
}

export interface ConsumeOptions {
  /** Most results handed over in one call (default 256). */
  maxBatch?: number;
}

/**
 * Receives batches of results in the order they were stored. A batch counts as taken only when
 * the handler resolves: one that throws is handed over again (at least once; the envelope ids
 * let the brain drop what it already stored).
 */
export type ResultHandler = (batch: ResultEnvelope[]) => Promise<void>;

/** A process that said it is alive. */
export interface Member {
  zone: string;
  name: string;
  version: string;
  /** When the bus last heard from it (ms since the epoch). */
  seenAt: number;
}

export interface Bus {
  readonly type: string;
  /** Hands results to the bus; resolves when it holds them (JetStream: stored on the server). */
  publishResults(batch: readonly ResultEnvelope[]): Promise<PublishReport>;
  /**
   * The brain's consumer, by name: what was published while no consumer of that name ran is
   * handed over when one starts again (on a durable bus, also after the process restarted).
   */
  consumeResults(name: string, handler: ResultHandler, opts?: ConsumeOptions): Promise<ResultConsumer>;
  /**
   * Asks the pollers of `zone` to run these checks now (a zone saw one fail and the others are to
   * confirm it at once, not at their next interval). Fire and forget: a poller that misses it runs
   * the check at its usual time. At most `MAX_RECHECK_IDS` ids a request.
   */
  requestRecheck(zone: string, checkIds: readonly string[]): Promise<void>;
  /** A poller hears the re-check requests of its zone until `stop()`. */
  onRecheck(zone: string, handler: (checkIds: string[]) => void): Promise<{ stop(): void }>;
  /** A member says it is alive; it counts as alive for `memberTtlMs` after its last heartbeat. */
  heartbeat(member: Omit<Member, 'seenAt'>): Promise<void>;
  /** The members alive now, of one zone or of all, sorted by zone and name. */
  members(zone?: string): Promise<Member[]>;
  /**
   * Takes the lease `name` for `holder` when it is free or expired, or renews it when `holder`
   * has it; false when another holds it. A lease not renewed for `leaseTtlMs` expires.
   */
  acquireLease(name: string, holder: string): Promise<boolean>;
  /**
   * The epoch of `holder`'s hold on the lease: a number that grows with every new holder (the
   * fencing token a leader claims in the store), or undefined when `holder` does not hold it.
   * Renewals keep the epoch; a holder that lost the lease and took it again gets a new one.
   */
  leaseEpoch(name: string, holder: string): Promise<number | undefined>;
  /** Gives the lease up at once (a brain stopping cleanly), if `holder` has it. */
  releaseLease(name: string, holder: string): Promise<void>;
  /** Who holds the lease now, if anyone. */
  leaseHolder(name: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface BusContext {
  log: Logger;
  clock?: Clock;
  /** Secrets by name (a NATS password), read when the bus connects. */
  secret?: (name: string) => string;
}

/** The shape every bus family member shares: `{ type, summary, schema, create }`. */
export interface BusDefinition<S extends z.ZodType> {
  type: string;
  summary: string;
  schema: S;
  create(options: z.output<S>, ctx: BusContext): Promise<Bus>;
}

export function defineBus<S extends z.ZodType>(def: BusDefinition<S>): BusDefinition<S> {
  return def;
}

/** Names a bus puts into subjects, stream and bucket names: letters, digits, `_` and `-` only. */
export const BUS_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Most check ids in one re-check request; more are sent as several. */
export const MAX_RECHECK_IDS = 1_000;
