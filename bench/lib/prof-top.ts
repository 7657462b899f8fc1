/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and prints where the time went: self time per
 * function and per file, and inclusive time of the functions named on the command line. Enough
 * to say "this much of each check goes there" without opening DevTools.
 *
 *   node --import tsx bench/lib/prof-top.ts FILE.cpuprofile [--top 30] [--incl NAME ...] [--per N]
 * With --per N (the checks the profile covers), times are also shown in µs per check.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' }, incl: { type: 'string', multiple: true, default: [] }, per: { type: 'string' } } });
const file = positionals[0];
if (!file) throw new Error('usage: prof-top.ts FILE.cpuprofile [--top N] [--incl NAME ...]');
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Time of each sample = the delta to the next one (V8's own convention).
const selfUs = new Map<number, number>();
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i + 1] ?? 0;
  selfUs.set(prof.samples[i]!, (selfUs.get(prof.samples[i]!) ?? 0) + dt);
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const short = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'nm/').replace(/^.*\/work\/main\//, '');
const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const perFn = new Map<string, number>();
const perFile = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  perFn.set(label(n), (perFn.get(label(n)) ?? 0) + us);
  const f = short(n.callFrame.url) || `(${n.callFrame.functionName})`;
  perFile.set(f, (perFile.get(f) ?? 0) + us);
}

const per = values.per ? Number(values.per) : 0;
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms${per ? `  ${(us / per).toFixed(1).padStart(6)} µs/check` : ''}`;
const top = Number(values.top);
console.log(`total sampled: ${(total / 1e6).toFixed(2)} s\n\nself time by function:`);
for (const [k, v] of [...perFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
console.log('\nself time by file:');
for (const [k, v] of [...perFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);

// Inclusive: a sample counts once for a name when that name is anywhere on its stack.
for (const name of values.incl ?? []) {
  let us = 0;
  for (const [id, t] of selfUs) {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      if (byId.get(cur)!.callFrame.functionName === name) {
        us += t;
        break;
      }
    }
  }
  console.log(`\ninclusive ${name}: ${pct(us)}`);
}
