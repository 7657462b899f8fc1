/**
 * Who may do what: the records of the auth room (users, sessions, API tokens, the audit trail)
 * and the roles every web route and CLI request is checked against. The web room asks
 * `AuthService` (auth/service.ts) and never reads these tables itself.
 */

/**
 * `viewer` reads (limited by a scope to some targets or tags), `operator` also acts (ack,
 * comment, approve/deny, ban/unban, downtime, check now), `admin` also manages users and tokens.
 * `ingest` is a token-only role that may post alerts to /api/v1/ingest/* and nothing else.
 */
export type Role = 'viewer' | 'operator' | 'admin' | 'ingest';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin', 'ingest'];
/** Roles a person (a user) can have; `ingest` is for tokens only. */
export const USER_ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/**
 * What a viewer may see: the targets named, and the targets carrying any of the tags. `null`
 * is everything. A scope with both lists empty sees nothing.
 */
export type Scope = { targets: string[]; tags: string[] } | null;

export interface UserRecord {
  id: number;
  name: string;
  role: Exclude<Role, 'ingest'>;
  scope: Scope;
  /** `scrypt$N$r$p$salt$hash` (base64url parts): see auth/password.ts. */
  passwordHash: string;
  /** ms since the epoch */
  createdAt: number;
  passwordChangedAt: number;
  /** The console's language for this user; absent or null: the browser's. */
  lang?: 'en' | 'ja' | null;
  /** The IANA time zone the console shows times in; absent or null: UTC. */
  zone?: string | null;
}

/** A user's reading settings (PATCH /api/v1/me): null clears one. */
export interface UserPrefs {
  lang?: 'en' | 'ja' | null;
  zone?: string | null;
}

export interface SessionRecord {
  /** sha256 (hex) of the session id the cookie carries; the id itself is never stored. */
  idHash: string;
  userId: number;
  /** The per-session CSRF token forms and `X-CSRF-Token` must bring. */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  /** The address that logged in. */
  address: string;
}

export interface TokenRecord {
  id: number;
  name: string;
  /** The user it acts for, or null for a machine token (ingest, the CLI's local token). */
  userId: number | null;
  role: Role;
  scope: Scope;
  /** sha256 (hex) of the token; the token is shown once at creation and never stored. */
  hash: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface AuditRecord {
  id: number;
  at: number;
  /** `user:taro`, `token:ci-ingest`, `cli` (the command line on this machine), `system`, `anonymous` (a login that failed). */
  actor: string;
  /** Remote address of the request, null from the command line. */
  address: string | null;
  /** `login`, `login-failed`, `login-refused` (rate limit), `logout`, `ack`, `comment`, `approve`, `deny`, `ban`, `unban`, `user-add`, `user-passwd`, `user-remove`, `token-create`, `token-revoke`, `check-run`, ... */
  action: string;
  /** What it was done to: `incident:4`, `approval:ab12`, `ban:203.0.113.9`, `user:hanako`, `token:7`. */
  subject: string;
  /** Free words, bounded (≤ 1,000 characters). */
  detail: string;
}

/** Who is asking, as every route sees it after the auth layer. */
export interface Principal {
  kind: 'session' | 'token';
  /** `user:NAME` or `token:NAME`: the audit trail's actor. */
  actor: string;
  /** The user's name (a token acting for a user: that user's), or the token's name. */
  name: string;
  role: Role;
  scope: Scope;
  userId: number | null;
  tokenId?: number;
  /** Present for sessions: what unsafe requests must bring. */
  csrf?: string;
  /** sha256 of the session id, for logout and "end my other sessions". */
  sessionHash?: string;
  /** A user's own language and zone for the console, when they chose them. */
  lang?: 'en' | 'ja';
  zone?: string;
}

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3, ingest: 0 };

/** Does a principal with `have` satisfy a route that needs `need`? `ingest` only satisfies ingest (admin satisfies everything). */
export function allows(have: Role, need: Role): boolean {
  if (have === 'admin') return true;
  if (need === 'ingest') return have === 'ingest';
  if (have === 'ingest') return false;
  return RANK[have] >= RANK[need];
}

/** May a principal with this scope see a target with these tags? */
export function inScope(scope: Scope, target: { name: string; tags?: readonly string[] }): boolean {
  if (scope === null) return true;
  if (scope.targets.includes(target.name)) return true;
  return (target.tags ?? []).some((t) => scope.tags.includes(t));
}

/** Why a login was refused (never which of name or password was wrong). */
export type LoginRefusal = { ok: false; reason: 'invalid' | 'limited'; retryAfterS?: number };

/**
 * The one door: what the web room and the CLI ask of the auth room. Implemented by
 * `createAuthService` in auth/service.ts over the Store.
 */
export interface AuthService {
  /**
   * Checks a name and password (constant time, also for unknown names), rate-limited per
   * address and per user; writes an auth-log line and an audit record either way. On success a
   * new session (fresh id: rotated at every login) with its CSRF token.
   */
  login(name: string, password: string, address: string): Promise<{ ok: true; sessionId: string; principal: Principal } | LoginRefusal>;
  /** The principal of a session cookie's id, or undefined when unknown, idle too long or too old (then it is deleted). Touches its idle time. */
  session(sessionId: string): Promise<Principal | undefined>;
  /** Ends one session (logout). */
  logout(principal: Principal, address: string | null): Promise<void>;
  /** The principal of a bearer token, or undefined when unknown, revoked or expired. */
  token(bearer: string): Promise<Principal | undefined>;

  /** Users (admin). Password rules: at least 12 characters. Names: `^[a-z][a-z0-9._-]{0,31}$`. Errors are UsageErrors with words for the person. */
  addUser(by: AuditBy, user: { name: string; role: UserRecord['role']; scope?: Scope; password: string }): Promise<UserRecord>;
  /** Sets a password; ends every session of the user except `keepSessionHash`. */
  setPassword(by: AuditBy, name: string, password: string, keepSessionHash?: string): Promise<void>;
  /** A user changing their own password must give the old one. */
  changeOwnPassword(principal: Principal, oldPassword: string, newPassword: string, address: string | null): Promise<boolean>;
  removeUser(by: AuditBy, name: string): Promise<boolean>;
  /** A user sets their own language and time zone (validated: `en`|`ja`, a zone Node knows); false for a principal that is not a user. */
  setPrefs(principal: Principal, prefs: UserPrefs, address: string | null): Promise<boolean>;
  /** A user's own language and zone (null: not chosen); undefined for a principal that is not a user. */
  prefs(principal: Principal): Promise<{ lang: 'en' | 'ja' | null; zone: string | null } | undefined>;
  users(): Promise<Omit<UserRecord, 'passwordHash'>[]>;

  /** Creates a token and returns it once (`mamoru_` + 43 base64url characters). */
  createToken(by: AuditBy, t: { name: string; role: Role; user?: string; scope?: Scope; expiresAt?: number | null }): Promise<{ token: string; record: Omit<TokenRecord, 'hash'> }>;
  revokeToken(by: AuditBy, idOrName: string): Promise<boolean>;
  tokens(): Promise<Omit<TokenRecord, 'hash'>[]>;

  /**
   * The first start: when no user exists, creates `admin` with `MAMORU_ADMIN_PASSWORD` or a
   * generated one-time password, returned so the caller prints it to the terminal (never logs it).
   */
  ensureAdmin(envPassword: string | undefined): Promise<{ created: false } | { created: true; name: string; password: string; generated: boolean }>;
  /**
   * Writes (0600) a machine token for the command line on this machine, replacing an earlier
   * one (the earlier token is revoked). Role operator.
   */
  writeCliToken(file: string): Promise<void>;

  /** Records who did what. Never throws (a failed write is logged). */
  audit(by: AuditBy, action: string, subject: string, detail?: string): Promise<void>;
  auditTrail(opts: { limit: number; before?: number }): Promise<AuditRecord[]>;
}

/** Who is recorded as acting: a principal and its address, or the command line. */
export type AuditBy = { principal: Principal; address: string | null } | { cli: true } | { system: true };
