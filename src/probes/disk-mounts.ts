/**
 * The mount table as the disk probe sees it: /proc/self/mountinfo parsed, and the default list of
 * "real local" filesystems chosen from it the way df and check_disk's defaults do.
 */
import { readFile } from 'node:fs/promises';

export interface Mount {
  /** `major:minor`: bind mounts and the same device mounted twice share it. */
  device: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

/**
 * Filesystems that are not storage: kernel interfaces and the like, always 0 used or meaningless.
 * tmpfs stays in: /run or /dev/shm filling up breaks services like a full disk does.
 * devtmpfs is left out (device nodes, never filled by data).
 */
const pseudo = new Set([
  'proc', 'sysfs', 'cgroup', 'cgroup2', 'devpts', 'devtmpfs', 'mqueue', 'debugfs', 'tracefs', 'securityfs',
  'pstore', 'bpf', 'configfs', 'fusectl', 'autofs', 'binfmt_misc', 'hugetlbfs', 'rpc_pipefs', 'nsfs',
  'efivarfs', 'selinuxfs', 'ramfs', 'none', 'ignore', 'fuse.gvfsd-fuse', 'fuse.portal', 'fuse.lxcfs',
  'nfsd',
  // Read-only images are always 100% full: a snap or a mounted CD is not a disk filling up.
  'squashfs', 'iso9660', 'udf',
]);

/** Network filesystems: check_disk -l leaves them out, and a dead server must not hang a local check. */
const remote = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'ncpfs', 'afs', 'coda', 'ceph', 'glusterfs', 'fuse.glusterfs', 'fuse.sshfs', 'sshfs', 'fuse.s3fs', 'lustre', 'gfs2', 'ocfs2', '9p', 'davfs', 'fuse.davfs']);

// mountinfo escapes space, tab, newline and backslash as octal.
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parses /proc/self/mountinfo text. */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (sep === -1 || fields.length < sep + 3) continue;
    mounts.push({ device: fields[2]!, mountPoint: unescape(fields[4]!), fsType: fields[sep + 1]!, source: unescape(fields[sep + 2]!) });
  }
  return mounts;
}

export async function readMounts(): Promise<Mount[]> {
  return parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/**
 * Every real local filesystem once: pseudo and remote types and `exclude` left out, a device
 * mounted at several places (bind mounts) reported at the first, as df does, and each mount point once.
 */
export function defaultMounts(mounts: Mount[], exclude: readonly string[]): Mount[] {
  const skip = new Set(exclude);
  const seen = new Set<string>();
  const out: Mount[] = [];
  for (const m of mounts) {
    if (pseudo.has(m.fsType) || remote.has(m.fsType) || skip.has(m.fsType)) continue;
    // Whatever backs them (a tmpfs holding cgroup mounts, say), /sys and /proc are kernel interfaces.
    if (/^\/(sys|proc)(\/|$)/.test(m.mountPoint)) continue;
    // A mount stacked on another at the same place hides it: statfs sees only the top one.
    if (seen.has(m.device) || seen.has(m.mountPoint)) continue;
    seen.add(m.device).add(m.mountPoint);
    out.push(m);
  }
  return out;
}

/** The mount a path lives on: the longest mount point that contains it (the last mounted wins). */
export function mountOf(mounts: Mount[], path: string): Mount | undefined {
  let best: Mount | undefined;
  for (const m of mounts) {
    const mp = m.mountPoint;
    const inside = mp === '/' || path === mp || path.startsWith(mp.endsWith('/') ? mp : mp + '/');
    if (inside && (!best || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}
