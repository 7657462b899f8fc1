/**
 * Twins (one service seen through several targets) found by indexes must be exactly the twins the
 * definition gives: the same effective port, and the same address or one target the other's
 * parent, joined transitively; the primary is the first check in config order not behind a parent
 * in its group. Checked against a direct pairwise reading of that definition on random configs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planChecks, type PlannedCheck } from '../../src/config/checks.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { effectivePort } from '../../src/config/check-port.ts';
import { engineChecks, hostCheckName } from '../../src/daemon-engine-checks.ts';

/** The definition, pair by pair (quadratic: fine for a few hundred checks). */
function twinsByDefinition(targets: Config['targets'], planned: readonly PlannedCheck[]): (string | undefined)[] {
  const hostChecks = new Map(targets.map((t) => [t.name, hostCheckName(t)]));
  const ports = planned.map((c) => (hostChecks.get(c.target.name) === c.name ? undefined : effectivePort(c)));
  const group = planned.map((_, i) => i);
  const root = (i: number): number => (group[i] === i ? i : root(group[i]!));
  planned.forEach((a, i) =>
    planned.forEach((b, j) => {
      const related = a.target.address === b.target.address || a.target.parents.includes(b.target.name) || b.target.parents.includes(a.target.name);
      if (j > i && ports[i] !== undefined && ports[i] === ports[j] && a.target.name !== b.target.name && related) group[root(j)] = root(i);
    }),
  );
  const primaries = new Map<number, number>();
  planned.forEach((c, i) => {
    if (ports[i] === undefined || primaries.has(root(i))) return;
    const behind = planned.some((d, j) => ports[j] !== undefined && root(j) === root(i) && c.target.parents.includes(d.target.name));
    if (!behind) primaries.set(root(i), i);
  });
  return planned.map((_, i) => {
    const p = primaries.get(root(i));
    return p === undefined || ports[i] === undefined || planned[p]!.target.name === planned[i]!.target.name ? undefined : planned[p]!.id;
  });
}

test('twins found through indexes equal the pairwise definition on 200 random configs', () => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  let withTwins = 0;
  for (let round = 0; round < 200; round++) {
    const count = 2 + rand(9);
    const lines: string[] = ['targets:'];
    for (let t = 0; t < count; t++) {
      const parents = t > 0 && rand(3) === 0 ? [`t${rand(t)}`] : [];
      lines.push(`  - name: t${t}`, `    address: 10.0.0.${1 + rand(3)}`, `    parents: [${parents.join(', ')}]`, '    checks:');
      if (rand(2)) lines.push('      - { type: ping }');
      for (let k = 0, n = 1 + rand(3); k < n; k++) lines.push(`      - { type: tcp, name: c${k}, port: ${[25, 80, 110][rand(3)]} }`);
    }
    const config = parseConfig(lines.join('\n') + '\n', `random-${round}.yaml`);
    const planned = planChecks(config);
    const want = twinsByDefinition(config.targets, planned);
    const got = engineChecks(config, planned).map((c) => c.primary);
    assert.deepEqual(got, want, `round ${round}:\n${lines.join('\n')}`);
    if (want.some((p) => p !== undefined)) withTwins++;
  }
  assert.ok(withTwins > 50, `the random configs have twins (${withTwins} of 200)`);
});
