/**
 * Where result batches go: the writer thread (result-worker.ts) for a database file, or the main
 * thread's own connection for `:memory:` (private to its connection, a worker cannot open it)
 * and when the worker cannot start or dies. Both run the same ResultWriter, so the rows, the
 * rollups and the guarantees are the same; only which thread pays differs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from 'pino';
import { transferList, type ResultColumns } from './result-columns.ts';
import { ResultWriter, type WriterReport } from './result-writer.ts';
import type { Retention } from './rollup.ts';

export interface ResultSink {
  /** Writes a batch (`atomic`: in one transaction); rejects with a PartialWriteError. */
  write(columns: ResultColumns, atomic: boolean): Promise<number>;
  /** Retention in slices; the report counts results folded since the last pass. */
  maintain(now: number): Promise<WriterReport>;
  /** Finishes what was handed over and stops (the caller closes its own connection after). */
  close(): Promise<void>;
}

type SinkAsk = { op: 'write'; columns: ResultColumns; atomic: boolean } | { op: 'maintain'; now: number } | { op: 'close' };
export type SinkRequest = SinkAsk & { id: number };
export type SinkReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { message: string; name: string; written: number } };

/** On the main thread: each transaction is short, and maintain() yields between slices. */
export class InThreadSink implements ResultSink {
  private readonly writer: ResultWriter;
  private readonly ready: Promise<unknown>;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly retention: Retention,
  ) {
    this.writer = new ResultWriter(db);
    this.ready = this.writer.catchUp(() => this.pause());
  }

  /**
   * A turn of the event loop, and no further while the query builder has a transaction open on
   * this connection: rows written now would join it, and vanish if it rolled back.
   */
  private async pause(): Promise<void> {
    do await yieldTurn();
    while (this.db.inTransaction);
  }

  async write(columns: ResultColumns, atomic: boolean): Promise<number> {
    await this.ready;
    if (this.db.inTransaction) await this.pause();
    return this.writer.write(columns, atomic);
  }

  async maintain(now: number): Promise<WriterReport> {
    await this.ready;
    await this.pause();
    return this.writer.maintain(now, this.retention, () => this.pause());
  }

  async close(): Promise<void> {
    this.writer.stop();
    await this.ready.catch(() => {});
  }
}

/** The worker's module: the bundle's dist/store/result-worker.js, or the source under tsx. */
function startWorker(workerData: unknown): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./result-worker.js', here), { workerData });
  // From the sources, tsx must be registered in the worker too: bin/mamoru.js registers it
  // through its API, which a worker does not inherit as it inherits --import.
  const pkg = createRequire(here).resolve('tsx/package.json');
  const api = new URL((JSON.parse(readFileSync(pkg, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!.import.default, pathToFileURL(pkg)).href;
  const file = new URL('./result-worker.ts', here).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(file)}); })`, { eval: true, workerData });
}

interface Waiting {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/**
 * Posts batches to the writer thread and waits for its answer. If the thread cannot start or
 * stops unexpectedly, what was waiting is refused (the store's writer keeps those rows and tries
 * again) and later calls go to `fallback()`, the in-thread writer on the main connection.
 */
export class WorkerSink implements ResultSink {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private seq = 0;
  private closing = false;
  private dead: Error | undefined;
  private replacement: ResultSink | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    path: string,
    retention: Retention,
    wants: Int32Array,
    private readonly fallback: () => ResultSink,
    private readonly log: Logger,
  ) {
    this.worker = startWorker({ path, retention, wants });
    this.worker.on('message', (m: SinkReply) => this.answer(m));
    this.worker.on('error', (e) => this.fail(e));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => {
      this.fail(new Error('the store writer thread stopped'));
      resolve();
    }));
    // The thread must not keep a process alive that has nothing else to do; close() joins it.
    this.worker.unref();
  }

  /**
   * Starts the thread and waits until it has folded what an older mamoru left (catch-up).
   * `wants` is raised by the main connection while one of its writes runs: the thread then
   * starts no transaction (result-writer.ts).
   */
  static async start(path: string, retention: Retention, wants: Int32Array, fallback: () => ResultSink, log: Logger): Promise<ResultSink> {
    const sink = new WorkerSink(path, retention, wants, fallback, log);
    sink.worker.ref();
    try {
      await new Promise<unknown>((resolve, reject) => sink.waiting.set(0, { resolve, reject }));
    } catch (e) {
      sink.closing = true;
      await sink.worker.terminate();
      throw e;
    }
    return sink;
  }

  private answer(m: SinkReply): void {
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    // Closing: referenced until the thread has exited, so close() can join it.
    if (this.waiting.size === 0 && !this.closing) this.worker.unref();
    if (m.ok) w.resolve(m.value);
    // `written`: rows committed before the failure (PartialWriteError), so only the rest is retried.
    else w.reject(Object.assign(new Error(m.error.message), { name: m.error.name, written: m.error.written }));
  }

  private fail(e: Error): void {
    if (!this.dead && !this.closing) this.log.error({ err: e }, 'store writer thread failed; writing on the main thread from now on');
    this.dead ??= e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  private target(): ResultSink | undefined {
    if (!this.dead) return undefined;
    return (this.replacement ??= this.fallback());
  }

  private ask<T>(req: SinkAsk, transfer: ArrayBuffer[] = []): Promise<T> {
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      // While an answer is owed the thread keeps the process alive (a command's last flush).
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }

  write(columns: ResultColumns, atomic: boolean): Promise<number> {
    const other = this.target();
    if (other) return other.write(columns, atomic);
    return this.ask<number>({ op: 'write', columns, atomic }, transferList(columns));
  }

  maintain(now: number): Promise<WriterReport> {
    const other = this.target();
    return other ? other.maintain(now) : this.ask<WriterReport>({ op: 'maintain', now });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.worker.ref();
    if (!this.dead) await this.ask({ op: 'close' }).catch(() => {});
    await this.exited;
    await this.replacement?.close();
  }
}

/**
 * Makes the sink on first use: a command that opens the store only to read incidents or bans
 * (cli/store.ts) starts no writer thread.
 */
export function lazySink(make: () => Promise<ResultSink>): ResultSink {
  let sink: Promise<ResultSink> | undefined;
  const get = () => (sink ??= make());
  return {
    write: async (columns, atomic) => (await get()).write(columns, atomic),
    maintain: async (now) => (await get()).maintain(now),
    close: async () => {
      if (sink) await (await sink).close();
    },
  };
}
