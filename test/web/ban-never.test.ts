/**
 * A ban by hand through the API obeys the never-ban rules the guard obeys: loopback, this
 * machine, guard.allow and addresses that cannot be an attacker are refused with the reason, and
 * nothing reaches the store; an attacker's address is still banned.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_PASSWORD, login, startConsole, withSession } from './console.ts';

test('POST /api/v1/bans refuses what must never be banned, with the reason; an attacker is banned', async () => {
  const con = await startConsole({ extraConfig: 'guard: { firewall: { type: dry-run }, allow: [198.51.100.0/24] }\n' });
  try {
    const admin = await login(con.url, 'admin', ADMIN_PASSWORD);
    const ban = (address: string) => fetch(`${con.url}/api/v1/bans`, withSession(admin, { method: 'POST', json: { address, for_seconds: 60, reason: 'by hand' } }));
    for (const [address, why] of [
      ['127.0.0.1', /allowed \(loopback\)/],
      ['198.51.100.9', /allowed \(allow: 198\.51\.100\.0\/24\)/],
      ['224.0.0.1', /multicast/],
    ] as const) {
      const r = await ban(address);
      assert.equal(r.status, 400, address);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'invalid');
      assert.match(body.error.message, /^not banning /);
      assert.match(body.error.message, why);
    }
    const list = async () => ((await (await fetch(`${con.url}/api/v1/bans`, withSession(admin))).json()) as { address: string }[]).map((b) => b.address);
    assert.deepEqual(await list(), [], 'nothing stored');
    assert.equal((await ban('203.0.113.61')).status, 201);
    assert.deepEqual(await list(), ['203.0.113.61']);
  } finally {
    await con.stop();
  }
});
