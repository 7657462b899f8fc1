/**
 * The patterns the JSON Schema carries are exact: a duration pattern takes a text exactly when
 * its value (parseDuration) is within the bounds, for every spelling the grammar allows; the
 * address patterns take exactly what node:net takes as IPv4/IPv6 (no zone), and host names per
 * RFC 1123. Checked over many generated texts from a fixed seed.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { ADDRESS_PATTERN, CIDR_PATTERN, IPV6 } from '../../src/config/address.ts';
import { durationPattern, parseDuration } from '../../src/core/duration.ts';
import { duration } from '../../src/core/schema.ts';

/** mulberry32: the same texts every run. */
function seeded(seed: number): (n: number) => number {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const DAY = 86_400_000;
const bounds: [number, number][] = [
  [0, DAY],
  [100, 30 * DAY],
  [1, 3660 * DAY],
  [1000, 366 * DAY],
  [10, 3_600_000],
  [60_000, 7 * DAY],
  [1500, 2500],
];
const units = ['w', 'd', 'h', 'm', 's', 'ms'];
const natural = [7, 24, 60, 60, 1000];

test('a duration pattern takes a text exactly when its value is within the bounds', () => {
  const r = seeded(16);
  let checked = 0;
  for (let t = 0; t < 40_000; t++) {
    const [min, max] = bounds[r(bounds.length)]!;
    const re = new RegExp(durationPattern(min, max));
    let text: string;
    if (r(3) === 0) {
      // Seconds: bare, or with one to three decimals and an optional "s".
      const digits = 1 + r(3);
      text = r(2) ? String(r(5000)) : `${r(5000)}.${String(r(10 ** digits)).padStart(digits, '0')}${r(2) ? 's' : ''}`;
    } else {
      // The leading unit any size, the ones after it within their clock range.
      const lead = r(units.length);
      text = `${1 + r([1, 9, 59, 99, 366, 1000, 4000, 100_000][r(8)]!)}${units[lead]}`;
      for (let j = lead + 1; j < units.length; j++) if (r(2)) text += `${r(natural[j - 1]!)}${units[j]}`;
    }
    const ms = parseDuration(text);
    const want = ms >= min && ms <= max && !(ms === 0 && min > 0);
    assert.equal(re.test(text), want, `${text} (${ms} ms) within ${min}..${max}`);
    checked++;
  }
  assert.equal(checked, 40_000);
});

test('texts outside the grammar are refused with the reason, the bounds named', () => {
  const d = duration('test', { min: 100, max: 30 * DAY });
  const says = (v: unknown) => {
    const r = d.safeParse(v);
    return r.success ? `ok ${r.data}` : r.error.issues.map((i) => i.message).join('; ');
  };
  assert.equal(says('0s'), 'must be at least 100ms, got "0s"');
  assert.equal(says(0), 'must be at least 100ms (a bare number is seconds)');
  assert.equal(says('31d'), 'must be at most 30d, got "31d"');
  assert.equal(says('99999999999999999999d'), 'must be at most 30d, got "99999999999999999999d"');
  assert.equal(says(1e308), 'must be at most 30d (a bare number is seconds)');
  assert.match(says('1h90m'), /largest first, each unit after the first under its clock range/);
  assert.match(says('1.5h'), /whole units/);
  assert.match(says('soon'), /expected a duration like/);
  assert.equal(says('1h30m'), 'ok 5400000');
  assert.equal(says('2.5'), 'ok 2500');
  assert.equal(says(90), 'ok 90000');
  assert.equal(says('720h'), 'ok 2592000000');
  // Zero where zero means something.
  assert.equal(duration('x', { min: 0, max: DAY }).parse('0s'), 0);
});

test('the IPv6 pattern takes what node:net takes, zones aside', () => {
  const r = seeded(6);
  const re = new RegExp(`^${IPV6}$`);
  let valid = 0;
  for (let t = 0; t < 60_000; t++) {
    const groups = Array.from({ length: 1 + r(9) }, () => (r(4) ? r(65536).toString(16) : ''));
    let text = groups.join(':');
    if (r(4) === 0) text += `:${r(256)}.${r(256)}.${r(256)}.${r(256)}`;
    if (r(3) === 0) text = `${r(2) ? '::' : ''}${text}${r(2) ? '::' : ''}`;
    const want = net.isIPv6(text);
    if (want) valid++;
    assert.equal(re.test(text), want, text);
  }
  assert.ok(valid > 1000, `${valid} valid texts among them`);
});

test('addresses and networks', () => {
  const address = new RegExp(ADDRESS_PATTERN);
  for (const ok of ['192.0.2.10', '2001:db8::1', '::', '::ffff:192.0.2.1', 'mail.example.com', 'db1', 'localhost', 'a-b.c-d.example', `${'a'.repeat(63)}.example`])
    assert.equal(address.test(ok), true, ok);
  for (const bad of ['999.1.1.1', '1.2.3', '010.1.1.1', '1.2.3.4.5', 'fe80::1%eth0', 'a_b.example', '-x.example', 'x-.example', 'a..b', '', '12345', '1.2.3.4 ', `${'a'.repeat(64)}.example`, `${'a.'.repeat(127)}ab`])
    assert.equal(address.test(bad), false, bad);
  const cidr = new RegExp(CIDR_PATTERN);
  for (const ok of ['10.0.0.0/8', '192.0.2.1', '2001:db8::/32', '::/0', '1.2.3.4/32', '::1/128']) assert.equal(cidr.test(ok), true, ok);
  for (const bad of ['1.2.3.4/33', '1.2.3.4/', '1.2.3.4/08', '2001:db8::/129', 'example.com', '10.0.0.0/8 ']) assert.equal(cidr.test(bad), false, bad);
});
