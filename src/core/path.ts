/**
 * The one test every path passes before it can reach a command on a server (config options,
 * paths taken from alerts, paths a server names): absolute and already normal, so it can neither
 * read as an option (`-delete`) nor climb out of where it points.
 */
import { posix } from 'node:path';

/** Why `path` is not a plain absolute path, or undefined when it is one. */
export function plainAbsolutePath(path: string): string | undefined {
  if (!path.startsWith('/')) return 'is not an absolute path';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'holds a control character';
  if (path.split('/').includes('..')) return 'climbs with ".."';
  if (path !== '/' && (path.endsWith('/') || posix.normalize(path) !== path)) return 'is not a plain path (no ".", "//" or trailing "/")';
  return undefined;
}

/** `path` without trailing slashes (`/` stays `/`), in one pass: `/\/+$/` is quadratic on a long run of slashes. */
export function trimTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47) end--;
  return path.slice(0, end);
}
