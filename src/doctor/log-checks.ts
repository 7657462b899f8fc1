/**
 * The guard's sources: every file a jail follows (its paths and globs expanded the way the file
 * source expands them) readable by the user the daemon runs as, and the journal readable through
 * journalctl for journald sources. A named file that is not there yet is worth a look (the source
 * waits for it); one that cannot be read is a failure with the command that fixes it.
 */
import { statSync } from 'node:fs';
import { expandPatterns } from '../guard/sources/file-glob.ts';
import type { CheckGroup, DoctorContext, Finding } from './types.ts';
import { asUser, firstLine, mayAccess, runArgv, whom } from './types.ts';

const group = 'logs';
const GLOB = /[*?[]/;

/** Owner, group and mode as `ls -l` would name them (names from getent, else the numbers). */
async function ownership(ctx: DoctorContext, path: string): Promise<{ text: string; group: string; groupReads: boolean } | undefined> {
  let st;
  try {
    st = statSync(path);
  } catch {
    return undefined;
  }
  const name = async (db: 'passwd' | 'group', id: number) => {
    const r = await runArgv(['getent', db, String(id)], ctx.timeoutMs);
    return r.code === 0 ? (r.stdout.split(':')[0] ?? String(id)) : String(id);
  };
  const owner = await name('passwd', st.uid);
  const group = await name('group', st.gid);
  return { text: `${owner}:${group} ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`, group, groupReads: (st.mode & 0o040) !== 0 };
}

function readFix(ctx: DoctorContext, path: string, own: { group: string; groupReads: boolean } | undefined): string {
  const u = ctx.user?.name ?? 'mamoru';
  const cap = '; or run it as the service: `mamoru install-service` (again, once this config is in place) grants CAP_DAC_READ_SEARCH for logs only root can read';
  if (own?.groupReads) return `add user ${u} to group ${own.group}, which may read it: usermod -aG ${own.group} ${u}${cap}`;
  return `let group adm read it, as Debian's logs are (chgrp adm ${path}; chmod 640 ${path}; and the same in the daemon's or logrotate's "create" setting), then usermod -aG adm ${u}${cap}`;
}

async function fileSource(ctx: DoctorContext, jail: string, paths: string[]): Promise<Finding[]> {
  const out: Finding[] = [];
  const found = await expandPatterns(paths);
  for (const p of paths) {
    const matched = found.files.filter((f) => (GLOB.test(p) ? true : f.path === p));
    if (!GLOB.test(p) && matched.length === 0 && !found.skipped.some((s) => s.path === p))
      out.push({ group, mark: 'warn', text: `jail ${jail}: ${p} does not exist (yet); the jail starts reading it when it appears`, fix: `check the path: is this where the daemon writes its log?` });
    if (GLOB.test(p) && found.files.length === 0) out.push({ group, mark: 'warn', text: `jail ${jail}: nothing matches ${p} yet`, fix: 'check the pattern against the log directory' });
  }
  for (const s of found.skipped) out.push({ group, mark: 'warn', text: `jail ${jail}: ${s.path} is not followed: ${s.why}` });
  for (const f of found.files) {
    if (await mayAccess(ctx, f.path, 'r')) out.push({ group, mark: 'ok', text: `jail ${jail}: ${f.path} is readable by ${whom(ctx)}` });
    else {
      const own = await ownership(ctx, f.path);
      out.push({ group, mark: 'fail', text: `jail ${jail}: ${f.path} is not readable by ${whom(ctx)}${own ? ` (${own.text})` : ''}`, fix: readFix(ctx, f.path, own) });
    }
  }
  return out;
}

async function journalSource(ctx: DoctorContext, jail: string, src: Record<string, unknown>): Promise<Finding> {
  const journalctl = typeof src['journalctl'] === 'string' ? src['journalctl'] : 'journalctl';
  const dir = typeof src['directory'] === 'string' ? ['--directory', src['directory']] : [];
  const argv = [...asUser(ctx.user), journalctl, ...dir, '--lines=1', '--quiet', '--no-pager', '--output=cat'];
  const r = await runArgv(argv, ctx.timeoutMs);
  if (r.error === 'ENOENT') return { group, mark: 'fail', text: `jail ${jail}: ${journalctl} is not installed`, fix: 'apt-get install systemd, or set the source\'s journalctl to its path' };
  if (r.code !== 0)
    return { group, mark: 'fail', text: `jail ${jail}: ${whom(ctx)} cannot read the journal${dir.length ? ` in ${dir[1]}` : ''}: ${firstLine(r)}`, fix: `add the user to group systemd-journal (usermod -aG systemd-journal ${ctx.user?.name ?? 'mamoru'}); the unit of \`mamoru install-service\` does so for journald sources` };
  return { group, mark: 'ok', text: `jail ${jail}: the journal${dir.length ? ` in ${dir[1]}` : ''} is readable by ${whom(ctx)} (${journalctl})` };
}

export const logChecks: CheckGroup = async (ctx) => {
  const out: Finding[] = [];
  for (const jail of ctx.cfg.guard.jails)
    for (const src of jail.sources as Record<string, unknown>[]) {
      if (Array.isArray(src['paths'])) out.push(...(await fileSource(ctx, jail.name, src['paths'] as string[])));
      else out.push(await journalSource(ctx, jail.name, src));
    }
  if (out.length === 0) out.push({ group, mark: 'ok', text: 'no guard jails: no logs to read' });
  return out;
};
