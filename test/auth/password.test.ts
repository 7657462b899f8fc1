/** Password hashes: scrypt round trip, wrong passwords, the encoding, and damaged hashes refused quietly. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../../src/auth/password.ts';

test('a hash verifies its own password and no other; two hashes of one password differ (salt)', async () => {
  const a = await hashPassword('correct horse battery staple');
  const b = await hashPassword('correct horse battery staple');
  assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword('correct horse battery staple', a), true);
  assert.equal(await verifyPassword('correct horse battery staple', b), true);
  assert.equal(await verifyPassword('correct horse battery stapl', a), false);
  assert.equal(await verifyPassword('Correct horse battery staple', a), false);
  assert.equal(await verifyPassword('', a), false);
  assert.equal(needsRehash(a), false);
});

test('non-ASCII passwords: the same text in another Unicode form still matches (NFC)', async () => {
  const h = await hashPassword('パスワードは秘密です'); // composed ド
  assert.equal(await verifyPassword('パスワードは秘密です'.normalize('NFD'), h), true);
});

test('a damaged, foreign or too costly hash is false, not an error', async () => {
  const good = await hashPassword('correct horse battery staple');
  const parts = good.split('$');
  for (const bad of ['', 'plain', '$2b$10$abcdefghijklmnopqrstuv', parts.slice(0, 5).join('$'), ['scrypt', 2 ** 24, 8, 1, parts[4], parts[5]].join('$'), ['scrypt', 1000, 8, 1, parts[4], parts[5]].join('$')])
    assert.equal(await verifyPassword('correct horse battery staple', bad), false, bad);
  assert.equal(await verifyPassword('x'.repeat(5000), good), false, 'an endless password is not hashed whole');
  assert.equal(needsRehash('scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(43)), true);
});

test('the dummy hash for unknown names costs about what a real verify costs', async () => {
  const real = await hashPassword('correct horse battery staple');
  const dummy = await dummyHash();
  const time = async (h: string) => {
    const t = performance.now();
    for (let i = 0; i < 3; i++) await verifyPassword('guess guess guess', h);
    return performance.now() - t;
  };
  await time(dummy);
  const [r, d] = [await time(real), await time(dummy)];
  assert.ok(d > r * 0.5 && d < r * 2, `real ${r.toFixed(0)} ms, dummy ${d.toFixed(0)} ms`);
});

test('hashing runs off the event loop: timers keep firing during a hash', async () => {
  let ticks = 0;
  const t = setInterval(() => ticks++, 5);
  await Promise.all([hashPassword('one two three four'), hashPassword('five six seven eight')]);
  clearInterval(t);
  assert.ok(ticks >= 3, `only ${ticks} timer ticks during two hashes`);
});
