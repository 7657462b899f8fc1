/**
 * The auth room's one door (AuthService, types.ts) over the Store: logins with rate limits and
 * auth log lines, server-side sessions with idle and absolute expiry, API tokens, users and the
 * audit trail. Secrets (session ids, tokens) are random and only their sha256 is stored, so a
 * copy of the database lets no one in. Time comes from the injected Clock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Clock } from '../core/clock.ts';
import { UsageError } from '../core/errors.ts';
import type { Store } from '../store/types.ts';
import { authLogLine, quoteUser, type AuthLogEvent } from './auth-log.ts';
import { FailureWindow } from './limiter.ts';
import { openAuthLogFile, type AuthLogFile } from './log-file.ts';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './password.ts';
import { allows, type AuditBy, type AuditRecord, type AuthService, type LoginRefusal, type Principal, type Scope, type UserRecord } from './types.ts';
import { checkPassword, checkRole, checkScope, checkTokenName, checkUserName, checkUserRole, isTimeZone, scopeWithin, shown, USER_NAME } from './validate.ts';

export interface AuthServiceOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  /**
   * The parsed `auth:` section, with `log_file` already resolved (config/web.ts `authPaths`):
   * a path is written to, `""` or undefined writes no auth log.
   */
  config: Config['auth'];
  /** Also receives every auth log line (with its newline), e.g. for a test or a guard fed directly. */
  authLog?: (line: string) => void;
}

/** The service, plus what its owner needs at shutdown. */
export interface AuthServiceHandle extends AuthService {
  /** The auth log file, resolved, or undefined when none is written. */
  readonly logFile: string | undefined;
  /** Resolves when every auth log line so far is in the file. */
  flushLog(): Promise<void>;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
const TOKEN = /^mamoru_[A-Za-z0-9_-]{43}$/;
const TOKEN_TOUCH_MS = 60_000;
const SESSION_TOUCH_MS = 1_000;
/** Password hashes at once (each holds 32 MiB in the thread pool) and logins waiting for one. */
const HASHING = 2;
const HASH_QUEUE = 64;
const MAX_NAME_TYPED = 256;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const secret = () => randomBytes(32).toString('base64url');

/** The socket's address as lines and limits use it: `::ffff:192.0.2.1` is 192.0.2.1; anything odd is `-`. */
export function normaliseAddress(address: string | null | undefined): string {
  if (!address) return '-';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  const a = mapped ? mapped[1]! : address;
  return /^[0-9A-Fa-f:.]{2,45}$/.test(a) ? a : '-';
}

/** A few hashes at a time; past the queue, a login is refused at once (the thread pool is not ours alone). */
class Gate {
  private running = 0;
  private waiting: (() => void)[] = [];
  async run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if (this.running >= HASHING) {
      if (this.waiting.length >= HASH_QUEUE) return undefined;
      await new Promise<void>((r) => this.waiting.push(r));
    } else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

export function createAuthService(opts: AuthServiceOptions): AuthServiceHandle {
  const { store, clock, log, config } = opts;
  const file: AuthLogFile | undefined = config.log_file ? openAuthLogFile(config.log_file, log) : undefined;
  const byAddress = new FailureWindow(config.login_limit.per_address, config.login_limit.window);
  const byUser = new FailureWindow(config.login_limit.per_user, config.login_limit.window);
  const gate = new Gate();
  let overloadLoggedAt = -Infinity;
  // Made now, so the first unknown name does not pay for it (and show it in its timing).
  dummyHash().catch((e: Error) => log.error({ err: e.message }, 'cannot hash passwords'));

  const line = (event: AuthLogEvent, address: string, user: string) => {
    const text = authLogLine(clock.now(), process.pid, event, address, user);
    file?.write(text);
    try {
      opts.authLog?.(text);
    } catch (e) {
      log.error({ err: (e as Error).message }, 'auth log listener failed');
    }
  };

  const record = async (actor: string, address: string | null, action: string, subject: string, detail: string): Promise<void> => {
    try {
      await store.appendAudit({ at: clock.now(), actor, address, action: action.slice(0, 64), subject: subject.slice(0, 300), detail: detail.slice(0, 1000) });
    } catch (e) {
      log.error({ err: (e as Error).message, actor, action, subject }, 'could not write the audit trail');
    }
  };
  const audit = (by: AuditBy, action: string, subject: string, detail = ''): Promise<void> => {
    const actor = 'principal' in by ? by.principal.actor : 'cli' in by ? 'cli' : 'system';
    const address = 'principal' in by ? (by.address === null ? null : normaliseAddress(by.address)) : null;
    return record(actor, address, action, subject, detail);
  };
  /** A login attempt that did not get in: nobody is known yet, the name is only what was typed. */
  const refused = (address: string, typed: string, action: string, detail: string) => record('anonymous', address, action, `user:${quoteUser(typed).slice(1, -1)}`, detail);

  const sessionPrincipal = (user: UserRecord, idHash: string, csrf: string): Principal => ({
    kind: 'session',
    actor: `user:${user.name}`,
    name: user.name,
    role: user.role,
    scope: user.scope,
    userId: user.id,
    csrf,
    sessionHash: idHash,
    ...(user.lang ? { lang: user.lang } : {}),
    ...(user.zone ? { zone: user.zone } : {}),
  });

  const strip = <T extends { passwordHash?: string; hash?: string }>(r: T) => {
    const { passwordHash: _p, hash: _h, ...rest } = r;
    return rest;
  };

  const userNamed = async (name: string): Promise<UserRecord> => {
    const u = typeof name === 'string' && USER_NAME.test(name) ? await store.userByName(name) : undefined;
    if (!u) throw new UsageError(`no user named ${shown(String(name))}; "mamoru users list" shows them`);
    return u;
  };

  const service: AuthServiceHandle = {
    logFile: file?.path,
    flushLog: async () => file?.flush(),

    async login(name, password, rawAddress) {
      const address = normaliseAddress(rawAddress);
      const typed = String(name ?? '').slice(0, MAX_NAME_TYPED);
      const userKey = typed.slice(0, 64);
      const now = clock.now();
      const a = byAddress.check(address, now);
      const u = byUser.check(userKey, now);
      if (a.limited || u.limited) {
        line('refused', address, typed);
        await refused(address, typed, 'login-refused', `too many failed logins from ${a.limited ? 'this address' : 'anywhere for this user'}`);
        return { ok: false, reason: 'limited', retryAfterS: Math.max(a.retryAfterS, u.retryAfterS) } satisfies LoginRefusal;
      }
      // Counted as failed before the (slow) check and taken back if it succeeds: otherwise many
      // guesses sent at once would all pass the limit while the first ones are being hashed.
      byAddress.fail(address, now);
      byUser.fail(userKey, now);
      const checked = await gate.run(async () => {
        const user = USER_NAME.test(typed) ? await store.userByName(typed) : undefined;
        const ok = await verifyPassword(String(password ?? ''), user?.passwordHash ?? (await dummyHash()));
        return ok && user ? user : null;
      });
      if (checked === undefined) {
        // Too many logins being checked at once: nobody's fault in particular, so no auth log line.
        byAddress.undo(address, now);
        byUser.undo(userKey, now);
        if (clock.now() - overloadLoggedAt > 60_000) log.warn('logins refused: too many being checked at once');
        overloadLoggedAt = clock.now();
        return { ok: false, reason: 'limited', retryAfterS: 1 } satisfies LoginRefusal;
      }
      if (checked === null) {
        line('failed', address, typed);
        await refused(address, typed, 'login-failed', 'wrong name or password');
        return { ok: false, reason: 'invalid' } satisfies LoginRefusal;
      }
      byAddress.undo(address, now);
      const user = checked;
      byUser.forget(userKey);
      if (needsRehash(user.passwordHash)) await store.updateUser(user.id, { passwordHash: await hashPassword(String(password)) });
      const at = clock.now();
      const sessionId = secret();
      const idHash = sha256(sessionId);
      const csrf = secret();
      await store.createSession({ idHash, userId: user.id, csrf, createdAt: at, lastSeenAt: at, address });
      const principal = sessionPrincipal(user, idHash, csrf);
      line('ok', address, user.name);
      await audit({ principal, address }, 'login', `user:${user.name}`);
      await store.deleteExpiredSessions(at - config.session_idle, at - config.session_max).catch((e: Error) => log.warn({ err: e.message }, 'could not delete expired sessions'));
      return { ok: true, sessionId, principal };
    },

    async session(sessionId) {
      if (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId)) return undefined;
      const idHash = sha256(sessionId);
      const s = await store.session(idHash);
      if (!s) return undefined;
      const now = clock.now();
      const user = await store.userById(s.userId);
      if (!user || now - s.lastSeenAt >= config.session_idle || now - s.createdAt >= config.session_max) {
        await store.deleteSession(idHash);
        return undefined;
      }
      if (now - s.lastSeenAt >= SESSION_TOUCH_MS) await store.touchSession(idHash, now);
      return sessionPrincipal(user, idHash, s.csrf);
    },

    async logout(principal, address) {
      if (principal.kind !== 'session' || !principal.sessionHash) return;
      if (await store.deleteSession(principal.sessionHash)) await audit({ principal, address }, 'logout', principal.actor);
    },

    async token(bearer) {
      if (typeof bearer !== 'string' || !TOKEN.test(bearer)) return undefined;
      const t = await store.tokenByHash(sha256(bearer));
      const now = clock.now();
      if (!t || t.revokedAt !== null || (t.expiresAt !== null && now >= t.expiresAt)) return undefined;
      let name = t.name;
      let scope = t.scope;
      if (t.userId !== null) {
        const user = await store.userById(t.userId);
        // A user whose role or scope was narrowed since cannot be widened by an older token.
        if (!user || !allows(user.role, t.role)) return undefined;
        scope = t.scope ?? user.scope;
        if (!scopeWithin(scope, user.scope)) return undefined;
        name = user.name;
      }
      if (t.lastUsedAt === null || now - t.lastUsedAt >= TOKEN_TOUCH_MS) await store.touchToken(t.id, now).catch((e: Error) => log.warn({ err: e.message }, 'could not note a token\'s use'));
      return { kind: 'token', actor: `token:${t.name}`, name, role: t.role, scope, userId: t.userId, tokenId: t.id };
    },

    async addUser(by, u) {
      checkUserName(u.name);
      checkUserRole(u.role);
      const scope = checkScope(u.scope, u.role);
      checkPassword(u.password);
      const now = clock.now();
      const created = await store.createUser({ name: u.name, role: u.role, scope, passwordHash: await hashPassword(u.password), createdAt: now, passwordChangedAt: now });
      if (!created) throw new UsageError(`a user named ${shown(u.name)} exists already; "mamoru users passwd ${u.name}" sets a new password`);
      await audit(by, 'user-add', `user:${u.name}`, `role ${u.role}${describeScope(scope)}`);
      return created;
    },

    async setPassword(by, name, password, keepSessionHash) {
      const user = await userNamed(name);
      checkPassword(password);
      await store.updateUser(user.id, { passwordHash: await hashPassword(password), passwordChangedAt: clock.now() });
      const ended = await store.deleteSessions(user.id, keepSessionHash);
      await audit(by, 'user-passwd', `user:${user.name}`, ended ? `ended ${ended} other session${ended === 1 ? '' : 's'}` : '');
    },

    async setPrefs(principal, prefs, address) {
      if (principal.userId === null) return false;
      if (prefs.lang !== undefined && prefs.lang !== null && prefs.lang !== 'en' && prefs.lang !== 'ja') throw new UsageError(`language "${String(prefs.lang).slice(0, 20)}": expected en or ja`);
      if (prefs.zone !== undefined && prefs.zone !== null && !isTimeZone(prefs.zone)) throw new UsageError(`time zone "${String(prefs.zone).slice(0, 64)}" is not one this server knows: give an IANA zone like Asia/Tokyo or UTC`);
      if (!(await store.updateUser(principal.userId, { lang: prefs.lang, zone: prefs.zone }))) return false;
      await audit({ principal, address }, 'user-prefs', principal.actor, `lang ${prefs.lang ?? '-'}, zone ${prefs.zone ?? '-'}`);
      return true;
    },

    async prefs(principal) {
      const user = principal.userId === null ? undefined : await store.userById(principal.userId);
      return user && { lang: user.lang ?? null, zone: user.zone ?? null };
    },

    async changeOwnPassword(principal, oldPassword, newPassword, address) {
      if (principal.userId === null) return false;
      const user = await store.userById(principal.userId);
      if (!user) return false;
      // A stolen session must not become a password oracle: the per-user limit applies here too.
      const now = clock.now();
      if (byUser.check(user.name, now).limited) return false;
      checkPassword(newPassword);
      if (!(await verifyPassword(String(oldPassword ?? ''), user.passwordHash))) {
        byUser.fail(user.name, clock.now());
        await audit({ principal, address }, 'user-passwd-failed', `user:${user.name}`, 'the old password was wrong');
        return false;
      }
      await service.setPassword({ principal, address }, user.name, newPassword, principal.sessionHash);
      return true;
    },

    async removeUser(by, name) {
      const user = typeof name === 'string' && USER_NAME.test(name) ? await store.userByName(name) : undefined;
      if (!user) return false;
      if (user.role === 'admin' && (await store.users()).filter((x) => x.role === 'admin').length === 1)
        throw new UsageError(`${shown(user.name)} is the last admin: make another user admin first, or nobody could manage users and tokens`);
      if (!(await store.deleteUser(user.id))) return false;
      await audit(by, 'user-remove', `user:${user.name}`, `role ${user.role}; its sessions and tokens ended`);
      return true;
    },

    async users() {
      return (await store.users()).map(strip);
    },

    async createToken(by, t) {
      checkTokenName(t.name);
      checkRole(t.role);
      let scope = checkScope(t.scope, t.role);
      let userId: number | null = null;
      if (t.user !== undefined) {
        const user = await userNamed(t.user);
        if (!allows(user.role, t.role)) throw new UsageError(`${shown(user.name)} is ${user.role === 'admin' ? 'an' : 'a'} ${user.role}: a token cannot do more than its user (role ${t.role} refused)`);
        scope ??= user.scope;
        if (!scopeWithin(scope, user.scope)) throw new UsageError(`the token's scope is wider than its user's: ${shown(user.name)} sees only${describeScope(user.scope)}`);
        userId = user.id;
      }
      const now = clock.now();
      const expiresAt = t.expiresAt ?? null;
      if (expiresAt !== null && !(Number.isFinite(expiresAt) && expiresAt > now)) throw new UsageError('the token would expire before it is used: give an expiry in the future (like 30d)');
      const token = `mamoru_${secret()}`;
      const record = await store.createToken({ name: t.name, userId, role: t.role, scope, hash: sha256(token), createdAt: now, expiresAt, revokedAt: null, lastUsedAt: null });
      if (!record) throw new UsageError(`a token named ${shown(t.name)} exists already: revoke it first ("mamoru tokens revoke ${t.name}") or choose another name`);
      await audit(by, 'token-create', `token:${record.id}`, `${t.name}, role ${t.role}${t.user ? `, for user ${t.user}` : ''}${describeScope(scope)}${expiresAt === null ? '' : `, expires ${new Date(expiresAt).toISOString()}`}`);
      return { token, record: strip(record) };
    },

    async revokeToken(by, idOrName) {
      const key = String(idOrName ?? '').trim();
      const all = await store.tokens();
      const t = /^\d{1,15}$/.test(key) ? all.find((x) => x.id === Number(key)) : all.find((x) => x.name === key && x.revokedAt === null);
      if (!t || !(await store.revokeToken(t.id, clock.now()))) return false;
      await audit(by, 'token-revoke', `token:${t.id}`, t.name);
      return true;
    },

    async tokens() {
      return (await store.tokens()).map(strip);
    },

    async ensureAdmin(envPassword) {
      if ((await store.users()).length > 0) return { created: false };
      const generated = envPassword === undefined;
      const password = envPassword ?? randomBytes(18).toString('base64url');
      if (!generated) {
        try {
          checkPassword(password);
        } catch (e) {
          throw new UsageError(`MAMORU_ADMIN_PASSWORD: ${(e as Error).message}`);
        }
      }
      await service.addUser({ system: true }, { name: 'admin', role: 'admin', password });
      return { created: true, name: 'admin', password, generated };
    },

    async writeCliToken(tokenFile) {
      const path = resolve(tokenFile);
      const name = `cli@${hostname().replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 59) || 'localhost'}`;
      const cannot = (e: unknown) => new UsageError(`cannot write the command line's token to ${path}: ${(e as Error).message}; check that its directory is writable, or set auth.cli_token_file`);
      try {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      } catch (e) {
        throw cannot(e);
      }
      const now = clock.now();
      for (const t of await store.tokens()) if (t.name === name && t.revokedAt === null) await store.revokeToken(t.id, now);
      const token = `mamoru_${secret()}`;
      const record = await store.createToken({ name, userId: null, role: 'operator', scope: null, hash: sha256(token), createdAt: now, expiresAt: null, revokedAt: null, lastUsedAt: null });
      if (!record) throw new Error(`could not store the command line's token ${name}`);
      // A new file renamed over the old one: a reader never sees half a token, and the mode is
      // 0600 from the start (never a moment readable by others).
      const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await writeFile(tmp, `${token}\n`, { mode: 0o600, flag: 'wx' });
        await rename(tmp, path);
      } catch (e) {
        await unlink(tmp).catch(() => {});
        await store.revokeToken(record.id, clock.now());
        throw cannot(e);
      }
      await audit({ system: true }, 'cli-token', `token:${record.id}`, `${name} written to ${path}`);
    },

    audit,

    async auditTrail({ limit, before }) {
      const n = Math.min(Math.max(1, Math.trunc(Number(limit) || 1)), 1000);
      return store.audit({ limit: n, ...(before !== undefined && Number.isFinite(before) ? { before: Math.trunc(before) } : {}) }) as Promise<AuditRecord[]>;
    },
  };
  return service;
}

function describeScope(scope: Scope): string {
  if (scope === null) return '';
  const parts = [scope.targets.length ? `targets ${scope.targets.join(',')}` : '', scope.tags.length ? `tags ${scope.tags.join(',')}` : ''].filter(Boolean);
  return `, scope ${parts.length ? parts.join(' and ') : 'nothing'}`;
}
