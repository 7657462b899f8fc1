/** A real AuthService on a real (in-memory) SQLite store and a FakeClock, for the auth tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthService, type AuthServiceHandle } from '../../src/auth/service.ts';
import { authSchema } from '../../src/config/web.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/log.ts';
import { stores } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';

export const T0 = Date.UTC(2026, 11, 7, 6, 30, 0);
export const PASSWORD = 'correct horse battery staple';

export interface AuthHarness {
  auth: AuthServiceHandle;
  store: Store;
  clock: FakeClock;
  dir: string;
  /** Every auth log line, as the listener got them. */
  lines: string[];
  close(): Promise<void>;
}

export async function authHarness(auth: Record<string, unknown> = {}): Promise<AuthHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-auth-'));
  const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path: ':memory:' }), { log: silentLogger });
  const clock = new FakeClock(T0);
  const lines: string[] = [];
  const config = authSchema.parse({ log_file: join(dir, 'logs', 'auth.log'), ...auth });
  const service = createAuthService({ store, clock, log: silentLogger, config, authLog: (l) => lines.push(l) });
  return {
    auth: service,
    store,
    clock,
    dir,
    lines,
    async close() {
      await service.flushLog();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` on a fresh harness, cleaned up even when it fails. */
export async function withAuth(fn: (h: AuthHarness) => Promise<void>, auth: Record<string, unknown> = {}): Promise<void> {
  const h = await authHarness(auth);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}
