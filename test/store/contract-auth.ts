/**
 * Store contract, accounts part: users (unique names), sessions by the hash of their id,
 * tokens (a name unique among those not revoked), the audit trail newest first with an id
 * cursor. Passwords and ids here are stand-ins: the store only keeps what it is given.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditRecord, SessionRecord, TokenRecord, UserRecord } from '../../src/auth/types.ts';
import { T0, cannotReopen, withStores, type HarnessFactory } from './contract.ts';

const user = (name: string, over: Partial<UserRecord> = {}): Omit<UserRecord, 'id'> => ({ name, role: 'viewer', scope: null, passwordHash: `scrypt$32768$8$1$salt$${name}`, createdAt: T0, passwordChangedAt: T0, ...over });
const session = (idHash: string, userId: number, over: Partial<SessionRecord> = {}): SessionRecord => ({ idHash, userId, csrf: `csrf-${idHash}`, createdAt: T0, lastSeenAt: T0, address: '192.0.2.10', ...over });
const token = (name: string, hash: string, over: Partial<TokenRecord> = {}): Omit<TokenRecord, 'id'> => ({ name, userId: null, role: 'ingest', scope: null, hash, createdAt: T0, expiresAt: null, revokedAt: null, lastUsedAt: null, ...over });

export function runAuthContract(factory: HarnessFactory): void {
  test('users: created with unique names, read by name and id, updated, deleted with their sessions and tokens', (t) =>
    withStores(factory, async (open, h) => {
      const store = await open();
      const taro = await store.createUser(user('taro', { role: 'operator' }));
      assert.ok(taro);
      const hanako = await store.createUser(user('hanako', { scope: { targets: ['web1', 'db1'], tags: ['client-a'] } }));
      assert.ok(hanako && hanako.id > taro.id);
      assert.equal(await store.createUser(user('taro', { role: 'admin' })), undefined, 'a taken name is refused');
      assert.deepEqual(await store.userByName('taro'), taro);
      assert.deepEqual(await store.userById(hanako.id), hanako);
      assert.equal(await store.userByName('nobody'), undefined);
      assert.deepEqual(await store.users(), [hanako, taro], 'ordered by name');

      assert.equal(await store.updateUser(hanako.id, { role: 'operator', scope: null, passwordHash: 'scrypt$new', passwordChangedAt: T0 + 5_000 }), true);
      const changed = { ...hanako, role: 'operator' as const, scope: null, passwordHash: 'scrypt$new', passwordChangedAt: T0 + 5_000 };
      assert.deepEqual(await store.userById(hanako.id), changed);
      assert.equal(await store.updateUser(hanako.id + 100, { role: 'admin' }), false);
      await store.updateUser(taro.id, { scope: { targets: [], tags: [] } });
      assert.deepEqual((await store.userById(taro.id))!.scope, { targets: [], tags: [] }, 'an empty scope (sees nothing) is not everything');

      await store.createSession(session('s-taro', taro.id));
      await store.createSession(session('s-hanako', hanako.id));
      const tk = await store.createToken(token('taro-ci', 'h-taro', { userId: taro.id, role: 'operator' }));
      const machine = await store.createToken(token('ingest', 'h-ingest'));
      assert.ok(tk && machine);
      assert.equal(await store.deleteUser(taro.id), true);
      assert.equal(await store.deleteUser(taro.id), false);
      assert.equal(await store.userByName('taro'), undefined);
      assert.equal(await store.session('s-taro'), undefined, "the user's sessions go with them");
      assert.equal(await store.tokenByHash('h-taro'), undefined, "the user's tokens go with them");
      assert.ok(await store.session('s-hanako'));
      assert.deepEqual(await store.tokenByHash('h-ingest'), machine);
      assert.ok(await store.createUser(user('taro')), 'a removed name can be used again');

      if (cannotReopen(t, h)) return;
      await store.close();
      const again = await open();
      assert.deepEqual(await again.userById(hanako.id), changed);
    }));

  test('sessions: stored by id hash, touched, ended one by one, per user except one, and by age', () =>
    withStores(factory, async (open) => {
      const store = await open();
      const a = (await store.createUser(user('alice')))!;
      const b = (await store.createUser(user('bob')))!;
      const s1 = session('h1', a.id);
      await store.createSession(s1);
      await store.createSession(session('h2', a.id, { createdAt: T0 + 1_000, lastSeenAt: T0 + 1_000, address: '2001:db8::7' }));
      await store.createSession(session('h3', a.id));
      await store.createSession(session('h4', b.id));
      assert.deepEqual(await store.session('h1'), s1);
      assert.equal(await store.session('nope'), undefined);
      await store.touchSession('h1', T0 + 60_000);
      assert.equal((await store.session('h1'))!.lastSeenAt, T0 + 60_000);
      assert.equal((await store.session('h2'))!.address, '2001:db8::7');

      assert.equal(await store.deleteSession('h3'), true);
      assert.equal(await store.deleteSession('h3'), false);
      assert.equal(await store.deleteSessions(a.id, 'h1'), 1, 'every other session of the user');
      assert.ok(await store.session('h1'));
      assert.equal(await store.session('h2'), undefined);
      assert.ok(await store.session('h4'), "another user's sessions stay");

      await store.createSession(session('old', b.id, { createdAt: T0 - 100_000, lastSeenAt: T0 + 50_000 }));
      await store.createSession(session('idle', b.id, { createdAt: T0 + 10_000, lastSeenAt: T0 + 10_000 }));
      // Idle before T0 + 20 s (h4, idle) or created before T0 - 50 s (old).
      assert.equal(await store.deleteExpiredSessions(T0 + 20_000, T0 - 50_000), 3);
      assert.ok(await store.session('h1'), 'h1 was used at T0 + 60 s');
      assert.equal(await store.session('old'), undefined);
      assert.equal(await store.deleteSessions(a.id), 1);
    }));

  test('tokens: hash unique, name unique among the live ones, revoked once, touched, listed by id', () =>
    withStores(factory, async (open) => {
      const store = await open();
      const u = (await store.createUser(user('carol', { role: 'operator', scope: { targets: ['web1'], tags: [] } })))!;
      const t1 = await store.createToken(token('ci', 'hash-1', { userId: u.id, role: 'viewer', scope: { targets: ['web1'], tags: [] }, expiresAt: T0 + 86_400_000 }));
      assert.ok(t1);
      assert.deepEqual(await store.tokenByHash('hash-1'), t1);
      assert.equal(await store.createToken(token('ci', 'hash-2')), undefined, 'a live token has that name');
      assert.equal(await store.createToken(token('other', 'hash-1')), undefined, 'the hash is taken');
      assert.equal(await store.revokeToken(t1.id, T0 + 5), true);
      assert.equal(await store.revokeToken(t1.id, T0 + 6), false, 'revoked already');
      assert.equal((await store.tokenByHash('hash-1'))!.revokedAt, T0 + 5);
      const t2 = await store.createToken(token('ci', 'hash-2'));
      assert.ok(t2 && t2.id > t1.id, 'a revoked name can be used again');
      await store.touchToken(t2.id, T0 + 42);
      assert.equal((await store.tokenByHash('hash-2'))!.lastUsedAt, T0 + 42);
      assert.deepEqual((await store.tokens()).map((t) => [t.id, t.name, t.revokedAt]), [[t1.id, 'ci', T0 + 5], [t2.id, 'ci', null]]);
      assert.equal(await store.tokenByHash('hash-3'), undefined);
      assert.equal(await store.revokeToken(t2.id + 100, T0), false);
    }));

  test('audit: appended with increasing ids, read newest first, paged by an id cursor', (t) =>
    withStores(factory, async (open, h) => {
      const store = await open();
      const written: AuditRecord[] = [];
      for (let i = 0; i < 25; i++)
        written.push(await store.appendAudit({ at: T0 + i * 1_000, actor: i % 2 ? 'user:taro' : 'cli', address: i % 2 ? '192.0.2.10' : null, action: 'ack', subject: `incident:${i}`, detail: i === 3 ? 'ja: 確認しました "quoted"\nline two' : '' }));
      assert.ok(written.every((r, i) => i === 0 || r.id > written[i - 1]!.id));
      const page1 = await store.audit({ limit: 10 });
      assert.deepEqual(page1, written.slice(15).reverse());
      const page3 = await store.audit({ limit: 10, before: written[10]!.id });
      assert.deepEqual(page3, written.slice(0, 10).reverse());
      assert.equal((await store.audit({ limit: 100, before: written[0]!.id })).length, 0);
      assert.equal(page3[6]!.detail, 'ja: 確認しました "quoted"\nline two');
      if (cannotReopen(t, h)) return;
      await store.close();
      const again = await open();
      assert.deepEqual(await again.audit({ limit: 1 }), [written[24]]);
    }));
}
