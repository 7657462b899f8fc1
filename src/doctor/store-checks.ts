/**
 * Store: the SQLite file's directory takes a write (a test file created and removed there, or,
 * for another user, `test -w` as that user), and the database file, when there, is readable and
 * writable. A relative path is read from the current directory, as `mamoru start` would here;
 * the service runs in /var/lib/mamoru.
 */
import { closeSync, existsSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CheckGroup, Finding } from './types.ts';
import { mayAccess, whom } from './types.ts';

const group = 'store';

/** The nearest directory on the way to `dir` that exists (the store creates the rest). */
function existingAncestor(dir: string): string {
  let d = dir;
  while (!existsSync(d) && d !== dirname(d)) d = dirname(d);
  return d;
}

async function writable(ctx: Parameters<CheckGroup>[0], dir: string): Promise<string | undefined> {
  if (ctx.user) return (await mayAccess(ctx, dir, 'w')) ? undefined : '';
  const probe = resolve(dir, `.mamoru-doctor-${process.pid}`);
  try {
    const fd = openSync(probe, 'wx', 0o600);
    try {
      writeSync(fd, 'mamoru doctor\n');
    } finally {
      closeSync(fd);
    }
    unlinkSync(probe);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

export const storeChecks: CheckGroup = async (ctx) => {
  const store = ctx.cfg.store as Record<string, unknown>;
  const path = store['path'];
  if (typeof path !== 'string') return [{ group, mark: 'warn', text: `store type ${String(store['type'])}: not checked (doctor checks SQLite files)` }];
  if (path === ':memory:') return [{ group, mark: 'warn', text: 'store.path is ":memory:": nothing is kept across a restart', fix: 'set store.path to a file, e.g. /var/lib/mamoru/mamoru.db' }];
  const file = resolve(path);
  const dir = dirname(file);
  const out: Finding[] = [];
  const target = existsSync(dir) ? dir : existingAncestor(dir);
  const why = await writable(ctx, target);
  const who = whom(ctx);
  if (why !== undefined) {
    out.push({
      group,
      mark: 'fail',
      text: `store ${file}: ${target} is not writable by ${who}${why ? ` (${why})` : ''}`,
      fix: `create ${dir} and give ${ctx.user ? `user ${ctx.user.name}` : 'the user mamoru runs as'} write access (e.g. chown ${ctx.user?.name ?? 'mamoru'}: ${dir}; the service's state directory /var/lib/mamoru is made so), or set store.path to a file in a writable directory`,
    });
    return out;
  }
  if (existsSync(file) && !((await mayAccess(ctx, file, 'r')) && (await mayAccess(ctx, file, 'w'))))
    out.push({ group, mark: 'fail', text: `store ${file}: the database file is not readable and writable by ${who}`, fix: `chown ${ctx.user?.name ?? 'mamoru'}: ${file} (and its -wal and -shm files), or set store.path to another file` });
  else out.push({ group, mark: 'ok', text: `store ${file}: ${target === dir ? dir : `${target} (where ${dir} will be made)`} is writable by ${who}${ctx.user ? '' : '; wrote and removed a test file there'}` });
  return out;
};
