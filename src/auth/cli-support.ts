/**
 * What the account commands (`mamoru users`, `tokens`, `audit`) share: the AuthService over the
 * store the config names (opened directly, no daemon needed; safe beside a running one), a
 * password asked without echo, and plain tables whose cells cannot carry terminal escapes.
 */
import type { Config } from '../config/schema.ts';
import { systemClock } from '../core/clock.ts';
import { UsageError } from '../core/errors.ts';
import { createLogger } from '../core/log.ts';
import { secretsFrom } from '../core/secrets.ts';
import { stores } from '../store/index.ts';
import { createAuthService } from './service.ts';
import type { AuthService, Scope } from './types.ts';

/** Opens the store, runs `fn` with an AuthService on it, closes the store. No auth log (no logins here). */
export async function withAuthService<T>(config: Config, fn: (auth: AuthService) => Promise<T>): Promise<T> {
  const log = createLogger('warn');
  const store = await stores[config.store.type as keyof typeof stores].create(config.store as never, { log, secret: secretsFrom(config.secrets) });
  try {
    return await fn(createAuthService({ store, clock: systemClock, log, config: { ...config.auth, log_file: '' } }));
  } finally {
    await store.close();
  }
}

/** `--targets a,b --tags x,y` as a Scope; neither given is no scope (undefined). */
export function scopeFromOptions(opts: { targets?: string; tags?: string }): Scope | undefined {
  if (opts.targets === undefined && opts.tags === undefined) return undefined;
  const list = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  return { targets: list(opts.targets), tags: list(opts.tags) };
}

export function describeScope(scope: Scope): string {
  if (scope === null) return 'everything';
  const parts = [scope.targets.length ? `targets ${scope.targets.join(',')}` : '', scope.tags.length ? `tags ${scope.tags.join(',')}` : ''].filter(Boolean);
  return parts.length ? parts.join('; ') : 'nothing';
}

export const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

/** Control characters (escapes, newlines) shown as `?`: a stored name must not drive the terminal. */
const cell = (s: string) => s.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, '?');

/** Columns padded to their widest cell; the last column is not padded. */
export function table(head: string[], rows: string[][]): string {
  const all = [head, ...rows].map((r) => r.map(cell));
  const widths = head.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('  ').trimEnd()).join('\n') + '\n';
}

const MAX_PASSWORD_INPUT = 4096;

async function readStdinLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += chunk.toString('utf8');
    if (text.length > MAX_PASSWORD_INPUT) throw new UsageError(`--password-stdin: more than ${MAX_PASSWORD_INPUT} characters on standard input; give the password alone on one line`);
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/** Reads a line from the terminal without echoing it. */
function askHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return (done(), resolve(buf));
        if (ch === '\u0003' || (ch === '\u0004' && buf === '')) return (done(), reject(new UsageError('no password given (cancelled)')));
        if (ch === '\u007f' || ch === '\b') buf = [...buf].slice(0, -1).join('');
        else if (buf.length < MAX_PASSWORD_INPUT) buf += ch;
      }
    };
    // Echo off before the prompt shows: what is typed after it must never appear.
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/**
 * A new password from `--password-stdin` (first line), else MAMORU_PASSWORD, else asked twice
 * on the terminal without echo. Anything else is a usage error saying which to use.
 */
export async function newPassword(opts: { passwordStdin?: boolean }, forWhom: string): Promise<string> {
  if (opts.passwordStdin) return readStdinLine();
  const env = process.env.MAMORU_PASSWORD;
  if (env) return env;
  if (!process.stdin.isTTY || !process.stderr.isTTY) throw new UsageError(`no password for ${forWhom}: give it on standard input with --password-stdin, set MAMORU_PASSWORD, or run this on a terminal to be asked`);
  const first = await askHidden(`new password for ${forWhom}: `);
  const again = await askHidden('the same again: ');
  if (first !== again) throw new UsageError('the two passwords differ; nothing was changed');
  return first;
}
