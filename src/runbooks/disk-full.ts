/**
 * disk-full: a filesystem (or its inode table) is over its threshold. For each one the alert
 * names (check_disk's `[Disk use 90% /]`, `DISK CRITICAL - free space: /var ...`), else the
 * configured ones, else `/`: the largest directories, deleted files still held open (space that
 * only a restart of their holder frees), and, when inodes are short, the directories with most
 * entries. What to delete is the client's data and the client's call.
 */
import { inspectDeletedOpenFiles, inspectDiskUsage, inspectInodeHogs } from '../inspect/disk-usage.ts';
import { formatBytes } from '../inspect/types.ts';
import { said, type Said } from '../core/said.ts';
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
    /** The biggest directories found, for the client: `/var/log (6.0 MiB)`. */
    const biggest: string[] = [];
    const biggestJa: string[] = [];
    const held: string[] = [];
    const heldSay: Said[] = [];
    for (const path of paths) {
      const du = await f.look(
        'disk-usage',
        () => inspectDiskUsage(ctx.executor, { path, top: 10 }),
        (d) => ({ path, totalBytes: d.totalBytes, largest: d.largest }),
        (d) => {
          const top = d.largest.slice(0, 3).map((x) => `${x.path} (${formatBytes(x.bytes)})`).join(', ');
          const topJa = d.largest.slice(0, 3).map((x) => `${x.path}（${formatBytes(x.bytes)}）`).join('、');
          return top
            ? said(`${path} holds ${formatBytes(d.totalBytes)}; the largest: ${top}.`, `${path} の使用量は ${formatBytes(d.totalBytes)} で、大きいものは ${topJa} です。`)
            : said(`${path} holds ${formatBytes(d.totalBytes)}.`, `${path} の使用量は ${formatBytes(d.totalBytes)} です。`);
        },
      );
      if (du?.largest[0]) notes.push(`${path}: largest ${du.largest[0].path} (${formatBytes(du.largest[0].bytes)})`);
      for (const d of du?.largest.slice(0, 3) ?? []) (biggest.push(`${d.path} (${formatBytes(d.bytes)})`), biggestJa.push(`${d.path}（${formatBytes(d.bytes)}）`));
      const del = await f.look(
        'deleted-open',
        () => inspectDeletedOpenFiles(ctx.executor, { under: path === '/' ? undefined : path, top: 10 }),
        (d) => ({ path, totalBytes: d.totalBytes, files: d.files }),
        (d) =>
          d.totalBytes > 0
            ? said(`${formatBytes(d.totalBytes)} under ${path} is held by deleted files that a program still keeps open.`, `${path} では、削除済みのファイル ${formatBytes(d.totalBytes)} 分をプログラムが開いたままにしています。`)
            : said(`No deleted files are held open under ${path}.`, `${path} に、削除済みで開かれたままのファイルはありません。`),
      );
      if (del && del.totalBytes > 0) {
        const first = del.files[0]!;
        const who = `${first.process ?? 'pid'} ${first.pid}`;
        held.push(`${formatBytes(del.totalBytes)} under ${path} is held by deleted files still open (largest ${first.path}, by ${who})`);
        heldSay.push(said(`${formatBytes(del.totalBytes)} under ${path} is held by deleted files still open (largest ${first.path}, by ${who})`, `${path} の ${formatBytes(del.totalBytes)} は、削除済みのファイルをプログラム「${who}」が開いたままにしているものです（最大は ${first.path}）`));
      }
      if (fromAlert.inodes) {
        await f.look(
          'inodes',
          () => inspectInodeHogs(ctx.executor, { path, top: 10 }),
          (h) => ({ path, hogs: h.hogs }),
          (h) => {
            const top = h.hogs.slice(0, 3).map((x) => `${x.path} (${x.entries})`).join(', ');
            const topJa = h.hogs.slice(0, 3).map((x) => `${x.path}（${x.entries} 件）`).join('、');
            return top ? said(`The directories with the most entries under ${path}: ${top}.`, `${path} でファイル数の多いディレクトリ: ${topJa}。`) : said(`No directory under ${path} stands out by its number of entries.`, `${path} にファイル数の目立って多いディレクトリはありません。`);
          },
        );
      }
    }
    const pathList = paths.join(', ');
    const verdict = `disk ${pathList} on ${where}: ${[...notes, ...held].join('; ') || 'no usage could be read'}`;
    const needed = `A filesystem on ${where} is nearly full (${pathList}). ${notes.length ? `The most space is in ${notes.join('; ')}. ` : ''}${held.length ? `${held.join('; ')}: restarting that program frees it. ` : ''}Please decide what can be deleted or moved, or whether the disk should grow.`;
    return {
      verdict,
      verdictSay: said(
        `The disk on ${where} (${pathList}) is nearly full.${biggest.length ? ` The biggest directories: ${biggest.join(', ')}.` : ' mamoru could not read where the space went.'}${held.length ? ` ${heldSay.map((x) => x.en).join('; ')}.` : ''}`,
        `${where} のディスク（${paths.join('、')}）の空きが少なくなっています。${biggestJa.length ? `大きいディレクトリ: ${biggestJa.join('、')}。` : '容量の内訳は確認できませんでした。'}${held.length ? `${heldSay.map((x) => x.ja).join('。')}。` : ''}`,
      ),
      evidence: f.items,
      proposed: [],
      neededFromClient: needed,
      neededSay: said(
        `The disk on ${where} (${pathList}) is nearly full.${biggest.length ? ` The biggest directories: ${biggest.join(', ')}.` : ''}${held.length ? ` ${heldSay.map((x) => x.en).join('; ')}: restarting that program frees it.` : ''} Please decide what can be deleted or moved, or whether the disk should grow.`,
        `${where} のディスク（${paths.join('、')}）の空きが少なくなっています。${biggestJa.length ? `大きいディレクトリ: ${biggestJa.join('、')}。` : ''}${held.length ? `${heldSay.map((x) => x.ja).join('。')}。そのプログラムを再起動すると空きが戻ります。` : ''}削除または移動してよいデータをご判断いただくか、ディスクの増設をご検討ください。`,
      ),
    };
  },
});
