/**
 * The text the ssh executor sends and the one line it parses back, without a server: the marker
 * with this run's nonce is found however the stream is cut, anything else that looks like a
 * marker stays ordinary output, and no pid of 1 or less ever reaches a kill line. The same
 * against a real sshd with a hostile login rc is in ssh.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { isSignallablePgid, markerNonce, PgidScanner, remoteCommandLine, remoteKillLine } from '../../src/executors/ssh-command.ts';

const NONCE = '0123456789abcdef0123456789abcdef';

/** Feeds `text` in chunks of `size` bytes; returns the output, the pgid and the refusals. */
function scan(text: string, size: number, nonce = NONCE): { out: string; pgid?: number; refused: string[] } {
  const refused: string[] = [];
  const s = new PgidScanner(nonce, (why) => refused.push(why));
  const bytes = Buffer.from(text, 'latin1');
  const out: Buffer[] = [];
  let pgid: number | undefined;
  for (let i = 0; i < bytes.length; i += size) {
    const r = s.push(bytes.subarray(i, i + size));
    out.push(r.out);
    if (r.pgid !== undefined) pgid = r.pgid;
  }
  out.push(s.end());
  return { out: Buffer.concat(out).toString('latin1'), refused, ...(pgid !== undefined ? { pgid } : {}) };
}

test('nonces are 32 hex characters and differ from run to run', () => {
  const seen = new Set(Array.from({ length: 100 }, () => markerNonce()));
  assert.equal(seen.size, 100);
  for (const n of seen) assert.match(n, /^[0-9a-f]{32}$/);
});

test('the marker with this run\'s nonce is found and removed, cut at any byte', () => {
  const text = `rc chatter\nmamoru-pgid-${NONCE} 4242\ncommand's own stderr\n`;
  for (const size of [1, 2, 3, 7, 50, 1000]) {
    assert.deepEqual(scan(text, size), { out: "rc chatter\ncommand's own stderr\n", pgid: 4242, refused: [] }, `chunks of ${size}`);
  }
  // After an rc file's unfinished line, too.
  assert.deepEqual(scan(`no newline here mamoru-pgid-${NONCE} 77\n`, 5), { out: 'no newline here ', pgid: 77, refused: [] });
});

test('forged and garbled markers stay ordinary output and are never taken for the pid', () => {
  const forged = [
    'mamoru-pgid 1\n',
    'mamoru-pgid 4242\n',
    'mamoru-pgid-ffffffffffffffffffffffffffffffff 1\n',
    `mamoru-pgid-${NONCE.slice(0, 31)} 4242\n`,
    `mamoru-pgid-${NONCE}x 4242\n`,
    `mamoru-pgid-${NONCE.toUpperCase()} 4242\n`,
  ].join('');
  for (const size of [1, 4, 1000]) assert.deepEqual(scan(forged, size), { out: forged, refused: [] }, `chunks of ${size}`);
});

test('our nonce with a pid that must not be signalled is refused, left in the output, and the real marker still found after it', () => {
  const bad = ['1', '0', '-1', '01', ' 12', '12 ', '+5', '1e3', '0x10', '99999999999', '4294967297', ''];
  const text = bad.map((b) => `mamoru-pgid-${NONCE} ${b}\n`).join('') + `mamoru-pgid-${NONCE} 3131\nafter\n`;
  for (const size of [1, 9, 4096]) {
    const r = scan(text, size);
    assert.equal(r.pgid, 3131, `chunks of ${size}`);
    assert.equal(r.out, bad.map((b) => `mamoru-pgid-${NONCE} ${b}\n`).join('') + 'after\n');
    assert.equal(r.refused.length, bad.length);
  }
  // No newline soon after: not a marker either.
  const long = scan(`mamoru-pgid-${NONCE} 12345678901234567890\n`, 3);
  assert.equal(long.pgid, undefined);
  assert.equal(long.refused.length, 1);
  // A stream that ends inside a marker gives its bytes back.
  assert.deepEqual(scan(`mamoru-pgid-${NONCE} 12`, 4), { out: `mamoru-pgid-${NONCE} 12`, refused: [] });
});

test('only the first valid marker counts; a second one is the command\'s own output', () => {
  const text = `mamoru-pgid-${NONCE} 500\nmamoru-pgid-${NONCE} 600\n`;
  assert.deepEqual(scan(text, 3), { out: `mamoru-pgid-${NONCE} 600\n`, pgid: 500, refused: [] });
});

test('a kill line is refused for any pid that is not above 1', () => {
  for (const n of [1, 0, -1, -4242, 1.5, NaN, Infinity, 2 ** 31]) {
    assert.equal(isSignallablePgid(n), false, String(n));
    assert.throws(() => remoteKillLine(n, 'KILL'), RangeError);
  }
  assert.equal(remoteKillLine(4242, 'TERM'), 'kill -s TERM -- -4242 2>/dev/null; kill -s TERM 4242 2>/dev/null; exit 0');
});

test('the command line prints the marker with the nonce, and a shell runs it as written', () => {
  const line = remoteCommandLine(['printf', '%s|', 'a b', "it's"], 5000, NONCE);
  const r = execFileSync('sh', ['-c', `${line}`, 'sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(r, "a b|it's|");
  const withErr = execFileSync('sh', ['-c', `(${line}) 2>&1 >/dev/null`], { encoding: 'utf8' });
  assert.match(withErr, new RegExp(`^mamoru-pgid-${NONCE} [1-9][0-9]*\\n$`));
  assert.throws(() => remoteCommandLine(['true'], 1000, "x'; reboot; '"), RangeError);
});
