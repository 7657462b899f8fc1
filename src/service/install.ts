/**
 * Installing the unit: the text for this machine (this node, this package's bin, the config's
 * needs), written only where no different unit is (or with force), and the system user created
 * when asked. Every command is an argv array with a timeout.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../config/load.ts';
import { UsageError } from '../core/errors.ts';
import { PATHS, serviceNeeds } from './needs.ts';
import { unitText } from './unit.ts';
import { HELPER_SOCKET, helperUnitText } from './helper-unit.ts';

/** The bin/mamoru.js of this installation (src/service and dist/service are both two levels down). */
export const INSTALLED_BIN = fileURLToPath(new URL('../../bin/mamoru.js', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;

export interface InstallOptions {
  configFile: string;
  user: string;
  unitDir: string;
}

/**
 * The unit for this machine, the root helper's when the config has services on a local target,
 * and a note when the config it will run is not there yet (or does not use the helper).
 */
export function buildUnit(o: InstallOptions): { text: string; helper?: string; note?: string } {
  if (!USER.test(o.user)) throw new UsageError(`--user "${o.user.slice(0, 40)}": expected a user name like "mamoru" (lower case letters, digits, "_" and "-")`);
  const present = existsSync(o.configFile);
  // A config that does not validate is refused here, as the service would refuse to start with it.
  const cfg = present ? loadConfigFile(o.configFile).config : undefined;
  const needs = serviceNeeds(cfg);
  const text = unitText({ node: process.execPath, bin: INSTALLED_BIN, configFile: o.configFile, user: o.user, version: pkg.version, needs });
  if (needs.local.length > 0) {
    const helper = helperUnitText({ node: process.execPath, bin: INSTALLED_BIN, configFile: o.configFile, user: o.user, version: pkg.version, local: needs.local });
    const unhelped = cfg!.targets.filter((t) => (t.executor as { type?: string } | undefined)?.type === 'local' && t.services.length > 0 && (t.executor as { helper?: string }).helper === undefined).map((t) => t.name);
    const note = unhelped.length > 0 ? `the local services of ${unhelped.join(', ')} need root to be started: add \`helper: ${HELPER_SOCKET}\` to their executor, so the daemon asks mamoru-helper.service` : undefined;
    return note ? { text, helper, note } : { text, helper };
  }
  return present ? { text } : { text, note: `${o.configFile} is not there yet: the unit grants no extra rights for logs; write the config, check it with \`mamoru doctor -c ${o.configFile}\`, then run install-service again` };
}

/** Writes the unit; refuses to replace a different one unless forced. Returns the path and whether it changed. */
export function writeUnit(dir: string, text: string, force: boolean, name = 'mamoru.service'): { path: string; changed: boolean } {
  const path = join(dir, name);
  let old: string | undefined;
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    /* none yet */
  }
  if (old === text) return { path, changed: false };
  if (old !== undefined && !force) throw new UsageError(`${path} exists and differs from the unit mamoru would write; compare it with \`mamoru install-service --print\`, then run again with --force to replace it`);
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o644, flag: 'wx' });
  renameSync(tmp, path);
  return { path, changed: true };
}

function run(argv: string[], timeoutMs = 10_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs }, (err, _stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stderr: String(stderr) });
    });
  });
}

/** Creates the system user (home: the state directory, no login shell) unless it exists. */
export async function createSystemUser(user: string): Promise<'exists' | 'created'> {
  if ((await run(['getent', 'passwd', user])).code === 0) return 'exists';
  const r = await run(['useradd', '--system', '--user-group', '--home-dir', PATHS.stateDir, '--no-create-home', '--shell', '/usr/sbin/nologin', '--comment', 'mamoru daemon', user]);
  if (r.code !== 0) throw new UsageError(`useradd could not create user ${user}: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`} (run as root)`);
  return 'created';
}
