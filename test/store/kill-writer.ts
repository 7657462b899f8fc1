/**
 * Child process of writer-thread.test.ts: writes results into the store file given as argv[2]
 * through Store.write(), result number `seq` starting at argv[3], and after each flush() has
 * resolved prints the last number written ("acknowledged"); `open` comes before the first one.
 * It never stops: the test kills it.
 * Each result's startedAt is T0 + seq s, so the test can find every one of them.
 */
import { silentLogger } from '../../src/core/log.ts';
import { stores } from '../../src/store/index.ts';

const T0 = Date.UTC(2026, 0, 19, 20, 0, 0);
const path = process.argv[2]!;
let seq = Number(process.argv[3]);
const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path, flush_rows: 40, flush_interval: '20ms', retention_raw: '3650d', retention_ok: '3650d' }), { log: silentLogger });
// The writer thread starts with the first write: the test's clock starts once it runs.
let first = true;
for (;;) {
  for (let i = 0; i < 97; i++, seq++) {
    const check = seq % 7;
    store.write({
      checkId: `t${check % 3}/c${check}`,
      target: `t${check % 3}`,
      state: (seq % 11 === 0 ? 2 : seq % 13 === 0 ? 1 : 0) as 0 | 1 | 2,
      text: `result ${seq}`,
      perfdata: seq % 5 === 0 ? [] : [{ label: 'time', value: (seq % 100) / 1000, unit: 's' }],
      // Mostly in order, one in nine an hour late: late results land in buckets already written.
      startedAt: T0 + seq * 1_000 - (seq % 9 === 0 ? 3_600_000 : 0),
      durationMs: (seq % 37) + 0.25,
    });
  }
  await store.flush();
  if (first) process.stdout.write('open\n');
  first = false;
  process.stdout.write(`${seq - 1}\n`);
}
