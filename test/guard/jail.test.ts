/**
 * The jail, table-driven with a fake time: bans at max_retry within find_time and not before,
 * the window slides, stale lines do not count, repeat offenders get longer bans up to the cap,
 * allowed addresses are refused with the reason, IPv6 by address or /64, connection-table
 * evidence raises severity but a SYN_RECV flood alone never bans, memory stays bounded.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AllowList } from '../../src/guard/allow.ts';
import { Jail, jailSchema, type JailDecision, type JailFailure } from '../../src/guard/jail.ts';

const T0 = Date.UTC(2026, 0, 19, 20, 38, 8);
const S = 1000;
const M = 60 * S;
const ATTACKER = '178.216.51.67';

function jail(options: Record<string, unknown> = {}, allow?: AllowList): Jail {
  return new Jail('pop3', jailSchema.parse({ filters: ['vpopmail'], ...options }), allow);
}

/** Records failures at offsets from T0 (ms), each at its own time; returns every decision. */
function feed(j: Jail, steps: { at: number; address?: string; time?: number }[]): JailDecision[] {
  return steps.map((s) => j.record({ address: s.address ?? ATTACKER, filter: 'vpopmail', ...(s.time !== undefined ? { time: T0 + s.time } : {}) }, T0 + s.at));
}

const every = (n: number, gap: number, from = 0) => Array.from({ length: n }, (_, i) => ({ at: from + i * gap }));

describe('jail options', () => {
  test('defaults', () => {
    const o = jailSchema.parse({ filters: ['dovecot'] });
    assert.equal(o.max_retry, 5);
    assert.equal(o.find_time, 10 * M);
    assert.equal(o.ban_time, 10 * M);
    assert.deepEqual(o.ban_time_increment, { factor: 2, max: 7 * 24 * 60 * M });
    assert.equal(o.prefix_v6, 128);
    assert.equal(o.port, undefined);
    assert.equal(o.proto, 'tcp');
    assert.equal(o.max_connections, undefined);
  });

  test('durations are written like everywhere else', () => {
    const o = jailSchema.parse({ filters: ['x'], find_time: '90s', ban_time: '1h', ban_time_increment: { factor: 3, max: '2d' } });
    assert.equal(o.find_time, 90 * S);
    assert.equal(o.ban_time, 60 * M);
    assert.deepEqual(o.ban_time_increment, { factor: 3, max: 2 * 24 * 60 * M });
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['no filter', { filters: [] }, /at least one filter/],
    ['unknown key', { filters: ['x'], maxretry: 3 }, /maxretry/],
    ['a /96 ban', { filters: ['x'], prefix_v6: 96 }, /prefix_v6/],
    ['a cap shorter than the first ban', { filters: ['x'], ban_time: '2h', ban_time_increment: { max: '1h' } }, /must not be shorter than ban_time/],
    ['a bad duration', { filters: ['x'], find_time: 'ten minutes' }, /expected a duration/],
    ['a bad port', { filters: ['x'], port: 70000 }, /port/],
  ];
  for (const [name, input, message] of bad)
    test(`refused: ${name}`, () => {
      const r = jailSchema.safeParse(input);
      assert.equal(r.success, false);
      assert.match(JSON.stringify(r.error!.issues), message);
    });
});

describe('jail decisions', () => {
  const cases: { name: string; options?: Record<string, unknown>; steps: { at: number; address?: string; time?: number }[]; bans: number[] }[] = [
    { name: 'max_retry failures within find_time ban on the last one', steps: every(5, 2 * S), bans: [4] },
    { name: 'one failure fewer does not ban', steps: every(4, 2 * S), bans: [] },
    { name: 'failures spread wider than find_time never add up', steps: every(12, 3 * M), bans: [] },
    { name: 'the window slides: the sixth failure bans once the first is out of it', steps: [{ at: 0 }, ...every(4, M, 9 * M), { at: 14 * M }], bans: [5] },
    { name: 'max_retry 1 bans at the first failure', options: { max_retry: 1 }, steps: [{ at: 0 }], bans: [0] },
    { name: 'failures logged long ago (a replayed old log) do not count', steps: every(6, S).map((s) => ({ ...s, at: 20 * M, time: s.at })), bans: [] },
    { name: 'failures of several addresses are counted apart', steps: every(8, S).map((s, i) => ({ ...s, address: i % 2 ? '198.51.100.1' : '198.51.100.2' })), bans: [] },
    { name: 'failures logged after the ban (still in flight) do not ban again', steps: every(9, S), bans: [4] },
  ];
  for (const c of cases)
    test(c.name, () => {
      const decisions = feed(jail(c.options), c.steps);
      assert.deepEqual(
        decisions.flatMap((d, i) => (d.ban ? [i] : [])),
        c.bans,
        JSON.stringify(decisions),
      );
    });

  test('the runbook story: vpopmail failures seconds apart ban 178.216.51.67 on tcp/110 for 10m', () => {
    const j = jail({ port: 110 });
    const d = feed(j, every(5, 3 * S));
    assert.deepEqual(
      d.map((x) => x.count),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(d[4]!.ban, {
      address: ATTACKER,
      until: T0 + 12 * S + 10 * M,
      banCount: 1,
      reason: 'pop3: 5 failures in 10m (vpopmail); banned on tcp/110 for 10m',
      severity: 'normal',
      port: 110,
      proto: 'tcp',
    });
    assert.equal(d[3]!.ban, undefined);
  });

  test('repeat offenders: each ban twice as long, up to the cap', () => {
    const j = jail({ ban_time: '10m', ban_time_increment: { factor: 2, max: '1h' } });
    const lengths: number[] = [];
    let now = 0;
    for (let round = 0; round < 5; round++) {
      const d = feed(j, every(5, S, now));
      const ban = d[4]!.ban!;
      assert.equal(ban.banCount, round + 1);
      lengths.push(ban.until - (T0 + now + 4 * S));
      now = ban.until - T0 + M; // come back after the ban ended
    }
    assert.deepEqual(lengths, [10 * M, 20 * M, 40 * M, 60 * M, 60 * M]);
    assert.equal(j.banDuration(3), 40 * M);
  });

  test('an allowed address is never banned: the refusal says why, once per threshold', () => {
    const allow = new AllowList({ allow: ['203.0.113.0/24'], allow_ssh_session: false }, { env: {}, interfaces: () => ({}) });
    const j = jail({}, allow);
    for (const address of ['203.0.113.9', '127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const d = feed(j, every(10, S).map((s) => ({ ...s, address })));
      assert.equal(d.filter((x) => x.ban).length, 0, address);
      const refused = d.filter((x) => x.refused);
      assert.equal(refused.length, 2, address);
      assert.match(refused[0]!.refused!, /reached 5 failures \(vpopmail\) but is not banned: .* is allowed \((allow: 203\.0\.113\.0\/24|loopback)\)/);
    }
  });

  test('an IPv6 /64 ban is refused when an allowed address shares the /64', () => {
    const allow = new AllowList({ allow: [], allow_ssh_session: true }, { env: { SSH_CONNECTION: '2001:db8:1:2::99 50000 2001:db8::1 22' }, interfaces: () => ({}) });
    const d = feed(jail({ prefix_v6: 64 }, allow), every(5, S).map((s) => ({ ...s, address: '2001:db8:1:2::bad' })));
    assert.equal(d[4]!.ban, undefined);
    assert.match(d[4]!.refused!, /2001:db8:1:2::\/64 is allowed \(operator's SSH session/);
  });

  test('IPv6: by address (/128) each address counts alone; with prefix_v6 64 the /64 counts together and is banned', () => {
    const rotating = every(5, S).map((s, i) => ({ ...s, address: `2001:db8:1:2::${i + 1}` }));
    assert.equal(feed(jail(), rotating).filter((d) => d.ban).length, 0);
    const d = feed(jail({ prefix_v6: 64 }), rotating);
    assert.equal(d[4]!.ban?.address, '2001:db8:1:2::/64');
  });

  test('an IPv4-mapped IPv6 address counts as the IPv4 address', () => {
    const d = feed(jail(), every(5, S).map((s, i) => ({ ...s, address: i % 2 ? `::ffff:${ATTACKER}` : ATTACKER })));
    assert.equal(d[4]!.ban?.address, ATTACKER);
  });

  test('text that is not an address is ignored, not counted', () => {
    const j = jail();
    for (const address of ['family@:178.216.51.67', '', '178.216.51.67; reboot', '10.0.0.0/8', 'localhost'])
      assert.match(j.record({ address }, T0).ignored!, /is not an IP address/);
    assert.deepEqual(j.size, { tracked: 0, offenders: 0, evidence: 0 });
  });
});

describe('jail evidence from the connection table', () => {
  test('a SYN_RECV flood alone never bans, however large and however long', () => {
    const j = jail({ max_connections: 3 });
    for (let i = 0; i < 2000; i++) {
      const d = j.evidence({ address: ATTACKER, state: 'SYN_RECV', count: 100 + i, port: 110 }, T0 + i * 100);
      assert.equal(d.ban, undefined);
    }
    assert.equal(j.severity(ATTACKER, T0 + 200 * S), 'high');
  });

  test('SYN_RECV evidence does not lower the threshold but makes the ban high severity and says so', () => {
    const j = jail({ port: 110 });
    j.evidence({ address: ATTACKER, state: 'SYN_RECV', count: 37, port: 110 }, T0);
    const d = feed(j, every(5, S));
    assert.equal(d[3]!.ban, undefined);
    assert.equal(d[4]!.ban?.severity, 'high');
    assert.equal(d[4]!.ban?.reason, 'pop3: 5 failures in 10m (vpopmail), 37 SYN_RECV on :110; banned on tcp/110 for 10m');
    // Evidence older than find_time no longer counts.
    const later = feed(j, every(5, S, 30 * M));
    assert.equal(later[4]!.ban?.severity, 'normal');
  });

  test('completed connections at or above max_connections count as failures and can ban', () => {
    const j = jail({ max_connections: 20, max_retry: 3 });
    const seen = (count: number, at: number) => j.evidence({ address: ATTACKER, state: 'ESTABLISHED', count, port: 80 }, T0 + at);
    assert.equal(seen(19, 0).ban, undefined);
    assert.equal(seen(25, S).ban, undefined);
    assert.equal(seen(25, 2 * S).ban, undefined);
    const d = seen(25, 3 * S);
    assert.equal(d.ban?.address, ATTACKER);
    assert.match(d.ban!.reason, /3 failures in 10m \(connections\), 25 ESTABLISHED on :80/);
    const off = jail();
    for (let i = 0; i < 50; i++) assert.equal(off.evidence({ address: ATTACKER, state: 'ESTABLISHED', count: 500 }, T0 + i * S).ban, undefined);
  });
});

describe('jail memory and restarts', () => {
  test('memory stays bounded under many addresses, and a spoofed flood does not push real counts out', () => {
    const j = jail({ max_tracked: 100 });
    feed(j, every(4, S));
    for (let i = 0; i < 20_000; i++) j.evidence({ address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, state: 'SYN_RECV', count: 1 }, T0 + 5 * S);
    for (let i = 0; i < 99; i++) j.record({ address: `192.0.2.${i}` } satisfies JailFailure, T0 + 5 * S);
    assert.ok(j.size.evidence <= 100 && j.size.tracked <= 100, JSON.stringify(j.size));
    assert.equal(j.record({ address: ATTACKER }, T0 + 6 * S).ban?.address, ATTACKER);
    for (let i = 0; i < 5000; i++) j.record({ address: `198.18.${(i >> 8) & 255}.${i & 255}` }, T0 + 7 * S);
    assert.ok(j.size.tracked <= 100, JSON.stringify(j.size));
  });

  test('remember() restores a running ban and the ban count from the store', () => {
    const j = jail({ ban_time: '10m' });
    j.remember(ATTACKER, 2, T0 + 5 * M, T0);
    const during = feed(j, every(5, S));
    assert.equal(during.filter((d) => d.ban).length, 0);
    assert.match(during[0]!.ignored!, /already banned until/);
    const after = feed(j, every(5, S, 6 * M));
    assert.equal(after[4]!.ban?.banCount, 3);
    assert.equal(after[4]!.ban!.until - (T0 + 6 * M + 4 * S), 40 * M);
    j.remember('2001:db8:1:2::/64', 1, undefined, T0);
  });

  test('unbanned() lets failures count again and keeps the ban count', () => {
    const j = jail();
    assert.ok(feed(j, every(5, S))[4]!.ban);
    j.unbanned(ATTACKER);
    const again = feed(j, every(5, S, M));
    assert.equal(again[4]!.ban?.banCount, 2);
  });
});

describe('the lines that earned a ban', () => {
  test('the last lines that counted go with the ban, oldest first, each cut to 300 characters', () => {
    const j = jail({ max_retry: 3 });
    const line = (i: number) => `Jan 19 20:38:0${i} mail vpopmail[${i}]: vchkpw-pop3: password fail (pass: 'x') user@example.jp:${ATTACKER}`;
    const long = 'x'.repeat(1000) + ATTACKER;
    const d = [1, 2, 3, 4].map((i) => j.record({ address: ATTACKER, filter: 'vpopmail', raw: i === 4 ? long : line(i) }, T0 + i * S));
    // The 3rd failure bans: its three lines go with it; the 4th is "already banned" and kept nowhere.
    assert.deepEqual(d[2]!.ban?.lines, [line(1), line(2), line(3)]);
    assert.equal(d[3]!.ban, undefined);
    const k = jail({ max_retry: 8 });
    let last: JailDecision | undefined;
    for (let i = 0; i < 8; i++) last = k.record({ address: ATTACKER, filter: 'vpopmail', raw: i === 7 ? long : line(i) }, T0 + i * S);
    assert.equal(last!.ban?.lines?.length, 5, 'five at most');
    assert.equal(last!.ban?.lines?.at(-1), long.slice(0, 300));
    assert.equal(last!.ban?.lines?.[0], line(3));
  });
});
