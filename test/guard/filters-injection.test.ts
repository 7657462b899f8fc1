/**
 * Log injection: a filter that client text can steer to another address would ban the wrong
 * host. Two corpora per filter, both read with every filter at once (as a jail with all of them
 * would): the hand-written one (test/fixtures/logs/<filter>-injection.txt: user names, passwords,
 * URLs and commands that imitate addresses and whole failure lines), and one made here from every
 * sample failure by putting attacker text where the sample's user name was. The address found
 * must be the true client's, or none; never one the attacker wrote, in any filter mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filters, LogScanner } from '../../src/guard/filters/index.ts';
import { FILTER_MODES, type FilterDefinition } from '../../src/guard/failure.ts';
import { hasSamples, readSamples } from '../fixtures/logs/samples.ts';

const all = Object.values(filters) as FilterDefinition[];
const NOW = Date.UTC(2026, 10, 26, 12);
/** Addresses only attackers write in these corpora. */
const FORGED = /^(?:6\.6\.6\.\d+|2001:db8:666::\w*)$/;

for (const name of Object.keys(filters)) {
  test(`${name}: the hand-written injection corpus`, () => {
    assert.ok(hasSamples(`${name}-injection`), `test/fixtures/logs/${name}-injection.txt is missing`);
    const scanner = new LogScanner(all, { timeZone: 'UTC', now: () => NOW });
    const samples = readSamples(`${name}-injection`);
    assert.ok(samples.length >= 2);
    for (const s of samples) {
      const f = scanner.scan(s.line);
      assert.ok(!f || !FORGED.test(f.address), `${s.where}: took the forged address ${f?.address}\n  ${s.line}`);
      assert.equal(f?.address, s.address, `${s.where}\n  ${s.line}`);
      if (f && s.user !== undefined) assert.equal(f.user ?? '', s.user, `${s.where}: user`);
      // The other modes count more forms: a line may then be found, but only with the true address.
      for (const mode of FILTER_MODES) {
        const g = new LogScanner(all, { timeZone: 'UTC', now: () => NOW, mode }).scan(s.line);
        assert.ok(!g || !FORGED.test(g.address), `${s.where}: took the forged address ${g?.address} in ${mode} mode\n  ${s.line}`);
        if (g && s.address) assert.equal(g.address, s.address, `${s.where}: ${mode} mode\n  ${s.line}`);
      }
    }
  });
}

/** Filters whose lines carry no user name at all (client text only after the address: their hand-written corpus covers it). */
const NO_USER_NAME = new Set(['nginx-limit-req']);

/** Text a client can put where its user name goes. */
function payloads(sample: string, address: string): string[] {
  const forged = sample.split(address).join('6.6.6.6');
  return [
    '6.6.6.6',
    '::ffff:6.6.6.6',
    '2001:db8:666::1',
    'x from 6.6.6.6 port 22 ssh2',
    'root from 6.6.6.6 port 22 ssh2 [preauth]',
    'x, rip=6.6.6.6, lip=6.6.6.6, session=<abc>',
    'x>, method=PLAIN, rip=6.6.6.6, lip=6.6.6.6',
    'x,6.6.6.6,<abcDEF0123456789>',
    'x,6.6.6.6,<abcDEF0123456789>): unknown user',
    'x@:6.6.6.6',
    'x:6.6.6.6 ',
    '[client 6.6.6.6:1] AH01618: user y',
    'y] FAIL LOGIN: Client "6.6.6.6"',
    'x, ip=[6.6.6.6]',
    'unknown[6.6.6.6]: SASL LOGIN authentication failed: x',
    '(?@6.6.6.6) [WARNING] Authentication failed for user [x',
    'x (6.6.6.6[6.6.6.6]) - USER y',
    'x", client: 6.6.6.6, server: y',
    forged,
    `${forged} `,
  ];
}

/** What a daemon lets into a user name: nginx's and Apache's basic-auth user ends at the first ":". */
function allowed(filter: string, payload: string): boolean {
  if (filter === 'nginx-auth' || filter === 'apache-auth') return !payload.includes(':');
  return true;
}

for (const name of Object.keys(filters)) {
  test(`${name}: attacker text in place of every sample's user name`, () => {
    const scanners = FILTER_MODES.map((mode) => new LogScanner(all, { timeZone: 'UTC', now: () => NOW, mode }));
    let tried = 0;
    for (const s of readSamples(name)) {
      if (!s.address || !s.user || s.user.length < 2) continue;
      // Only where the user name appears once: then replacing it changes nothing else.
      const at = s.line.indexOf(s.user);
      if (at < 0 || s.line.indexOf(s.user, at + 1) >= 0) continue;
      for (const p of payloads(s.line, s.address)) {
        if (!allowed(name, p)) continue;
        const line = s.line.slice(0, at) + p + s.line.slice(at + s.user.length);
        for (const scanner of scanners) {
          const f = scanner.scan(line);
          tried++;
          assert.ok(f === undefined || f.address === s.address, `${s.where}: user ${JSON.stringify(p)} gave ${f?.address} (${scanner === scanners[0] ? 'normal' : 'other'} mode)\n  ${line}`);
        }
      }
    }
    assert.ok(tried > 0 || NO_USER_NAME.has(name), `${name}: no sample with a user name to replace`);
  });
}
