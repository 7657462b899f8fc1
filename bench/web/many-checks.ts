/**
 * A config fragment with many tcp checks, for the overview's tests and bench: `targets` targets
 * of `perTarget` checks each (`t0000/c0` ...), tagged `group-N` (N = index mod 10), the last
 * check of each target on `deadPort` (nothing listens: CRITICAL once it has run), the others on
 * `upPort`. Each target's parent is the target 100 before it (a tree of hosts).
 */
export function manyChecks(o: { targets: number; perTarget: number; upPort: number; deadPort: number; interval?: string }): string {
  const lines: string[] = [];
  for (let i = 0; i < o.targets; i++) {
    const name = `t${String(i).padStart(4, '0')}`;
    lines.push(`  - name: ${name}`, '    address: 127.0.0.1', `    tags: [group-${i % 10}]`);
    if (i >= 100) lines.push(`    parents: [t${String(i - 100).padStart(4, '0')}]`);
    lines.push('    checks:');
    for (let j = 0; j < o.perTarget; j++) lines.push(`      - { type: tcp, name: c${j}, port: ${j === o.perTarget - 1 ? o.deadPort : o.upPort}${o.interval ? `, interval: ${o.interval}` : ''} }`);
  }
  return lines.join('\n');
}
