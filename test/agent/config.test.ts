/**
 * The agent's config: the example in docs/agent.md loads, the fences default shut, and a
 * credentials file is taken only when it is the agent user's alone.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CredentialsFileError, parseAgentConfig, readCredentialsFile } from '../../src/agent/config.ts';
import { readOnlyInspections } from '../../src/agent/inspections.ts';
import { ConfigError } from '../../src/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-agent-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the example in docs/agent.md is a valid agent config', () => {
  const page = readFileSync(new URL('../../docs/agent.md', import.meta.url), 'utf8');
  const yaml = page.match(/```yaml\n([\s\S]*?)```/)?.[1];
  assert.ok(yaml, 'docs/agent.md has a yaml block');
  const config = parseAgentConfig(yaml, 'docs/agent.md');
  assert.deepEqual(config.allow_actions, ['start-service', 'reload-service']);
  assert.equal(config.services[0]!.name, 'apache2');
  assert.equal(config.heartbeat, 5000);
});

test('deny by default: no action is allowed, and every read-only inspection is', () => {
  const config = parseAgentConfig('name: web1\n', 'agent.yaml');
  assert.deepEqual(config.allow_actions, []);
  assert.deepEqual(config.allow_inspections, readOnlyInspections);
  assert.ok(config.allow_inspections.includes('listening'));
});

test('problems are reported all at once, with their paths', () => {
  const text = 'name: "web 1"\nallow_actions: [rm-rf]\nnats: { password_file: /etc/pw }\n';
  const e = (() => {
    try {
      parseAgentConfig(text, 'agent.yaml');
    } catch (err) {
      return err;
    }
  })();
  assert.ok(e instanceof ConfigError);
  const lines = e.problems.map((p) => `${p.path}: ${p.message}`);
  assert.ok(lines.some((l) => /^name: expected letters, digits/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => l === 'nats.user: password_file needs the user it belongs to'), lines.join('\n'));
  assert.ok(lines.some((l) => l === 'allow_actions[0]: expected one of: "start-service", "restart-service", "reload-service", "raise-worker-limit", "raise-worker-limit-restart"; got "rm-rf"'), lines.join('\n'));
  // Checks across entries run once each entry is valid.
  assert.throws(() => parseAgentConfig('name: web1\nservices: [{ name: a }, { name: a }]\n', 'agent.yaml'), /services\[1\]\.name: service "a" is described twice/);
});

test('a credentials file is read only when it is the agent user\'s alone', () => {
  const file = join(dir, 'pw');
  writeFileSync(file, 'pw\n');
  for (const mode of [0o644, 0o640, 0o604, 0o660]) {
    chmodSync(file, mode);
    assert.throws(() => readCredentialsFile(file), (e: unknown) => e instanceof CredentialsFileError && e.message.includes(`has mode 0${mode.toString(8)}`) && e.message.endsWith(`run: chmod 600 ${file}`));
  }
  chmodSync(file, 0o600);
  assert.equal(readCredentialsFile(file).toString(), 'pw\n');
  chmodSync(file, 0o400);
  assert.equal(readCredentialsFile(file).toString(), 'pw\n');
  const uid = process.getuid!();
  assert.throws(() => readCredentialsFile(file, uid + 1), (e: unknown) => e instanceof CredentialsFileError && e.message.includes(`owned by uid ${uid}, not by the agent's user (uid ${uid + 1})`));
  assert.throws(() => readCredentialsFile(dir), /is not a regular file/);
  assert.throws(() => readCredentialsFile(join(dir, 'missing')), /cannot open the credentials file .*ENOENT/);
});
