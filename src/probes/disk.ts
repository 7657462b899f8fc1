/**
 * disk: used space and inodes of local filesystems (statfs) against percent thresholds,
 * reported in the seed's combined form `DISK CRITICAL [Disk use 90% /] [Inum use 2% /]`.
 */
import { realpath, statfs } from 'node:fs/promises';
import { z } from 'zod';
import { NagiosState } from '../core/nagios.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';
import { defaultMounts, mountOf, readMounts, type Mount } from './disk-mounts.ts';
import { diskReport } from './disk-report.ts';
import { defineProbe } from './types.ts';

const percent = (description: string) => z.number().min(0).max(100).meta({ description });

export const schema = z.strictObject({
  path: z.array(z.string().min(1)).optional().meta({ description: 'mount points to check (default: every real local filesystem)' }),
  warning: percent('WARNING when used space reaches this percent').default(80),
  critical: percent('CRITICAL when used space reaches this percent').default(90),
  inode_warning: percent('WARNING when used inodes reach this percent').default(80),
  inode_critical: percent('CRITICAL when used inodes reach this percent').default(90),
  exclude_type: z.array(z.string()).default([]).meta({ description: 'filesystem types to leave out, e.g. ["squashfs"]' }),
});

export default defineProbe({
  type: 'disk',
  summary: 'used space and inodes per mount, local statfs (like check_disk)',
  schema,
  shortFlags: { warning: 'w', critical: 'c', path: 'p', inode_warning: 'W', inode_critical: 'K' },
  async run(_target, opts, ctx) {
    let mounts: Mount[];
    try {
      mounts = await readMounts();
    } catch (e) {
      return outcome(NagiosState.UNKNOWN, `DISK UNKNOWN - cannot read the mount table: ${(e as Error).message}`);
    }
    let chosen: { mount: Mount; path: string }[];
    if (opts.path) {
      chosen = [];
      for (const p of opts.path) {
        let real: string;
        try {
          real = await realpath(p);
        } catch (e) {
          // check_disk's state and words for a path that is not there.
          return outcome(NagiosState.CRITICAL, `DISK CRITICAL - ${p} is not accessible: ${errnoText(e)}`);
        }
        const mount = mountOf(mounts, real);
        // Like check_disk, a path inside a mount reports that mount, and each mount once.
        if (mount && !chosen.some((c) => c.mount.mountPoint === mount.mountPoint)) chosen.push({ mount, path: real });
      }
    } else chosen = defaultMounts(mounts, opts.exclude_type).map((mount) => ({ mount, path: mount.mountPoint }));
    if (chosen.length === 0) return outcome(NagiosState.UNKNOWN, 'DISK UNKNOWN - no filesystem to check');

    const usages: Usage[] = [];
    for (const c of chosen) {
      const u = await measure(c.path, c.mount.mountPoint, ctx.signal);
      if (ctx.signal.aborted) return outcome(NagiosState.UNKNOWN, `DISK UNKNOWN - statfs on ${c.mount.mountPoint} did not answer (a hung filesystem?)`);
      if ('error' in u) {
        if (opts.path) return outcome(NagiosState.CRITICAL, `DISK CRITICAL - ${c.mount.mountPoint} is not accessible: ${u.error}`);
        continue; // a mount we may not look into is not one we were asked about
      }
      usages.push(u);
    }
    return report(usages, opts);
  },
});

interface Usage {
  mountPoint: string;
  usedBytes: number;
  totalBytes: number;
  /** Used percent of what non-root users can have (df's Use%): used / (used + available). */
  usedPct: number;
  inodesUsed: number;
  inodesTotal: number;
  /** null when the filesystem has no inode limit (btrfs, tmpfs with nr_inodes=0 report 0 total). */
  inodeUsedPct: number | null;
}

const errnoWords: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  EIO: 'Input/output error',
  ESTALE: 'Stale file handle',
};

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return errnoWords[code] ?? (e as Error).message;
}

async function measure(path: string, mountPoint: string, signal: AbortSignal): Promise<Usage | { error: string }> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<{ error: string }>((resolve) => {
    onAbort = () => resolve({ error: 'timed out' });
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const s = await Promise.race([statfs(path).catch((e: unknown) => ({ error: errnoText(e) })), aborted]);
    if ('error' in s) return s;
    const used = s.blocks - s.bfree;
    const usable = used + s.bavail;
    const inodesUsed = s.files - s.ffree;
    return {
      mountPoint,
      usedBytes: used * s.bsize,
      totalBytes: s.blocks * s.bsize,
      usedPct: usable > 0 ? (used * 100) / usable : 0,
      inodesUsed,
      inodesTotal: s.files,
      inodeUsedPct: s.files > 0 ? (inodesUsed * 100) / s.files : null,
    };
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/** The combined text: every mount's space first, then every mount's inodes; state is the worst. */
function report(usages: Usage[], opts: z.output<typeof schema>): ProbeOutcome {
  const space = usages.map((u) => ({ name: u.mountPoint, used: u.usedBytes, total: u.totalBytes, usedPct: u.usedPct }));
  const inodes = usages.flatMap((u) => (u.inodeUsedPct === null ? [] : [{ name: u.mountPoint, used: u.inodesUsed, total: u.inodesTotal, usedPct: u.inodeUsedPct }]));
  return diskReport(space, opts, inodes, { warning: opts.inode_warning, critical: opts.inode_critical });
}
