/** The store a config names, opened for one command and closed after (safe beside a running daemon: WAL). */
import type { Config } from '../config/schema.ts';
import { silentLogger } from '../core/log.ts';
import { stores } from '../store/index.ts';
import type { Store } from '../store/types.ts';

export async function withStore<T>(config: Config, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await stores[config.store.type as keyof typeof stores].create(config.store as never, { log: silentLogger });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
