/** The first admin and the command line's local token file. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PASSWORD, withAuth } from './harness.ts';

test('ensureAdmin: the first start makes admin (from the environment, or a generated one-time password), later starts nothing', () =>
  withAuth(async ({ auth }) => {
    await assert.rejects(auth.ensureAdmin('short'), /MAMORU_ADMIN_PASSWORD: the password is too short/);
    const first = await auth.ensureAdmin(undefined);
    assert.equal(first.created, true);
    if (!first.created) return;
    assert.deepEqual([first.name, first.generated], ['admin', true]);
    assert.ok(first.password.length >= 20);
    assert.ok((await auth.login('admin', first.password, '127.0.0.1')).ok);
    assert.deepEqual(await auth.ensureAdmin(PASSWORD), { created: false });
    assert.deepEqual((await auth.users()).map((u) => [u.name, u.role, 'passwordHash' in u]), [['admin', 'admin', false]]);
  }));

test('ensureAdmin with MAMORU_ADMIN_PASSWORD uses it', () =>
  withAuth(async ({ auth }) => {
    assert.deepEqual(await auth.ensureAdmin(PASSWORD), { created: true, name: 'admin', password: PASSWORD, generated: false });
    assert.ok((await auth.login('admin', PASSWORD, '127.0.0.1')).ok);
  }));

test('writeCliToken: a 0600 file (made whole, never half) holding an operator token; a new one revokes the old', () =>
  withAuth(async ({ auth, dir }) => {
    const file = join(dir, 'data', 'cli.token');
    await auth.writeCliToken(file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const first = readFileSync(file, 'utf8').trim();
    const p = await auth.token(first);
    const name = `cli@${hostname().replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 59)}`;
    assert.deepEqual([p?.kind, p?.actor, p?.role, p?.userId, p?.scope], ['token', `token:${name}`, 'operator', null, null]);

    await auth.writeCliToken(file);
    const second = readFileSync(file, 'utf8').trim();
    assert.notEqual(second, first);
    assert.equal(await auth.token(first), undefined, 'the earlier token is revoked');
    assert.ok(await auth.token(second));
    assert.deepEqual(readdirSync(join(dir, 'data')), ['cli.token'], 'no temporary file left behind');
    assert.deepEqual((await auth.tokens()).map((t) => [t.name, t.revokedAt === null]), [[name, false], [name, true]], 'the old one revoked, the new one live');
    await assert.rejects(auth.writeCliToken(join(file, 'under-a-file')), /cannot write the command line's token to .*under-a-file/);
  }));
