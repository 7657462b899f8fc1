/**
 * A guard on real parts for the crash-safety tests: a SQLite store in a temporary directory, the
 * file source on logs the test writes, and a firewall (dry-run unless the test gives one).
 * `make()` builds a guard over the same store file and state directory, so a test can stop one
 * and start the next as a restart would, or reset the log position to make it read lines again.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { BanRecord } from '../../src/core/ban.ts';
import { systemClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/log.ts';
import { firewalls, reconcile, type Firewall } from '../../src/firewall/index.ts';
import { Guard, type GuardJail } from '../../src/guard/guard.ts';
import { jailSchema } from '../../src/guard/jail.ts';
import { sources } from '../../src/guard/sources/index.ts';
import { stores } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';

export interface Rig {
  dir: string;
  log: string;
  /** Log lines the guards printed (JSON), for "it said what it repaired". */
  said: string[];
  store(): Promise<Store>;
  jail(name: string, options: Record<string, unknown>, file?: string): GuardJail;
  make(jails: GuardJail[], fw?: Firewall, opts?: { driftIntervalMs?: number }): Promise<Guard>;
  write(...lines: string[]): void;
  done(): Promise<void>;
}

/** Now as syslog writes it in UTC (`Dec  7 07:00:00`): the jails' time zone in these tests. */
export function syslogNow(): string {
  const d = new Date();
  const mon = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
}

/** An sshd failure line written now. */
export const sshdLine = (address: string, user = 'root') => `${syslogNow()} host sshd[4242]: Failed password for invalid user ${user} from ${address} port 40022 ssh2`;

export async function rig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-guard-'));
  const log = join(dir, 'auth.log');
  appendFileSync(log, '');
  const opened: Store[] = [];
  const guards: Guard[] = [];
  const said: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void said.push(s) });
  const r: Rig = {
    dir,
    log,
    said,
    async store() {
      const s = await stores.sqlite.create(stores.sqlite.schema.parse({ path: join(dir, 'mamoru.db') }), { log: silentLogger });
      opened.push(s);
      return s;
    },
    jail(name, options, file = log) {
      const opts = jailSchema.parse({ filters: ['sshd'], find_time: '10m', ban_time: '10m', ...options });
      return {
        name,
        options: opts,
        target: 'host',
        timeZone: 'UTC',
        signature: JSON.stringify({ name, options, file }),
        sources: [sources.file.create(sources.file.schema.parse({ paths: [file], from: 'start', poll_interval: '200ms' }), { name, stateDir: join(dir, 'state'), log: silentLogger })],
      };
    },
    async make(jails, fw, opts = {}) {
      const store = await r.store();
      const firewall = fw ?? firewalls['dry-run'].create({}, { log: silentLogger });
      const g = new Guard(jails, {
        firewall,
        store,
        allow: { refusal: () => undefined },
        log: logger,
        clock: systemClock,
        reconcile: async (wanted: BanRecord[], now: number) => {
          const res = await reconcile(wanted, firewall, now);
          const parts = [res.added.length ? `put back ${res.added.map((b) => b.address).join(', ')}` : '', res.removed.length ? `removed ${res.removed.map((b) => b.address).join(', ')}` : ''].filter(Boolean);
          return parts.length ? parts.join('; ') : undefined;
        },
        driftIntervalMs: opts.driftIntervalMs ?? 200,
      });
      guards.push(g);
      return g;
    },
    write(...lines) {
      appendFileSync(log, lines.map((l) => l + '\n').join(''));
    },
    async done() {
      for (const g of guards) await g.stop().catch(() => undefined);
      for (const s of opened) await s.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return r;
}

/** Waits until `cond` holds (polling), or fails with `what`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
