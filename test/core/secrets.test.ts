/** Secrets: read by name from a file or the environment, with errors that say what to set. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretsFrom, secretsFromEnv, SecretError } from '../../src/core/secrets.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { defineProbe } from '../../src/probes/types.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import { z } from 'zod';

test('from a file (trailing newline dropped) and from the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-secret-'));
  try {
    writeFileSync(join(dir, 'pw'), 's3cret pass\n');
    process.env.MAMORU_TEST_COMMUNITY = 'public-ish';
    const lookup = secretsFrom({ pop3: { file: join(dir, 'pw') }, snmp: { env: 'MAMORU_TEST_COMMUNITY' }, gone: { file: join(dir, 'nope') }, unset: { env: 'MAMORU_TEST_UNSET_VAR' } });
    assert.equal(lookup('pop3'), 's3cret pass');
    assert.equal(lookup('snmp'), 'public-ish');
    assert.throws(() => lookup('gone'), (e: SecretError) => e instanceof SecretError && /secret "gone": cannot read .*nope: ENOENT/.test(e.message));
    assert.throws(() => lookup('unset'), /secret "unset": environment variable MAMORU_TEST_UNSET_VAR is not set/);
    assert.throws(() => lookup('other'), /secret "other": not defined; add it under "secrets:"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    delete process.env.MAMORU_TEST_COMMUNITY;
  }
});

test('on the command line, MAMORU_SECRET_<NAME> holds secret NAME', () => {
  process.env.MAMORU_SECRET_POP3_USER = 'x';
  try {
    assert.equal(secretsFromEnv('pop3-user'), 'x');
    assert.throws(() => secretsFromEnv('other.one'), /set the environment variable MAMORU_SECRET_OTHER_ONE/);
  } finally {
    delete process.env.MAMORU_SECRET_POP3_USER;
  }
});

test('a probe reads its secret through its context; a missing one is UNKNOWN with the reason, not a crash', async () => {
  const probe = defineProbe({
    type: 'needs-secret',
    summary: 'test probe',
    schema: z.strictObject({ password_secret: z.string() }),
    async run(_t, o, ctx) {
      const pw = ctx.secret(o.password_secret);
      return { state: 0, text: `OK - got ${pw.length} characters`, perfdata: [] };
    },
  });
  const ok = await runCheck(probe, targetFromAddress('127.0.0.1'), { password_secret: 'a' }, { timeoutMs: 1000, secret: secretsFrom({ a: { env: 'HOME' } }) });
  assert.equal(ok.state, 0);
  assert.equal(ok.text, `OK - got ${process.env.HOME!.length} characters`);
  const missing = await runCheck(probe, targetFromAddress('127.0.0.1'), { password_secret: 'b' }, { timeoutMs: 1000, secret: secretsFrom({}) });
  assert.equal(missing.state, 3);
  assert.equal(missing.text, 'NEEDS-SECRET UNKNOWN - probe failed: secret "b": not defined; add it under "secrets:" in the config');
});
