/**
 * The filter corpora (test/guard/corpus/<family>.ts), run through every filter at once as a jail
 * reading a shared log would: each failure line gives exactly its address, and no other line
 * (successful logins, the daemon's own address, user names holding addresses) matches anything.
 * A wrong address is the worst outcome (an innocent client banned): it fails the test by itself.
 * Each line is read in every filter mode: a failure must be found in its mode (`mode`, normal
 * when absent) and the modes that include it, and in no other (an ambiguous form must not count
 * in normal); a line that is not a failure matches in no mode.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { filters, LogScanner } from '../../src/guard/filters/index.ts';
import { counts, FILTER_MODES, type FilterMode } from '../../src/guard/failure.ts';
import type { CorpusEntry } from './corpus/types.ts';

const NOW = Date.UTC(2026, 11, 7, 12);
const dir = join(import.meta.dirname, 'corpus');
const families = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'types.ts').sort();

test('every family has a corpus', () => {
  assert.deepEqual(families.map((f) => f.replace(/\.ts$/, '')).filter((f) => !(f in filters)), [], 'a corpus for a filter that does not exist');
});

for (const file of families) {
  test(`corpus ${file}: each failure gives its address, nothing else matches`, async (t) => {
    const entries = (await import(join(dir, file))).default as CorpusEntry[];
    assert.ok(entries.length > 0, 'an empty corpus proves nothing');
    const wrong: string[] = [];
    let found = 0;
    let failures = 0;
    for (const e of entries) {
      // One scanner a line: a line's time must not depend on the one before it.
      const scan = (mode: FilterMode) => new LogScanner(Object.values(filters), { timeZone: 'UTC', now: () => NOW, mode }).scan(e.line);
      if (e.address === null) {
        for (const mode of FILTER_MODES) {
          const got = scan(mode);
          if (got) wrong.push(`matched a line that is not a failure in ${mode} mode (${got.filter} -> ${got.address}): ${e.form}\n    ${e.line}`);
        }
        continue;
      }
      failures++;
      const need = e.mode ?? 'normal';
      // A form counts in its mode and every mode that includes it; an ambiguous one in no other.
      let ok = true;
      for (const mode of FILTER_MODES) {
        const got = scan(mode);
        if (!counts(need, mode)) {
          if (got) wrong.push(`matched in ${mode} mode, but the form is ${need} only (${got.filter} -> ${got.address}): ${e.form}\n    ${e.line}`);
          ok &&= !got;
        } else if (!got) {
          wrong.push(`missed in ${mode} mode: ${e.form}\n    ${e.line}`);
          ok = false;
        } else if (got.address !== e.address) {
          wrong.push(`WRONG ADDRESS ${got.address} in ${mode} mode (want ${e.address}, ${got.filter}): ${e.form}\n    ${e.line}`);
          ok = false;
        }
      }
      if (ok) found++;
    }
    t.diagnostic(`${file.replace(/\.ts$/, '')}: ${found} of ${failures} failures found with the right address; ${entries.filter((e) => e.address === null).length} lines that must not match`);
    assert.deepEqual(wrong, []);
  });
}
