/**
 * disk-full: a filesystem (or its inode table) is over its threshold. For each one the alert
 * names (check_disk's `[Disk use 90% /]`, `DISK CRITICAL - free space: /var ...`), else the
 * configured ones, else `/`: the largest directories, deleted files still held open (space that
 * only a restart of their holder frees), and, when inodes are short, the directories with most
 * entries. What to delete is the client's data and the client's call.
 */
import { inspectDeletedOpenFiles, inspectDiskUsage, inspectInodeHogs } from '../inspect/disk-usage.ts';
import { formatBytes } from '../inspect/types.ts';
import { Findings } from './steps.ts';
import { defineRunbook, targetName } from './types.ts';

const SAFE_PATH = /^\/[\w@+.\/-]*$/;

/** Mount points named in a disk alert, in order, each once. */
export function pathsInAlert(text: string): { paths: string[]; inodes: boolean } {
  const paths: string[] = [];
  // Alert text comes from outside: only plain absolute paths, no way up (`..`), ever reach du and find.
  const add = (p: string | undefined) => {
    if (p && SAFE_PATH.test(p) && !p.split('/').includes('..') && !paths.includes(p)) paths.push(p);
  };
  for (const m of text.matchAll(/\[(?:Disk|Inum) use \d+% (\/[^\]\s]*)\]/g)) add(m[1]);
  for (const m of text.matchAll(/(?:free space|DISK (?:WARNING|CRITICAL)) ?[-:]\s*(\/\S*?)(?=\s|$)/g)) add(m[1]);
  for (const m of text.matchAll(/(?:^|[\s;])(\/[\w./-]*) \d+ [KMGT]i?B \(\d+%/g)) add(m[1]);
  // `[Inum use 97% /]` is inodes used, check_disk's `inode=3%` inodes free.
  const used = [...text.matchAll(/\bInum use (\d+)%/g)].some((m) => Number(m[1]) >= 80);
  const free = [...text.matchAll(/\binode=(\d+)%/g)].some((m) => Number(m[1]) <= 20);
  return { paths, inodes: used || free };
}

export default defineRunbook({
  name: 'disk-full',
  summary: 'largest directories, deleted-but-open files, inode hogs',
  async run(ctx) {
    const f = new Findings(ctx.clock);
    const where = targetName(ctx);
    const fromAlert = pathsInAlert(ctx.alert?.text ?? '');
    const paths = fromAlert.paths.length ? fromAlert.paths : ctx.service.disk_paths.length ? ctx.service.disk_paths : ['/'];
    const notes: string[] = [];
    const held: string[] = [];
    for (const path of paths) {
      const du = await f.look('disk-usage', () => inspectDiskUsage(ctx.executor, { path, top: 10 }), (d) => ({ path, totalBytes: d.totalBytes, largest: d.largest }));
      if (du?.largest[0]) notes.push(`${path}: largest ${du.largest[0].path} (${formatBytes(du.largest[0].bytes)})`);
      const del = await f.look('deleted-open', () => inspectDeletedOpenFiles(ctx.executor, { under: path === '/' ? undefined : path, top: 10 }), (d) => ({ path, totalBytes: d.totalBytes, files: d.files }));
      if (del && del.totalBytes > 0) {
        const first = del.files[0]!;
        held.push(`${formatBytes(del.totalBytes)} under ${path} is held by deleted files still open (largest ${first.path}, by ${first.process ?? 'pid'} ${first.pid})`);
      }
      if (fromAlert.inodes) await f.look('inodes', () => inspectInodeHogs(ctx.executor, { path, top: 10 }), (h) => ({ path, hogs: h.hogs }));
    }
    const verdict = `disk ${paths.join(', ')} on ${where}: ${[...notes, ...held].join('; ') || 'no usage could be read'}`;
    return {
      verdict,
      evidence: f.items,
      proposed: [],
      neededFromClient: `A filesystem on ${where} is nearly full (${paths.join(', ')}). ${notes.length ? `The most space is in ${notes.join('; ')}. ` : ''}${held.length ? `${held.join('; ')}: restarting that program frees it. ` : ''}Please decide what can be deleted or moved, or whether the disk should grow.`,
    };
  },
});
