/**
 * known_hosts matching held against OpenSSH's own: for each name, `ssh-keygen -F NAME` says
 * whether the file knows it, and our verdict must agree (plain, `[host]:port`, wildcards,
 * negation, case, and the same file hashed by `ssh-keygen -H`).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fingerprint, lookupName, parseKnownHosts, verifyHostKey } from '../../src/executors/ssh-known-hosts.ts';
import { needs } from '../helpers/prereq.ts';

describe('known_hosts matching, side by side with ssh-keygen -F', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-kh-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const key = (name: string) => {
    const file = join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
    const [type, b64] = readFileSync(`${file}.pub`, 'utf8').split(' ');
    return { line: `${type} ${b64}`, blob: Buffer.from(b64!, 'base64'), file };
  };

  const cases: [host: string, port: number][] = [
    ['a.invalid', 22],
    ['10.0.0.1', 22],
    ['b.invalid', 22],
    ['b.invalid', 2222],
    ['a.invalid', 2222],
    ['x.w.invalid', 22],
    ['bad.w.invalid', 22],
    ['c1.invalid', 22],
    ['c12.invalid', 22],
    ['A.INVALID', 22],
    ['nowhere.invalid', 22],
  ];

  for (const hashed of [false, true]) {
    test(`${hashed ? 'hashed' : 'plain'} names: known exactly when ssh-keygen -F finds them`, (t) => {
      if (needs(t, { commands: ['ssh-keygen'] })) return;
      const k = key(`k-${hashed}`);
      const file = join(dir, `known_hosts-${hashed}`);
      const names = ['# a comment', `a.invalid,10.0.0.1 ${k.line}`, `[b.invalid]:2222 ${k.line}`];
      const wildcards = [`*.w.invalid,!bad.w.invalid ${k.line}`, `c?.invalid ${k.line}`, 'garbage line', ''];
      writeFileSync(file, [...names, ...(hashed ? [''] : wildcards)].join('\n'));
      // ssh-keygen -H cannot hash wildcard patterns: a hashed file keeps those lines in clear.
      if (hashed) {
        execFileSync('ssh-keygen', ['-q', '-H', '-f', file]);
        assert.match(readFileSync(file, 'utf8'), /^\|1\|/m);
        writeFileSync(file, readFileSync(file, 'utf8') + wildcards.join('\n'));
      }
      const entries = parseKnownHosts(readFileSync(file, 'utf8'));
      for (const [host, port] of cases) {
        // ssh lowercases the host name before it looks it up (ssh-keygen -F does not).
        const name = port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
        const openssh = spawnSync('ssh-keygen', ['-F', name, '-f', file]).status === 0;
        const ours = verifyHostKey(entries, file, host, port, k.blob).ok;
        assert.equal(ours, openssh, `${name}: ours ${ours}, ssh-keygen -F ${openssh}`);
      }
    });
  }

  test('a different key for a known name is a mismatch; a revoked key is refused even when listed', (t) => {
    if (needs(t, { commands: ['ssh-keygen'] })) return;
    const right = key('right');
    const wrong = key('wrong');
    const entries = parseKnownHosts(`h.invalid ${right.line}\n`);
    const v = verifyHostKey(entries, '/kh', 'h.invalid', 22, wrong.blob);
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.kind, 'host-key-mismatch');
    // The fingerprint printed is the one ssh-keygen -l prints for the presented key.
    const keygen = execFileSync('ssh-keygen', ['-l', '-f', `${wrong.file}.pub`], { encoding: 'utf8' }).split(' ')[1];
    assert.equal(fingerprint(wrong.blob), keygen);
    assert.ok(!v.ok && v.message.includes(keygen!));
    const revoked = parseKnownHosts(`h.invalid ${right.line}\n@revoked * ${right.line}\n`);
    const r = verifyHostKey(revoked, '/kh', 'h.invalid', 22, right.blob);
    assert.equal(!r.ok && r.kind, 'host-key-revoked');
    assert.equal(lookupName('H.invalid', 2200), '[h.invalid]:2200');
  });
});
