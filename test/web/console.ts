/**
 * A real daemon for the web tests: a temp config and SQLite file, two targets (one tagged for a
 * scoped viewer), the admin from MAMORU_ADMIN_PASSWORD, and helpers that log in and make tokens
 * through the console's own API, as a person would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../src/daemon.ts';
import { createLogger, type Logger } from '../../src/core/log.ts';

export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface Session {
  cookie: string;
  csrf: string;
}

export interface Console {
  daemon: Daemon;
  url: string;
  /** host:port as the client addresses it. */
  host: string;
  dir: string;
  /** Another listening TCP port (the checks' "up" peer). */
  upPort: number;
  stop(): Promise<void>;
}

/** Starts mamoru on a temp config; `extraConfig` is appended (YAML at the top level). */
export async function startConsole(opts: { extraConfig?: string; web?: string; env?: Record<string, string>; log?: Logger } = {}): Promise<Console> {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-web-'));
  const peer = net.createServer((s) => {
    s.on('error', () => {});
    s.end();
  });
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  const upPort = (peer.address() as AddressInfo).port;
  const cfg = join(dir, 'mamoru.yaml');
  writeFileSync(
    cfg,
    `defaults: { interval: 60s, timeout: 2s }
store: { type: sqlite, path: ${join(dir, 'data', 'mamoru.db')} }
web: { port: 0${opts.web ? `, ${opts.web}` : ''} }
log: { level: warn }
targets:
  - name: alpha
    address: 127.0.0.1
    tags: [client-a]
    checks:
      - { type: tcp, name: up, port: ${upPort} }
  - name: beta
    address: 127.0.0.1
    tags: [client-b]
    checks:
      - { type: tcp, name: up, port: ${upPort} }
${opts.extraConfig ?? ''}`,
  );
  process.env.MAMORU_ADMIN_PASSWORD = ADMIN_PASSWORD;
  for (const [k, v] of Object.entries(opts.env ?? {})) process.env[k] = v;
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({ configFile: cfg, webPort: 0, log: opts.log ?? createLogger('silent') });
  } catch (e) {
    peer.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const url = daemon.webUrl!;
  return {
    daemon,
    url,
    host: new URL(url).host,
    dir,
    upPort,
    stop: async () => {
      await daemon.stop();
      peer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Logs in with JSON; returns the cookie and the CSRF token. */
export async function login(url: string, name: string, password: string): Promise<Session> {
  const r = await fetch(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }), redirect: 'manual' });
  if (r.status !== 200) throw new Error(`login as ${name}: ${r.status} ${await r.text()}`);
  const set = r.headers.get('set-cookie') ?? '';
  const cookie = /mamoru_session=([^;]+)/.exec(set)?.[1];
  if (!cookie) throw new Error(`login as ${name}: no session cookie in ${set}`);
  const body = (await r.json()) as { csrf: string };
  return { cookie: `mamoru_session=${cookie}`, csrf: body.csrf };
}

/** A JSON request with a session (cookie and CSRF header). */
export function withSession(s: Session, init: RequestInit & { json?: unknown } = {}): RequestInit {
  const { json, ...rest } = init;
  return { ...rest, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...(rest.headers as Record<string, string>) }, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) };
}

/** Creates a user and a token for them through the API (as the admin session). */
export async function makeToken(url: string, admin: Session, t: { name: string; role: string; scope?: { targets: string[]; tags: string[] } | null; user?: string }): Promise<string> {
  const r = await fetch(`${url}/api/v1/tokens`, withSession(admin, { method: 'POST', json: t }));
  if (r.status !== 201) throw new Error(`token ${t.name}: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { token: string }).token;
}

export async function makeUser(url: string, admin: Session, u: { name: string; role: string; password: string; scope?: { targets: string[]; tags: string[] } | null }): Promise<void> {
  const r = await fetch(`${url}/api/v1/users`, withSession(admin, { method: 'POST', json: u }));
  if (r.status !== 201) throw new Error(`user ${u.name}: ${r.status} ${await r.text()}`);
}
