/** API tokens through the real AuthService: shown once, stored hashed, expiry, revocation, role and scope ceilings. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { UsageError } from '../../src/core/errors.ts';
import { PASSWORD, withAuth } from './harness.ts';

const cli = { cli: true } as const;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('a token is shown once, stored as its hash, and answers as its principal', () =>
  withAuth(async ({ auth, store }) => {
    const { token, record } = await auth.createToken(cli, { name: 'ci-ingest', role: 'ingest' });
    assert.match(token, /^mamoru_[A-Za-z0-9_-]{43}$/);
    assert.equal('hash' in record, false, 'the hash is not handed out');
    assert.equal((await store.tokenByHash(sha(token)))?.id, record.id);
    assert.ok(!JSON.stringify(await store.tokens()).includes(token), 'the token itself is not stored');
    assert.deepEqual(await auth.token(token), { kind: 'token', actor: 'token:ci-ingest', name: 'ci-ingest', role: 'ingest', scope: null, userId: null, tokenId: record.id });
    assert.equal(await auth.token(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')), undefined);
    assert.equal(await auth.token('mamoru_short'), undefined);
    assert.equal(await auth.token(''), undefined);
    assert.equal(await auth.token(`Bearer ${token}`), undefined);
    const [rec] = await auth.auditTrail({ limit: 1 });
    assert.deepEqual([rec!.action, rec!.actor, rec!.subject, rec!.detail], ['token-create', 'cli', `token:${record.id}`, 'ci-ingest, role ingest']);
  }));

test('expiry: a token works until expiresAt and not from then on', () =>
  withAuth(async ({ auth, clock }) => {
    const { token } = await auth.createToken(cli, { name: 'short', role: 'viewer', expiresAt: clock.now() + 3_600_000 });
    await clock.advance(3_600_000 - 1);
    assert.ok(await auth.token(token));
    await clock.advance(1);
    assert.equal(await auth.token(token), undefined);
    await assert.rejects(auth.createToken(cli, { name: 'past', role: 'viewer', expiresAt: clock.now() - 1 }), /expire before it is used/);
  }));

test('revocation by name or id; a revoked name can be used again; last use noted at most once a minute', () =>
  withAuth(async ({ auth, clock }) => {
    const a = await auth.createToken(cli, { name: 'deploy', role: 'operator' });
    const b = await auth.createToken(cli, { name: 'grafana', role: 'viewer' });
    await assert.rejects(auth.createToken(cli, { name: 'deploy', role: 'viewer' }), /token named "deploy" exists already/);

    assert.ok(await auth.token(a.token));
    const used = (await auth.tokens()).find((t) => t.id === a.record.id)!.lastUsedAt;
    assert.equal(used, clock.now());
    await clock.advance(30_000);
    await auth.token(a.token);
    assert.equal((await auth.tokens()).find((t) => t.id === a.record.id)!.lastUsedAt, used, 'not written again within a minute');
    await clock.advance(30_000);
    await auth.token(a.token);
    assert.equal((await auth.tokens()).find((t) => t.id === a.record.id)!.lastUsedAt, clock.now());

    assert.equal(await auth.revokeToken(cli, 'deploy'), true);
    assert.equal(await auth.token(a.token), undefined);
    assert.equal(await auth.revokeToken(cli, 'deploy'), false, 'no live token has that name now');
    assert.equal(await auth.revokeToken(cli, String(b.record.id)), true);
    assert.equal(await auth.token(b.token), undefined);
    assert.equal(await auth.revokeToken(cli, String(b.record.id)), false);
    assert.equal(await auth.revokeToken(cli, 'nothing'), false);
    const again = await auth.createToken(cli, { name: 'deploy', role: 'operator' });
    assert.ok(await auth.token(again.token));
    assert.deepEqual((await auth.tokens()).map((t) => [t.name, t.revokedAt !== null]), [['deploy', true], ['grafana', true], ['deploy', false]]);
  }));

test("a user's token: no more than its user, narrowed when the user is, gone with the user", () =>
  withAuth(async ({ auth, store }) => {
    await auth.addUser(cli, { name: 'admin', role: 'admin', password: PASSWORD });
    const viewer = await auth.addUser(cli, { name: 'client-a', role: 'viewer', scope: { targets: ['web1'], tags: ['a'] }, password: PASSWORD });
    await assert.rejects(auth.createToken(cli, { name: 'x', role: 'operator', user: 'client-a' }), /"client-a" is a viewer: a token cannot do more than its user/);
    await assert.rejects(auth.createToken(cli, { name: 'x', role: 'viewer', user: 'client-a', scope: { targets: ['web2'], tags: [] } }), /wider than its user's/);
    await assert.rejects(auth.createToken(cli, { name: 'x', role: 'viewer', user: 'nobody' }), /no user named "nobody"/);
    const t = await auth.createToken(cli, { name: 'client-a-api', role: 'viewer', user: 'client-a' });
    assert.deepEqual(t.record.scope, { targets: ['web1'], tags: ['a'] }, "the user's scope when none is given");
    const p = await auth.token(t.token);
    assert.deepEqual([p?.name, p?.actor, p?.role, p?.userId], ['client-a', 'token:client-a-api', 'viewer', viewer.id]);

    const op = await auth.createToken(cli, { name: 'admin-op', role: 'operator', user: 'admin' });
    await store.updateUser(1, { role: 'viewer' });
    assert.equal(await auth.token(op.token), undefined, 'the user became a viewer: the operator token stops working');

    await auth.addUser(cli, { name: 'root2', role: 'admin', password: PASSWORD });
    assert.equal(await auth.removeUser(cli, 'client-a'), true);
    assert.equal(await auth.token(t.token), undefined);
  }));

test('bad names and roles are UsageErrors that say what is allowed', () =>
  withAuth(async ({ auth }) => {
    const refusals: [Promise<unknown>, RegExp][] = [
      [auth.createToken(cli, { name: 'has space', role: 'viewer' }), /token name "has space" is not allowed/],
      [auth.createToken(cli, { name: 'ok', role: 'root' as never }), /role "root" is unknown: use one of viewer, operator, admin, ingest/],
      [auth.createToken(cli, { name: 'ok', role: 'admin', scope: { targets: ['web1'], tags: [] } }), /an admin sees everything/],
      [auth.addUser(cli, { name: 'Taro', role: 'viewer', password: PASSWORD }), /user name "Taro" is not allowed: use 1 to 32 characters, a lowercase letter first/],
      [auth.addUser(cli, { name: 'taro\nx', role: 'viewer', password: PASSWORD }), /user name "taro\\nx"/],
      [auth.addUser(cli, { name: 'taro', role: 'ingest' as never, password: PASSWORD }), /not a user's role: use one of viewer, operator, admin/],
      [auth.addUser(cli, { name: 'taro', role: 'viewer', password: 'short' }), /too short: use at least 12 characters/],
      [auth.addUser(cli, { name: 'taro', role: 'viewer', password: 'tab\there is bad' }), /control character/],
      [auth.addUser(cli, { name: 'taro', role: 'viewer', scope: { targets: ['a b'], tags: [] }, password: PASSWORD }), /"a b" is not a target name/],
      [auth.setPassword(cli, 'nobody', PASSWORD), /no user named "nobody"; "mamoru users list" shows them/],
    ];
    for (const [p, re] of refusals)
      await assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.match(e.message, re);
        return true;
      });
    await auth.addUser(cli, { name: 'taro', role: 'viewer', password: PASSWORD });
    await assert.rejects(auth.addUser(cli, { name: 'taro', role: 'admin', password: PASSWORD }), /a user named "taro" exists already/);
  }));
