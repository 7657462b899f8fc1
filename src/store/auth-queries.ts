/**
 * The accounts' queries (users, sessions, tokens, audit) over any Kysely database, in SQL that
 * SQLite and PostgreSQL both accept. KyselyStore delegates its account methods here; rows and
 * records are converted in this file too (scopes are JSON, int8 may come back as strings).
 */
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { AuditRecord, Role, Scope, SessionRecord, TokenRecord, UserRecord } from '../auth/types.ts';
import type { AuditTable, Database, SessionsTable, TokensTable, UsersTable } from './database.ts';

type Db = Kysely<Database>;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
const scopeToText = (s: Scope): string | null => (s === null ? null : JSON.stringify({ targets: s.targets, tags: s.tags }));
const scopeFromText = (t: string | null): Scope => (t === null ? null : (JSON.parse(t) as { targets: string[]; tags: string[] }));

function userFromRow(r: Selectable<UsersTable>): UserRecord {
  return {
    id: num(r.id),
    name: r.name,
    role: r.role as UserRecord['role'],
    scope: scopeFromText(r.scope),
    passwordHash: r.password_hash,
    createdAt: num(r.created_at),
    passwordChangedAt: num(r.password_changed_at),
    // Only when chosen: a record without settings reads back as it was written.
    ...(r.lang === 'en' || r.lang === 'ja' ? { lang: r.lang } : {}),
    ...(r.zone ? { zone: r.zone } : {}),
  };
}

function sessionFromRow(r: Selectable<SessionsTable>): SessionRecord {
  return { idHash: r.id_hash, userId: num(r.user_id), csrf: r.csrf, createdAt: num(r.created_at), lastSeenAt: num(r.last_seen_at), address: r.address };
}

function tokenFromRow(r: Selectable<TokensTable>): TokenRecord {
  return {
    id: num(r.id),
    name: r.name,
    userId: numOrNull(r.user_id),
    role: r.role as Role,
    scope: scopeFromText(r.scope),
    hash: r.hash,
    createdAt: num(r.created_at),
    expiresAt: numOrNull(r.expires_at),
    revokedAt: numOrNull(r.revoked_at),
    lastUsedAt: numOrNull(r.last_used_at),
  };
}

function auditFromRow(r: Selectable<AuditTable>): AuditRecord {
  return { id: num(r.id), at: num(r.at), actor: r.actor, address: r.address, action: r.action, subject: r.subject, detail: r.detail };
}

export async function createUser(db: Db, u: Omit<UserRecord, 'id'>): Promise<UserRecord | undefined> {
  const row = await db
    .insertInto('users')
    .values({ name: u.name, role: u.role, scope: scopeToText(u.scope), password_hash: u.passwordHash, created_at: Math.round(u.createdAt), password_changed_at: Math.round(u.passwordChangedAt) })
    // No conflict target: any unique constraint (the name) makes it a no-op, in both dialects.
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? { ...u, id: num(row.id) } : undefined;
}

export async function updateUser(db: Db, id: number, patch: { role?: UserRecord['role']; scope?: Scope; passwordHash?: string; passwordChangedAt?: number; lang?: UserRecord['lang']; zone?: UserRecord['zone'] }): Promise<boolean> {
  const set: Updateable<UsersTable> = {};
  if (patch.role !== undefined) set.role = patch.role;
  if (patch.scope !== undefined) set.scope = scopeToText(patch.scope);
  if (patch.passwordHash !== undefined) set.password_hash = patch.passwordHash;
  if (patch.passwordChangedAt !== undefined) set.password_changed_at = Math.round(patch.passwordChangedAt);
  if (patch.lang !== undefined) set.lang = patch.lang;
  if (patch.zone !== undefined) set.zone = patch.zone;
  if (Object.keys(set).length === 0) return (await userById(db, id)) !== undefined;
  const r = await db.updateTable('users').set(set).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteUser(db: Db, id: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
    await trx.deleteFrom('tokens').where('user_id', '=', id).execute();
    const r = await trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  });
}

export async function userByName(db: Db, name: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? userFromRow(row) : undefined;
}

export async function userById(db: Db, id: number): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? userFromRow(row) : undefined;
}

export async function users(db: Db): Promise<UserRecord[]> {
  return (await db.selectFrom('users').selectAll().orderBy('name').execute()).map(userFromRow);
}

export async function createSession(db: Db, s: SessionRecord): Promise<void> {
  await db.insertInto('sessions').values({ id_hash: s.idHash, user_id: s.userId, csrf: s.csrf, created_at: Math.round(s.createdAt), last_seen_at: Math.round(s.lastSeenAt), address: s.address }).execute();
}

export async function session(db: Db, idHash: string): Promise<SessionRecord | undefined> {
  const row = await db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
  return row ? sessionFromRow(row) : undefined;
}

export async function touchSession(db: Db, idHash: string, at: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: Math.round(at) }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Db, idHash: string): Promise<boolean> {
  const r = await db.deleteFrom('sessions').where('id_hash', '=', idHash).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function deleteSessions(db: Db, userId: number, exceptIdHash?: string): Promise<number> {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (exceptIdHash !== undefined) q = q.where('id_hash', '!=', exceptIdHash);
  return Number((await q.executeTakeFirst()).numDeletedRows);
}

export async function deleteExpiredSessions(db: Db, idleBefore: number, createdBefore: number): Promise<number> {
  const r = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('last_seen_at', '<', Math.round(idleBefore)), eb('created_at', '<', Math.round(createdBefore))]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function createToken(db: Db, t: Omit<TokenRecord, 'id'>): Promise<TokenRecord | undefined> {
  const row = await db
    .insertInto('tokens')
    .values({
      name: t.name,
      user_id: t.userId,
      role: t.role,
      scope: scopeToText(t.scope),
      hash: t.hash,
      created_at: Math.round(t.createdAt),
      expires_at: t.expiresAt === null ? null : Math.round(t.expiresAt),
      revoked_at: t.revokedAt === null ? null : Math.round(t.revokedAt),
      last_used_at: t.lastUsedAt === null ? null : Math.round(t.lastUsedAt),
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? { ...t, id: num(row.id) } : undefined;
}

export async function tokenByHash(db: Db, hash: string): Promise<TokenRecord | undefined> {
  const row = await db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
  return row ? tokenFromRow(row) : undefined;
}

export async function tokens(db: Db): Promise<TokenRecord[]> {
  return (await db.selectFrom('tokens').selectAll().orderBy('id').execute()).map(tokenFromRow);
}

export async function revokeToken(db: Db, id: number, at: number): Promise<boolean> {
  const r = await db.updateTable('tokens').set({ revoked_at: Math.round(at) }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function touchToken(db: Db, id: number, at: number): Promise<void> {
  await db.updateTable('tokens').set({ last_used_at: Math.round(at) }).where('id', '=', id).execute();
}

export async function appendAudit(db: Db, a: Omit<AuditRecord, 'id'>): Promise<AuditRecord> {
  const row = await db
    .insertInto('audit')
    .values({ at: Math.round(a.at), actor: a.actor, address: a.address, action: a.action, subject: a.subject, detail: a.detail })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { ...a, id: num(row.id) };
}

export async function audit(db: Db, opts: { limit: number; before?: number }): Promise<AuditRecord[]> {
  let q = db.selectFrom('audit').selectAll();
  if (opts.before !== undefined) q = q.where('id', '<', opts.before);
  return (await q.orderBy('id', 'desc').limit(opts.limit).execute()).map(auditFromRow);
}
