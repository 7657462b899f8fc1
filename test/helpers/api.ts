/**
 * Talking to a test's daemon through its API as a person with a role would: a token made by the
 * daemon's own auth service (as `mamoru tokens create` makes one), sent as a bearer token.
 */
import type { Daemon } from '../../src/daemon.ts';
import type { Role } from '../../src/auth/types.ts';

let made = 0;

/** A fetch that brings a fresh token of this role (admin by default) to the daemon's web address. */
export async function apiAs(daemon: Daemon, role: Role = 'admin'): Promise<(path: string, init?: RequestInit) => Promise<Response>> {
  const { token } = await daemon.auth.createToken({ system: true }, { name: `test-${role}-${process.pid}-${++made}`, role });
  return (path, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
    return fetch(new URL(path, daemon.webUrl!), { ...init, headers });
  };
}

/** GET a JSON document as an admin; throws with the answer when it is not 2xx. */
export async function getJsonAs<T = any>(api: (path: string, init?: RequestInit) => Promise<Response>, path: string): Promise<T> {
  const r = await api(path);
  if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}
