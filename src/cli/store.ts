/**
 * The store a config names, opened for one command and closed after (safe beside a running daemon:
 * WAL, or a server), and `mamoru store copy`, which moves an installation from SQLite to PostgreSQL.
 */
import type { Command } from 'commander';
import type { Config } from '../config/schema.ts';
import { UsageError } from '../core/errors.ts';
import { pino } from 'pino';
import { silentLogger } from '../core/log.ts';
import { loadConfigFile } from '../config/load.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';
import { secretsFrom, secretsFromEnv } from '../core/secrets.ts';
import { stores, StoreOpenError } from '../store/index.ts';
import type { Store } from '../store/types.ts';

export async function withStore<T>(config: Config, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await stores[config.store.type as keyof typeof stores].create(config.store as never, { log: silentLogger, secret: secretsFrom(config.secrets) });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** `sqlite:PATH` or a bare path; `postgres:` urls as they are. */
const sqlitePath = (v: string) => v.replace(/^sqlite:(\/\/)?/, '');

export function registerStore(program: Command): void {
  const store = program.command('store').description('work on the store itself');
  store
    .command('migrate')
    .description("bring the config's store to this mamoru's schema now, and say its version (mamoru start does it too; a store written by a newer mamoru is refused)")
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_FILE)
    .action(async (opts: { config: string }) => {
      const { config } = loadConfigFile(opts.config);
      // Each migration applied is said on stderr as it runs (the store logs it at info).
      const log = pino({ level: 'info' }, { write: (line: string) => void (JSON.parse(line).migration ? process.stderr.write(`applied ${JSON.parse(line).migration}\n`) : 0) });
      let opened: Store;
      try {
        opened = await stores[config.store.type as keyof typeof stores].create(config.store as never, { log, secret: secretsFrom(config.secrets) });
      } catch (e) {
        throw e instanceof StoreOpenError ? new UsageError(e.message) : e;
      }
      process.stdout.write(`${opened.type} store at ${opened.location}: schema version ${opened.schemaVersion}\n`);
      await opened.close();
    });
  store
    .command('copy')
    .description('copy every table of an SQLite store into an empty PostgreSQL database, ids kept, in one transaction (stop the daemon first)')
    .requiredOption('--from <path>', 'the SQLite file (sqlite:PATH or PATH)')
    .requiredOption('--to <url>', 'the PostgreSQL database, postgres://USER@HOST:PORT/DATABASE (no password in it)')
    .option('--password-secret <name>', 'the password comes from the environment variable MAMORU_SECRET_NAME')
    .option('--batch <rows>', 'rows per INSERT', (v) => Number(v), 1000)
    .option('--quiet', 'no progress lines')
    .action(async (opts: { from: string; to: string; passwordSecret?: string; batch: number; quiet?: boolean }) => {
      if (!Number.isInteger(opts.batch) || opts.batch < 1 || opts.batch > 10_000) throw new UsageError('--batch expects a whole number from 1 to 10000');
      const { copyStore, StoreCopyError } = await import('../store/pg-copy.ts');
      const { urlProblem } = await import('../store/pg-connect.ts');
      const problem = urlProblem(opts.to);
      if (problem) throw new UsageError(`--to: ${problem}`);
      const report = await copyStore({
        from: sqlitePath(opts.from),
        to: opts.to,
        passwordSecret: opts.passwordSecret,
        secret: secretsFromEnv,
        batchRows: opts.batch,
        progress: opts.quiet
          ? undefined
          : (p) => {
              // One line per table, rewritten in place on a terminal; every line otherwise.
              const line = `${p.table}: ${p.copied}/${p.total}`;
              if (process.stderr.isTTY) process.stderr.write(`\r${line}${p.copied === p.total ? '\n' : ''}`);
              else process.stderr.write(`${line}\n`);
            },
      }).catch((e: unknown) => {
        // What went wrong and what to do, without a stack: the command's own failures.
        throw e instanceof StoreCopyError || e instanceof StoreOpenError ? new UsageError(e.message) : e;
      });
      const rows = Object.values(report.tables).reduce((a, b) => a + b, 0);
      process.stdout.write(`copied ${rows} rows in ${Object.keys(report.tables).length} tables (schema version ${report.schemaVersion})\n`);
    });
}
