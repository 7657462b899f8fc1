/**
 * What the auth room accepts from people: user and token names, passwords, roles, scopes and
 * expiry. Every refusal is a UsageError that says what is wrong and what would be right, so the
 * CLI prints it as it is and the web room can answer it as a 400.
 */
import { UsageError } from '../core/errors.ts';
import { MAX_PASSWORD_BYTES } from './password.ts';
import { ROLES, USER_ROLES, type Role, type Scope, type UserRecord } from './types.ts';

export const USER_NAME = /^[a-z][a-z0-9._-]{0,31}$/;
/** Token names may carry `@` and a host name (`cli@web1.example`). */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9@._:-]{0,63}$/;
export const MIN_PASSWORD = 12;
const MAX_SCOPE_ITEMS = 1000;
const SCOPE_ITEM = /^[^\s,\x00-\x1f\x7f]{1,253}$/;

/** A name as it may appear in a message: bounded and printable. */
export const shown = (s: string) => JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);

export function checkUserName(name: string): void {
  if (typeof name !== 'string' || !USER_NAME.test(name))
    throw new UsageError(`user name ${shown(String(name))} is not allowed: use 1 to 32 characters, a lowercase letter first, then lowercase letters, digits, ".", "_" or "-" (like "taro" or "ops.hanako")`);
}

export function checkTokenName(name: string): void {
  if (typeof name !== 'string' || !TOKEN_NAME.test(name))
    throw new UsageError(`token name ${shown(String(name))} is not allowed: use 1 to 64 characters, a letter or digit first, then letters, digits, "@", ".", "_", ":" or "-" (like "ci-ingest")`);
}

export function checkPassword(password: string): void {
  if (typeof password !== 'string' || [...password].length < MIN_PASSWORD) throw new UsageError(`the password is too short: use at least ${MIN_PASSWORD} characters (a few unrelated words are easy to remember)`);
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) throw new UsageError(`the password is too long: at most ${MAX_PASSWORD_BYTES} bytes`);
  if (/[\x00-\x1f\x7f]/.test(password)) throw new UsageError('the password contains a control character (a tab, newline or similar): use printable characters only');
}

export function checkUserRole(role: string): asserts role is UserRecord['role'] {
  if (!(USER_ROLES as readonly string[]).includes(role)) throw new UsageError(`role ${shown(String(role))} is not a user's role: use one of ${USER_ROLES.join(', ')}`);
}

export function checkRole(role: string): asserts role is Role {
  if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`role ${shown(String(role))} is unknown: use one of ${ROLES.join(', ')}`);
}

/** A scope as given (null or lists), checked and with duplicates removed. Admins see everything. */
export function checkScope(scope: Scope | undefined, role: Role): Scope {
  if (scope === undefined || scope === null) return null;
  if (role === 'admin') throw new UsageError('an admin sees everything: a scope (--targets, --tags) is only for viewers, operators and tokens with those roles');
  const list = (what: string, items: unknown): string[] => {
    if (!Array.isArray(items)) throw new UsageError(`the scope's ${what} must be a list of names`);
    if (items.length > MAX_SCOPE_ITEMS) throw new UsageError(`the scope names ${items.length} ${what}: at most ${MAX_SCOPE_ITEMS}`);
    for (const i of items) if (typeof i !== 'string' || !SCOPE_ITEM.test(i)) throw new UsageError(`${shown(String(i))} is not a ${what === 'targets' ? 'target' : 'tag'} name (no spaces, commas or control characters, at most 253 characters)`);
    return [...new Set(items as string[])];
  };
  return { targets: list('targets', scope.targets), tags: list('tags', scope.tags) };
}

/** Is scope `inner` no wider than `outer` (every target and tag it names, `outer` names too)? */
export function scopeWithin(inner: Scope, outer: Scope): boolean {
  if (outer === null) return true;
  if (inner === null) return false;
  return inner.targets.every((t) => outer.targets.includes(t)) && inner.tags.every((t) => outer.tags.includes(t));
}

/** Is this an IANA zone this Node.js knows (a user's console zone)? */
export function isTimeZone(zone: string): boolean {
  if (typeof zone !== 'string' || zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
