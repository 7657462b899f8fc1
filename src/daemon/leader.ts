/**
 * One brain leads: with `bus: { type: nats }`, every `mamoru start` of an installation asks the
 * bus for the lease `brain`; the one that holds it runs checks, state, incidents, runbooks and
 * messages, the others stand by and ask again every second. The leader renews the lease three
 * times a `lease_ttl`; when it cannot renew (another brain holds it, or the bus has not answered
 * for two thirds of a ttl) it steps down before its lease can have expired anywhere, so two
 * brains never both act: the lease expires only a full ttl after the last renewal.
 *
 * A lease is not consensus: a leader paused longer than a ttl (a stopped VM) wakes up still
 * believing it leads until its next renewal fails, at most a third of a ttl later. So every hold
 * has an epoch (the lease's revision when taken, only growing), the leader claims it in the store
 * when it takes the lead, and before every message and every action it checks that the store's
 * epoch is still its own (`fence`): an old leader that wakes up finds a higher one, sends and does
 * nothing, and steps down. Its messages stay owed in the outbox for the brain that leads.
 */
import { hostname } from 'node:os';
import { buses, type Bus } from '../bus/index.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import { StaleEpochError } from '../store/errors.ts';

export const BRAIN_LEASE = 'brain';
/** How often a standing-by brain asks for the lease. */
const STANDBY_EVERY_MS = 1_000;

export interface LeadershipOptions {
  holder: string;
  /** The bus's `lease_ttl`. */
  ttlMs: number;
  log: Logger;
  /** Aborting gives up waiting (a stop while standing by). */
  signal?: AbortSignal | undefined;
}

export class LeadershipLost extends Error {}

export class Leadership {
  private timer: NodeJS.Timeout | undefined;
  private lastRenewed: number;
  /** This brain's name in the lease (`host:pid`). */
  readonly holder: string;
  private released = false;

  private constructor(
    private readonly bus: Bus,
    private readonly opts: LeadershipOptions,
    /** This hold's fencing token: claimed in the store, checked before every message and action. */
    readonly epoch: number,
  ) {
    this.lastRenewed = Date.now();
    this.holder = opts.holder;
  }

  /** Waits until this brain holds the lease; says once that it stands by, and who leads. */
  static async acquire(bus: Bus, opts: LeadershipOptions): Promise<Leadership> {
    let said: string | undefined;
    for (;;) {
      if (opts.signal?.aborted) throw new LeadershipLost('stopped while standing by');
      try {
        if (await bus.acquireLease(BRAIN_LEASE, opts.holder)) {
          const epoch = await bus.leaseEpoch(BRAIN_LEASE, opts.holder);
          if (epoch === undefined) continue; // lost again at once: ask again
          if (said !== undefined) opts.log.warn({ was: said, epoch }, `brain ${opts.holder} takes the lead (${said} no longer holds it), epoch ${epoch}`);
          else opts.log.info({ epoch }, `brain ${opts.holder} leads, epoch ${epoch}`);
          return new Leadership(bus, opts, epoch);
        }
        const holder = (await bus.leaseHolder(BRAIN_LEASE)) ?? 'another brain';
        if (holder !== said) opts.log.info({ leader: holder }, `standing by: brain ${holder} leads; this brain (${opts.holder}) takes over when its lease lapses`);
        said = holder;
      } catch (err) {
        opts.log.warn({ err }, 'standing by: the bus does not answer');
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, STANDBY_EVERY_MS);
        opts.signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  }

  /** Renews the lease until released; `onLost` is called once when the lead is lost. */
  keep(onLost: (why: string) => void): void {
    const every = Math.max(100, Math.floor(this.opts.ttlMs / 3));
    // Step down before the lease can have lapsed: a ttl after the last renewal, less a renewal's time.
    const giveUpAfter = Math.floor((this.opts.ttlMs * 2) / 3);
    let lost = false;
    const lose = (why: string) => {
      if (lost || this.released) return;
      lost = true;
      clearInterval(this.timer);
      this.opts.log.error({ why }, `brain ${this.opts.holder} steps down: ${why}`);
      onLost(why);
    };
    this.timer = setInterval(() => {
      // A renewal that hangs (the bus half away) must not keep a brain leading past its lease.
      if (Date.now() - this.lastRenewed > giveUpAfter) return lose(`the lease was not renewed for ${Date.now() - this.lastRenewed} ms`);
      void this.bus.acquireLease(BRAIN_LEASE, this.opts.holder).then(
        (held) => {
          if (held) this.lastRenewed = Date.now();
          else lose('another brain holds the lease');
        },
        (err) => {
          if (Date.now() - this.lastRenewed > giveUpAfter) lose(`the bus has not renewed the lease for ${Date.now() - this.lastRenewed} ms (${(err as Error)?.message ?? err})`);
        },
      );
    }, every);
  }

  /** Gives the lease up at once (a clean stop): a standing-by brain takes over within a second. */
  async release(): Promise<void> {
    this.released = true;
    clearInterval(this.timer);
    await this.bus.releaseLease(BRAIN_LEASE, this.opts.holder).catch((err) => this.opts.log.warn({ err }, 'could not release the lead; it lapses after lease_ttl'));
  }
}

/** The bus and the lead of a brain in a cluster (`bus: { type: nats }`). */
export interface Cluster {
  bus: Bus;
  lead: Leadership;
}

/**
 * With a bus other than `local`: opens it and waits for the lead (standing by meanwhile). The
 * embedded default (`bus: local`) is one brain alone: undefined, nothing to wait for.
 */
export async function joinCluster(cfg: { bus: unknown }, ctx: { log: Logger; clock: Clock; secret: (name: string) => string; signal?: AbortSignal | undefined }): Promise<Cluster | undefined> {
  const options = cfg.bus as { type: string; lease_ttl?: number };
  if (options.type === 'local') return undefined;
  const log = ctx.log.child({ room: 'bus' });
  const bus = await buses[options.type as keyof typeof buses].create(options as never, { log, clock: ctx.clock, secret: ctx.secret });
  try {
    const lead = await Leadership.acquire(bus, { holder: `${hostname()}:${process.pid}`, ttlMs: options.lease_ttl ?? 9_000, log, signal: ctx.signal });
    return { bus, lead };
  } catch (e) {
    await bus.close();
    throw e;
  }
}

/**
 * Claims this hold's epoch in the store and returns the fence to check before each message and
 * action: it throws StaleEpochError (after `onStale`) once another brain claimed a higher epoch.
 */
export async function fenceInStore(store: { claimEpoch(epoch: number): Promise<number>; currentEpoch(): Promise<number> }, epoch: number, onStale: (why: string) => void): Promise<() => Promise<void>> {
  await store.claimEpoch(epoch);
  return async () => {
    const current = await store.currentEpoch();
    if (current > epoch) {
      const e = new StaleEpochError(epoch, current);
      onStale(e.message);
      throw e;
    }
  };
}
