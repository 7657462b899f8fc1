/**
 * Targets reached over SSH (src/executors/ssh.ts): the private key file there, readable by the
 * daemon's user, its alone (mode 0600 or stricter, as OpenSSH demands) and a key ssh2 can load;
 * known_hosts naming the server; then one login through the executor itself, running `true`,
 * so the host key is verified and the key is accepted exactly as the runbooks will need.
 */
import { statSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { silentLogger } from '../core/log.ts';
import { secretsFrom, type SecretSource } from '../core/secrets.ts';
import { executors } from '../executors/index.ts';
import { lookupName, parseKnownHosts, preferredAlgorithms } from '../executors/ssh-known-hosts.ts';
import { ExecutorError, type ExecutorErrorKind } from '../executors/types.ts';
import type { SshOptions } from '../executors/ssh.ts';
import type { CheckGroup, DoctorContext, Finding } from './types.ts';
import { expandHome, mayAccess, whom } from './types.ts';

const group = 'ssh';

interface Ssh2Utils {
  utils: { parseKey(data: Buffer, passphrase?: string): unknown };
}

/** What to do after a failed login, by the executor's kind of error (its message says what happened). */
const LOGIN_FIX: Partial<Record<ExecutorErrorKind, (o: SshOptions, key: string | undefined) => string>> = {
  connect: (o) => `is sshd running on ${o.host} port ${o.port}, and may this machine reach it?`,
  auth: (o, key) => `add ${key ? `${key}.pub` : "the agent's public key"} to ~${o.user}/.ssh/authorized_keys on ${o.host} (ssh-copy-id${key ? ` -i ${key}` : ''}${o.port === 22 ? '' : ` -p ${o.port}`} ${o.user}@${o.host})`,
  'host-key-unknown': (o) => `check the server's fingerprint out of band, then add it: ssh-keyscan${o.port === 22 ? '' : ` -p ${o.port}`} ${o.host} >> ${o.known_hosts_file}`,
  'host-key-mismatch': (o) => `find out why ${o.host}'s key changed before anything else; if it was reinstalled, replace its line in ${o.known_hosts_file}`,
  'host-key-revoked': (o) => `the key is marked @revoked in ${o.known_hosts_file}: find out why before trusting ${o.host}`,
};

function keyProblems(ctx: DoctorContext, name: string, o: SshOptions, file: string, passphrase: () => string | undefined): Finding | undefined {
  const u = ctx.user?.name ?? 'mamoru';
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    return {
      group,
      mark: 'fail',
      text: `${name}: private_key_file ${file} is missing (${(e as NodeJS.ErrnoException).code})`,
      fix: `make a key: ssh-keygen -t ed25519 -N '' -f ${file}; chown ${u}: ${file}; then ssh-copy-id -i ${file}${o.port === 22 ? '' : ` -p ${o.port}`} ${o.user}@${o.host}`,
    };
  }
  if ((st.mode & 0o077) !== 0) return { group, mark: 'fail', text: `${name}: private_key_file ${file} has mode ${(st.mode & 0o777).toString(8)}, readable by others`, fix: `chmod 600 ${file}` };
  const uid = ctx.user?.uid ?? process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return { group, mark: 'fail', text: `${name}: private_key_file ${file} belongs to uid ${st.uid}, not ${whom(ctx)}`, fix: `chown ${u}: ${file}` };
  try {
    const { utils } = createRequire(import.meta.url)('ssh2') as Ssh2Utils;
    const parsed = utils.parseKey(readFileSync(file), passphrase());
    if (parsed instanceof Error) return { group, mark: 'fail', text: `${name}: private_key_file ${file} cannot be loaded: ${parsed.message}`, fix: o.passphrase_secret ? `check the passphrase in secret ${o.passphrase_secret}` : 'give its passphrase with passphrase_secret, or use a key without one (ssh-keygen -p)' };
  } catch (e) {
    return { group, mark: 'fail', text: `${name}: private_key_file ${file} cannot be read: ${(e as Error).message}`, fix: `chown ${u}: ${file}; chmod 600 ${file}` };
  }
  return undefined;
}

function knownHostsProblem(name: string, o: SshOptions, file: string): Finding | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { group, mark: 'fail', text: `${name}: known_hosts_file ${file} cannot be read (${(e as NodeJS.ErrnoException).code})`, fix: `check ${o.host}'s fingerprint out of band, then: ssh-keyscan${o.port === 22 ? '' : ` -p ${o.port}`} ${o.host} >> ${file}` };
  }
  if (preferredAlgorithms(parseKnownHosts(text), o.host, o.port).length === 0)
    return { group, mark: 'fail', text: `${name}: ${file} has no host key for ${lookupName(o.host, o.port)}`, fix: `check ${o.host}'s fingerprint out of band, then: ssh-keyscan${o.port === 22 ? '' : ` -p ${o.port}`} ${o.host} >> ${file}` };
  return undefined;
}

async function checkTarget(ctx: DoctorContext, name: string, raw: SshOptions): Promise<Finding[]> {
  const home = homedir();
  const o: SshOptions = { ...raw, known_hosts_file: expandHome(raw.known_hosts_file, ctx, home), ...(raw.private_key_file ? { private_key_file: expandHome(raw.private_key_file, ctx, home) } : {}) };
  const secret = secretsFrom(ctx.cfg.secrets as Record<string, SecretSource>);
  const passphrase = () => {
    try {
      return o.passphrase_secret ? secret(o.passphrase_secret) : undefined;
    } catch {
      return undefined;
    }
  };
  const out: Finding[] = [];
  if (o.private_key_file) {
    const bad = keyProblems(ctx, name, o, o.private_key_file, passphrase);
    if (bad) out.push(bad);
    else if (ctx.user && !(await mayAccess(ctx, o.private_key_file, 'r')))
      out.push({ group, mark: 'fail', text: `${name}: private_key_file ${o.private_key_file} is not readable by ${whom(ctx)}`, fix: `chown ${ctx.user.name}: ${o.private_key_file}; and let ${ctx.user.name} enter its directory` });
    else out.push({ group, mark: 'ok', text: `${name}: private_key_file ${o.private_key_file} is readable by ${whom(ctx)}, mode 0600 or stricter` });
  }
  const known = knownHostsProblem(name, o, o.known_hosts_file);
  out.push(known ?? { group, mark: 'ok', text: `${name}: ${o.known_hosts_file} has a host key for ${lookupName(o.host, o.port)}` });
  if (out.some((f) => f.mark === 'fail')) return out;
  const exec = executors.ssh.create({ ...o, connect_timeout: Math.min(o.connect_timeout, ctx.timeoutMs) }, { secret, log: silentLogger });
  try {
    const r = await exec.run(['true'], { timeoutMs: ctx.timeoutMs });
    if (r.code === 0) out.push({ group, mark: 'ok', text: `${name}: logged in as ${o.user}@${o.host}:${o.port}; the host key matches ${o.known_hosts_file}` });
    else out.push({ group, mark: 'fail', text: `${name}: logged in as ${o.user}@${o.host}:${o.port}, but \`true\` did not succeed (exit ${String(r.code)})`, fix: `check ${o.user}'s shell on ${o.host}` });
  } catch (e) {
    const kind = e instanceof ExecutorError ? e.kind : undefined;
    const fix = kind ? LOGIN_FIX[kind]?.(o, o.private_key_file) : undefined;
    out.push({ group, mark: 'fail', text: `${name}: ${(e as Error).message}`, fix: fix ?? 'see the message above' });
  } finally {
    await exec.close();
  }
  return out;
}

export const sshChecks: CheckGroup = async (ctx) => {
  const out: Finding[] = [];
  for (const t of ctx.cfg.targets) {
    const ex = t.executor as ({ type: string } & Record<string, unknown>) | undefined;
    if (ex?.type === 'ssh') out.push(...(await checkTarget(ctx, `target ${t.name}`, ex as unknown as SshOptions)));
  }
  if (out.length === 0) out.push({ group, mark: 'ok', text: 'no target is reached over SSH' });
  return out;
};
