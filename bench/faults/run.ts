/**
 * bench/faults: the guard's SIGKILL loop (test/guard/kill-loop-harness.ts) for many kills, for
 * the closing note of issue 16. Prints the counts (kills, attackers, bans lost, failures counted
 * twice, kernel/store mismatches, incident notes lost or doubled: all must be 0) and start-up
 * times, and writes them as JSON to bench/out/. Needs root, ip and nft.
 *
 *   node --import tsx bench/faults/run.ts [--kills N]   (default 300)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killLoop } from '../../test/guard/kill-loop-harness.ts';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  process.stdout.write('node --import tsx bench/faults/run.ts [--kills N]  (default 300; needs root, ip, nft)\n');
  process.exit(0);
}
const at = args.indexOf('--kills');
const kills = at === -1 ? 300 : Number(args[at + 1]);
if (!Number.isInteger(kills) || kills < 1) {
  process.stderr.write(`--kills: expected a whole number of kills, got "${args[at + 1]}"\n`);
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  process.stderr.write('bench/faults needs root (a network namespace and nftables)\n');
  process.exit(2);
}

const t0 = Date.now();
const r = await killLoop({ kills, say: (l) => process.stderr.write(`${l}\n`) });
const sorted = [...r.startMs].sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const counts = {
  kills: r.kills,
  attackers: r.attackers,
  bans_lost: r.bansLost,
  counted_twice: r.wrongBans,
  kernel_store_mismatches: r.mismatches,
  notes_lost: r.notesLost,
  notes_doubled: r.notesDoubled,
};
const ok = r.bansLost + r.wrongBans + r.mismatches + r.notesLost + r.notesDoubled === 0;
process.stdout.write(
  [
    `kills                    ${r.kills}`,
    `attackers past threshold ${r.attackers}`,
    `bans lost                ${r.bansLost}`,
    `failures counted twice   ${r.wrongBans}`,
    `kernel/store mismatches  ${r.mismatches}`,
    `incident notes lost      ${r.notesLost}`,
    `incident notes doubled   ${r.notesDoubled}`,
    `start to watching (ms)   median ${pct(50)}, p95 ${pct(95)}, max ${sorted.at(-1)}`,
    `took                     ${Math.round((Date.now() - t0) / 1000)} s`,
    ok ? 'PASS: nothing lost, nothing doubled, kernel == store' : 'MISS',
    ...r.problems.slice(0, 20),
    '',
  ].join('\n'),
);
const out = fileURLToPath(new URL('../out/', import.meta.url));
mkdirSync(out, { recursive: true });
writeFileSync(join(out, `faults-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ when: new Date().toISOString(), ...counts, start_ms: r.startMs, problems: r.problems }, null, 2));
process.exit(ok ? 0 : 1);
