/** Logins and sessions through the real AuthService on SQLite, driven by a FakeClock. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Principal } from '../../src/auth/types.ts';
import { PASSWORD, withAuth } from './harness.ts';

const cli = { cli: true } as const;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function login(auth: Awaited<ReturnType<typeof import('./harness.ts').authHarness>>['auth'], name = 'taro', password = PASSWORD, address = '192.0.2.10') {
  const r = await auth.login(name, password, address);
  assert.ok(r.ok, `login refused: ${JSON.stringify(r)}`);
  return r;
}

test('a login opens a session; a wrong password and an unknown name are both "invalid"', () =>
  withAuth(async ({ auth, store }) => {
    await auth.addUser(cli, { name: 'taro', role: 'operator', scope: { targets: ['web1'], tags: ['client-a'] }, password: PASSWORD });
    const r = await login(auth);
    assert.match(r.sessionId, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual({ ...r.principal, csrf: undefined, sessionHash: undefined }, { kind: 'session', actor: 'user:taro', name: 'taro', role: 'operator', scope: { targets: ['web1'], tags: ['client-a'] }, userId: 1, csrf: undefined, sessionHash: undefined });
    assert.match(r.principal.csrf!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(r.principal.sessionHash, sha(r.sessionId));
    const stored = await store.session(sha(r.sessionId));
    assert.equal(stored?.address, '192.0.2.10');
    assert.equal(await store.session(r.sessionId), undefined, 'the id itself is never stored');
    assert.deepEqual(await auth.session(r.sessionId), r.principal);

    assert.deepEqual(await auth.login('taro', 'wrong password here', '192.0.2.10'), { ok: false, reason: 'invalid' });
    assert.deepEqual(await auth.login('nobody', PASSWORD, '192.0.2.10'), { ok: false, reason: 'invalid' });
    assert.deepEqual(await auth.login('', '', '192.0.2.10'), { ok: false, reason: 'invalid' });
    assert.equal(await auth.session('not-a-session'), undefined);
    assert.equal(await auth.session('A'.repeat(43)), undefined);
    assert.equal(await auth.session(r.sessionId.slice(0, -1) + (r.sessionId.endsWith('A') ? 'B' : 'A')), undefined);

    const trail = await auth.auditTrail({ limit: 10 });
    assert.deepEqual(trail.map((a) => [a.action, a.actor, a.subject, a.address]).reverse(), [
      ['user-add', 'cli', 'user:taro', null],
      ['login', 'user:taro', 'user:taro', '192.0.2.10'],
      ['login-failed', 'anonymous', 'user:taro', '192.0.2.10'],
      ['login-failed', 'anonymous', 'user:nobody', '192.0.2.10'],
      ['login-failed', 'anonymous', 'user:', '192.0.2.10'],
    ]);
    assert.equal(trail[0]!.detail, 'wrong name or password');
  }));

test('idle expiry: a used session lives on, an unused one ends after session_idle', () =>
  withAuth(
    async ({ auth, clock }) => {
      await auth.addUser(cli, { name: 'taro', role: 'viewer', password: PASSWORD });
      const { sessionId } = await login(auth);
      for (let i = 0; i < 5; i++) {
        await clock.advance(9 * 60_000);
        assert.ok(await auth.session(sessionId), `still in use after ${(i + 1) * 9} minutes`);
      }
      await clock.advance(10 * 60_000 - 1);
      assert.ok(await auth.session(sessionId), 'one millisecond short of idle');
      await clock.advance(10 * 60_000);
      assert.equal(await auth.session(sessionId), undefined, 'idle for 10 minutes');
      await clock.advance(-0);
      assert.equal(await auth.session(sessionId), undefined, 'and deleted, not just refused');
    },
    { session_idle: '10m', session_max: '12h' },
  ));

test('absolute expiry: a session ends session_max after login however busy it is', () =>
  withAuth(
    async ({ auth, clock, store }) => {
      await auth.addUser(cli, { name: 'taro', role: 'viewer', password: PASSWORD });
      const { sessionId } = await login(auth);
      for (let m = 5; m < 60; m += 5) {
        await clock.advance(5 * 60_000);
        assert.ok(await auth.session(sessionId), `${m} minutes`);
      }
      await clock.advance(5 * 60_000);
      assert.equal(await auth.session(sessionId), undefined, 'an hour after login');
      assert.equal(await store.session(sha(sessionId)), undefined);
    },
    { session_idle: '10m', session_max: '1h' },
  ));

test('rotation: every login is a new id; logout ends only its own session', () =>
  withAuth(async ({ auth }) => {
    await auth.addUser(cli, { name: 'taro', role: 'viewer', password: PASSWORD });
    const a = await login(auth);
    const b = await login(auth, 'taro', PASSWORD, '2001:db8::5');
    assert.notEqual(a.sessionId, b.sessionId);
    assert.notEqual(a.principal.csrf, b.principal.csrf);
    assert.ok(await auth.session(a.sessionId), 'the earlier session is still valid until logout');
    await auth.logout(a.principal, '192.0.2.10');
    assert.equal(await auth.session(a.sessionId), undefined);
    assert.ok(await auth.session(b.sessionId));
    const [logout] = await auth.auditTrail({ limit: 1 });
    assert.deepEqual([logout!.action, logout!.actor, logout!.address], ['logout', 'user:taro', '192.0.2.10']);
  }));

test('a password change ends the other sessions and keeps the current one', () =>
  withAuth(async ({ auth }) => {
    await auth.addUser(cli, { name: 'taro', role: 'operator', password: PASSWORD });
    await auth.addUser(cli, { name: 'hanako', role: 'viewer', password: PASSWORD });
    const here = await login(auth);
    const there = await login(auth, 'taro', PASSWORD, '198.51.100.4');
    const other = await login(auth, 'hanako');

    assert.equal(await auth.changeOwnPassword(here.principal, 'not the old one', 'a brand new passphrase', '192.0.2.10'), false);
    assert.ok(await auth.session(there.sessionId), 'a wrong old password changes nothing');
    await assert.rejects(auth.changeOwnPassword(here.principal, PASSWORD, 'short', '192.0.2.10'), /at least 12 characters/);
    assert.equal(await auth.changeOwnPassword(here.principal, PASSWORD, 'a brand new passphrase', '192.0.2.10'), true);
    assert.ok(await auth.session(here.sessionId), 'the session that changed it stays');
    assert.equal(await auth.session(there.sessionId), undefined, 'the other session of the user ends');
    assert.ok(await auth.session(other.sessionId), "another user's session stays");
    assert.equal((await auth.login('taro', PASSWORD, '192.0.2.10')).ok, false);
    assert.equal((await auth.login('taro', 'a brand new passphrase', '192.0.2.10')).ok, true);

    // An admin (or the CLI) setting it ends every session of the user.
    const s = await login(auth, 'hanako');
    await auth.setPassword(cli, 'hanako', 'hanako has a new one');
    assert.equal(await auth.session(s.sessionId), undefined);
    assert.equal(await auth.session(other.sessionId), undefined);
    const [rec] = await auth.auditTrail({ limit: 1 });
    assert.deepEqual([rec!.action, rec!.subject, rec!.detail], ['user-passwd', 'user:hanako', 'ended 2 other sessions']);
  }));

test('a removed user: sessions end at once', () =>
  withAuth(async ({ auth }) => {
    await auth.addUser(cli, { name: 'admin', role: 'admin', password: PASSWORD });
    await auth.addUser(cli, { name: 'taro', role: 'viewer', password: PASSWORD });
    const s = await login(auth);
    assert.equal(await auth.removeUser(cli, 'taro'), true);
    assert.equal(await auth.session(s.sessionId), undefined);
    assert.equal(await auth.removeUser(cli, 'taro'), false);
    await assert.rejects(auth.removeUser(cli, 'admin'), /last admin/);
  }));

test('login limit per address: refused even with the right password, others unaffected, open again after the window', () =>
  withAuth(
    async ({ auth, clock, lines }) => {
      await auth.addUser(cli, { name: 'taro', role: 'viewer', password: PASSWORD });
      await auth.addUser(cli, { name: 'hanako', role: 'viewer', password: PASSWORD });
      for (const name of ['taro', 'hanako', 'ghost']) {
        assert.deepEqual(await auth.login(name, 'wrong wrong wrong', '203.0.113.9'), { ok: false, reason: 'invalid' });
        await clock.advance(60_000);
      }
      const r = await auth.login('taro', PASSWORD, '203.0.113.9');
      assert.deepEqual(r, { ok: false, reason: 'limited', retryAfterS: 12 * 60 }, 'the first failure (3 minutes ago) leaves the window in 12 minutes');
      assert.ok((await auth.login('taro', PASSWORD, '::ffff:192.0.2.10')).ok, 'another address logs in');
      assert.equal((await auth.login('hanako', PASSWORD, '::ffff:203.0.113.9')).ok, false, 'the same address written as IPv4-mapped IPv6');
      await clock.advance(12 * 60_000);
      assert.ok((await auth.login('hanako', PASSWORD, '203.0.113.9')).ok, 'the first failure left the window');
      assert.match(lines.join(''), /login refused from 203\.0\.113\.9 for user "taro" \(too many failures\)\n/);
      assert.match(lines.join(''), /login ok from 192\.0\.2\.10 for user "taro"\n/);
    },
    { login_limit: { per_address: 3, per_user: 100, window: '15m' } },
  ));

test('login limit per user: failures from many addresses lock the name, not other names', () =>
  withAuth(
    async ({ auth }) => {
      await auth.addUser(cli, { name: 'taro', role: 'viewer', password: PASSWORD });
      await auth.addUser(cli, { name: 'hanako', role: 'viewer', password: PASSWORD });
      for (let i = 1; i <= 3; i++) assert.equal((await auth.login('taro', 'wrong wrong wrong', `198.51.100.${i}`)).ok, false);
      const r = await auth.login('taro', PASSWORD, '198.51.100.99');
      assert.equal(r.ok, false);
      assert.equal((r as { reason: string }).reason, 'limited');
      assert.ok((await auth.login('hanako', PASSWORD, '198.51.100.1')).ok);
      const p = { kind: 'session', actor: 'user:taro', name: 'taro', role: 'viewer', scope: null, userId: 1 } as Principal;
      assert.equal(await auth.changeOwnPassword(p, PASSWORD, 'another long passphrase', null), false, 'the old-password check is limited too');
    },
    { login_limit: { per_address: 100, per_user: 3, window: '15m' } },
  ));

test('guesses sent all at once are counted before they are checked: no more get through than the limit', () =>
  withAuth(
    async ({ auth, lines }) => {
      await auth.addUser(cli, { name: 'taro', role: 'viewer', password: PASSWORD });
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => auth.login('taro', `guess number ${i} wrong`, '203.0.113.50')));
      assert.equal(results.filter((r) => !r.ok && r.reason === 'invalid').length, 3, 'three were checked');
      assert.equal(results.filter((r) => !r.ok && r.reason === 'limited').length, 17);
      assert.equal(lines.filter((l) => l.includes('login refused from 203.0.113.50')).length, 17);
      assert.equal((await auth.login('taro', PASSWORD, '192.0.2.1')).ok, true, 'the user from elsewhere is not locked out by an address');
      const two = await Promise.all([auth.login('taro', PASSWORD, '192.0.2.2'), auth.login('taro', PASSWORD, '192.0.2.2')]);
      assert.ok(two.every((r) => r.ok), 'successful logins are not counted');
    },
    { login_limit: { per_address: 3, per_user: 100, window: '15m' } },
  ));
