/**
 * The writer thread: owns its own connection to the store's SQLite file (WAL: the main thread's
 * connection reads and writes beside it) and does every result write there, so the main thread
 * only packs columns and posts them. Requests are answered in the order they came; a maintain()
 * pass runs in slices with writes served between them. Started by result-sink.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { ResultWriter, PartialWriteError } from './result-writer.ts';
import type { Retention } from './rollup.ts';
import type { SinkReply, SinkRequest } from './result-sink.ts';

const { path, retention, wants } = workerData as { path: string; retention: Retention; wants: Int32Array };

/** Waits (at most a second) while the main thread is running a write of its own. */
function letMainWrite(): void {
  const until = Date.now() + 1_000;
  for (let n = Atomics.load(wants, 0); n > 0 && Date.now() < until; n = Atomics.load(wants, 0)) Atomics.wait(wants, 0, n, 5);
}
const port = parentPort!;
const pause = () => yieldTurn();

function reply(msg: SinkReply): void {
  port.postMessage(msg);
}

function failure(id: number, e: unknown): SinkReply {
  const err = e as Error;
  return { id, ok: false, error: { message: err?.message ?? String(e), name: err?.name ?? 'Error', written: e instanceof PartialWriteError ? e.written : 0 } };
}

let db: BetterSqlite3.Database;
let writer: ResultWriter;
const ready = (async () => {
  db = new BetterSqlite3(path);
  // The main thread waits for this thread's short transactions; this thread may wait longer.
  db.pragma('busy_timeout = 10000');
  db.pragma('synchronous = NORMAL');
  writer = new ResultWriter(db, letMainWrite);
  await writer.catchUp(pause);
})();
ready.then(
  () => reply({ id: 0, ok: true, value: 'ready' }),
  (e) => reply(failure(0, e)),
);

let maintaining: Promise<unknown> = Promise.resolve();

port.on('message', (msg: SinkRequest) => {
  void ready.then(async () => {
    try {
      if (msg.op === 'write') reply({ id: msg.id, ok: true, value: writer.write(msg.columns, msg.atomic) });
      else if (msg.op === 'maintain') {
        // One pass at a time; writes keep being served between its slices.
        const run = maintaining.then(() => writer.maintain(msg.now, retention, pause));
        maintaining = run.catch(() => {});
        reply({ id: msg.id, ok: true, value: await run });
      } else if (msg.op === 'close') {
        writer.stop();
        await maintaining;
        db.close();
        reply({ id: msg.id, ok: true, value: 'closed' });
        port.close();
      }
    } catch (e) {
      reply(failure(msg.id, e));
    }
  }, () => {});
});
