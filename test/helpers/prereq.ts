/**
 * Prerequisites of lab tests. Missing one in CI (CI=true) is a failure with the reason; on a
 * developer's machine the test is skipped with the same reason, so nothing passes by skipping in CI.
 */
import { accessSync, constants } from 'node:fs';
import type { TestContext } from 'node:test';

export function which(cmd: string): string | undefined {
  if (cmd.includes('/')) {
    try {
      accessSync(cmd, constants.X_OK);
      return cmd;
    } catch {
      return undefined;
    }
  }
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    try {
      accessSync(`${dir}/${cmd}`, constants.X_OK);
      return `${dir}/${cmd}`;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Returns the reason a prerequisite is missing, or undefined when all are there. */
export function missing(opts: { commands?: string[]; root?: boolean }): string | undefined {
  if (opts.root && process.getuid?.() !== 0) return 'this test needs root (network namespaces, raw sockets, mounts)';
  for (const c of opts.commands ?? []) if (!which(c)) return `"${c}" is not installed (.ci/run installs it with apt-get)`;
  return undefined;
}

/**
 * Use at the top of a test: `if (needs(t, { commands: ['nginx'] })) return;`.
 * In CI it throws (the test fails with the reason); elsewhere it skips the test.
 */
export function needs(t: TestContext, opts: { commands?: string[]; root?: boolean }): boolean {
  const why = missing(opts);
  if (!why) return false;
  if (process.env.CI) throw new Error(`prerequisite missing in CI: ${why}`);
  t.skip(why);
  return true;
}

export const PLUGINS = '/usr/lib/nagios/plugins';
