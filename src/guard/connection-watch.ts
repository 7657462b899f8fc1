/**
 * The connection table as evidence for the jails, read every `intervalMs`: SYN_RECV (spoofable)
 * only raises a ban's severity and explains an outage; ESTABLISHED counts as failures only where
 * a jail sets max_connections, and may then ban like a log failure (the guard applies it).
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { Failure } from './filters/index.ts';
import type { GuardDeps, GuardJail } from './guard-types.ts';
import type { BanDecision, Jail } from './jail.ts';

export interface ConnectionWatchOptions {
  read: NonNullable<GuardDeps['connections']>;
  /** The running jails (they change on reload). */
  jails(): readonly { def: GuardJail; jail: Jail }[];
  ban(def: GuardJail, ban: BanDecision, failure: Failure, now: number, key: string | undefined): void;
  clock: Clock;
  log: Logger;
  /** @defaultValue 5000 */
  intervalMs?: number | undefined;
}

export class ConnectionWatch {
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private stopped = false;

  constructor(private readonly o: ConnectionWatchOptions) {}

  start(): void {
    this.timer = this.o.clock.setTimeout(() => {
      if (this.stopped) return;
      void this.read()
        .catch((err) => this.o.log.warn({ err }, 'could not read the connection table'))
        .finally(() => {
          if (!this.stopped) this.start();
        });
    }, this.o.intervalMs ?? 5000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
  }

  private async read(): Promise<void> {
    const jails = this.o.jails();
    const ports = [...new Set(jails.map((j) => j.def.options.port))];
    const table = await this.o.read(ports);
    const now = this.o.clock.now();
    for (const j of jails) {
      const port = j.def.options.port;
      for (const src of table.get(port) ?? []) {
        for (const [state, count] of [['SYN_RECV', src.synRecv], ['ESTABLISHED', src.established]] as const) {
          if (count === 0) continue;
          const d = j.jail.evidence({ address: src.address, state, count, port }, now);
          if (d.ban) {
            const failure: Failure = { address: src.address, time: now, filter: 'connections', raw: `${count} ${state} connections from ${src.address}${port ? ` on :${port}` : ''}` };
            this.o.ban(j.def, d.ban, failure, now, d.key);
          }
        }
      }
    }
  }
}
