/**
 * The stored bans back in the kernel first thing at `mamoru start` (issue 16: no blind gap), before
 * the rest of mamoru is even loaded: read the config's `store` and `guard` sections alone, open
 * the SQLite store read-only, and load mamoru's nftables table with every ban in force in ONE
 * `nft -f -` transaction (table, sets, chains, elements with their remaining time), spawned while
 * the process is still small (a fork of the full daemon costs several times more).
 *
 * It is only a head start. The full start then loads and checks the whole config, and the guard
 * reads the kernel once: when it holds exactly the stored bans in the layout the config asks for,
 * nothing is done again; otherwise the normal reconcile repairs it (daemon-guard.ts). Anything
 * this cannot read with certainty (a config not in plain block form at the top, a section it does
 * not know, another backend or store, a store it cannot open) makes it step aside, and the normal
 * path does it all as before. A config that later proves invalid leaves the kernel holding the
 * stored bans in force, which is what it held before the stop.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { parse } from 'yaml';
import { restoreScript, type NftLayout } from './nft-script.ts';
import { checkBan, type CheckedBan } from './rule.ts';
import { localRunner } from './run.ts';
import type { Runner } from './types.ts';

/** Past this size the config is left to the normal path (load.ts refuses past 8 MiB anyway). */
const MAX_TEXT = 8 * 1024 * 1024;
const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;
const FIREWALL_KEYS = new Set(['type', 'table', 'priority', 'forward']);
/** What the store's schema defaults to (store/sqlite.ts). */
const DEFAULT_STORE = './data/mamoru.db';

export type EarlyRestore =
  | { done: true; layout: NftLayout; /** The store file read (absolute), or none (`:memory:`). */ store: string | undefined; bans: number; ms: number }
  | { done: false; why: string };

export interface EarlyPlan {
  layout: NftLayout;
  store: string | undefined;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The text of each top-level key's block, or why the top level is not plain `key:` lines. */
function topBlocks(text: string): Map<string, string> | string {
  const blocks = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '' || /^\s/.test(line)) {
      current?.push(line);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_-]*):(?:\s|$)/.exec(line);
    if (!m) return 'the top level is not plain "key:" lines';
    if (blocks.has(m[1]!)) return `"${m[1]}" is given twice`;
    current = [line];
    blocks.set(m[1]!, current);
  }
  return new Map([...blocks].map(([k, v]) => [k, v.join('\n')]));
}

/** One section of the config, parsed alone (an alias to an anchor elsewhere fails: the normal path then). */
function section(blocks: Map<string, string>, key: string): unknown {
  const text = blocks.get(key);
  if (text === undefined) return undefined;
  const doc = parse(text, { maxAliasCount: 100, uniqueKeys: true }) as unknown;
  return isMap(doc) ? doc[key] : undefined;
}

/**
 * The table layout and store file a config asks for, read from its `guard` and `store` sections
 * only; a string says why not (then the normal start does everything).
 */
export function earlyPlan(text: string, cwd: string = process.cwd()): EarlyPlan | string {
  const blocks = topBlocks(text);
  if (typeof blocks === 'string') return blocks;
  let guard: unknown;
  let store: unknown;
  try {
    guard = section(blocks, 'guard');
    store = section(blocks, 'store');
  } catch (e) {
    return `the guard or store section cannot be read alone (${(e as Error).message.split('\n')[0]})`;
  }
  if (!isMap(guard) || !Array.isArray(guard.jails) || guard.jails.length === 0) return 'no jails: no guard';
  const fw = guard.firewall ?? { type: 'nftables' };
  if (!isMap(fw) || fw.type !== 'nftables') return 'the firewall is not nftables';
  if (Object.keys(fw).some((k) => !FIREWALL_KEYS.has(k))) return 'guard.firewall has keys this does not know';
  const layout: NftLayout = { table: (fw.table ?? 'mamoru') as string, priority: (fw.priority ?? -10) as number, forward: (fw.forward ?? false) as boolean };
  if (typeof layout.table !== 'string' || !TABLE.test(layout.table)) return 'guard.firewall.table is not a table name';
  if (!Number.isInteger(layout.priority) || layout.priority < -400 || layout.priority > 400) return 'guard.firewall.priority is not a priority';
  if (typeof layout.forward !== 'boolean') return 'guard.firewall.forward is not true or false';
  const file = storeFileOf(store, cwd);
  if (typeof file === 'object') return file.why;
  return { layout, store: file };
}

/** The store's file from the config's `store` section (undefined: `:memory:`), or why it is not read here. */
function storeFileOf(store: unknown, cwd: string): string | undefined | { why: string } {
  const s = store ?? {};
  if (!isMap(s) || (s.type !== undefined && s.type !== 'sqlite')) return { why: 'the store is not sqlite' };
  const path = s.path ?? DEFAULT_STORE;
  if (typeof path !== 'string' || path === '') return { why: 'store.path is not a path' };
  return path === ':memory:' ? undefined : resolve(cwd, path);
}

/**
 * The store's directory as the config names it (read from its `store` section alone), where
 * the daemon keeps the config cache (config/cache.ts); undefined when it cannot tell.
 */
export function storeDirOf(configFile: string, cwd: string = process.cwd()): string | undefined {
  try {
    const text = readConfig(resolve(cwd, configFile));
    const blocks = text === undefined ? undefined : topBlocks(text);
    if (blocks === undefined || typeof blocks === 'string') return undefined;
    const file = storeFileOf(section(blocks, 'store'), cwd);
    return typeof file === 'string' ? dirname(file) : undefined;
  } catch {
    return undefined;
  }
}

/** The stored bans in force, checked as the backend checks them (a row it would refuse is left out). */
export function storedBans(file: string | undefined, now: number): CheckedBan[] {
  // No store yet (a first start): nothing stored, nothing to restore.
  if (file === undefined || !existsSync(file)) return [];
  let db: BetterSqlite3.Database | undefined;
  let rows: { address: string; port: number | null; proto: string | null; until: number | null }[];
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    rows = db.prepare('SELECT address, port, proto, until FROM bans WHERE until IS NULL OR until > ?').all(now) as typeof rows;
  } catch (e) {
    // A store not migrated that far holds no bans; any other failure (permissions, not a
    // database) must not empty the kernel's sets: the normal start says what is wrong.
    if (/no such table: bans/.test((e as Error).message)) return [];
    throw e;
  } finally {
    db?.close();
  }
  const out: CheckedBan[] = [];
  for (const r of rows) {
    try {
      out.push(checkBan('nftables', { address: r.address, until: r.until ?? undefined, port: r.port ?? undefined, proto: r.port === null ? undefined : ((r.proto ?? 'tcp') as 'tcp' | 'udp') }));
    } catch {
      // Refused by the backend too; the full start logs it when it tries.
    }
  }
  return out;
}

function readConfig(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_TEXT) return undefined;
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Restores the stored bans into the kernel from the config file alone. Never throws: what it
 * could not do is said in `why`, and the full start does it. The nft child is spawned before
 * this returns (while the process is small); the promise settles when nft has finished.
 */
export function restoreEarly(configFile: string, opts: { run?: Runner; now?: () => number; cwd?: string } = {}): Promise<EarlyRestore> {
  const started = performance.now();
  try {
    const text = readConfig(resolve(opts.cwd ?? process.cwd(), configFile));
    if (text === undefined) return Promise.resolve({ done: false, why: 'the config cannot be read here' });
    const plan = earlyPlan(text, opts.cwd);
    if (typeof plan === 'string') return Promise.resolve({ done: false, why: plan });
    const now = (opts.now ?? Date.now)();
    const bans = storedBans(plan.store, now);
    const script = restoreScript(plan.layout, bans, now);
    const run = opts.run ?? localRunner();
    return run(['nft', '-f', '-'], { input: script }).then((r) =>
      r.status === 0
        ? { done: true, layout: plan.layout, store: plan.store, bans: bans.length, ms: Math.round(performance.now() - started) }
        : { done: false, why: `nft refused it: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? ''}` },
    );
  } catch (e) {
    return Promise.resolve({ done: false, why: (e as Error).message.split('\n')[0] ?? 'failed' });
  }
}
