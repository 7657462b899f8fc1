/**
 * disk: used space and inodes of local filesystems (statfs) against percent thresholds,
 * reported in the seed's combined form `DISK CRITICAL [Disk use 90% /] [Inum use 2% /]`.
 */
import { z } from 'zod';
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
  async run() {
    throw new Error('disk probe: not implemented yet');
  },
});
