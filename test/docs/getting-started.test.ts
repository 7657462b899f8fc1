/**
 * docs/getting-started.md stays true: every YAML block on it loads with the real config loader,
 * and the commands that can run here print what the page shows (the blocks after
 * `<!-- getting-started: NAME -->`): `config validate` of the page's config, `check tcp` against a
 * loopback listener this test opens (port and timings aside), the config and ssh sections of
 * `doctor`, and the config-dependent lines of `install-service --print`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.ts';
import { mamoru } from '../helpers/cli.ts';

const PAGE = readFileSync(new URL('../../docs/getting-started.md', import.meta.url), 'utf8');

/** The fenced block after `<!-- getting-started: NAME -->`. */
function block(name: string): string {
  const m = new RegExp(`<!-- getting-started: ${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\`\\n`).exec(PAGE);
  assert.ok(m, `docs/getting-started.md has no block "${name}"`);
  return m[1]!;
}

/** The sections of a `mamoru doctor` printout by heading (a heading is a line without indent). */
function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(/\n\n+/)) {
    const [head, ...rest] = part.split('\n');
    if (head && !head.startsWith(' ') && rest.length > 0) out.set(head, rest.join('\n').trimEnd());
  }
  return out;
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-getting-started-'));
  writeFileSync(join(dir, 'mamoru.yaml'), block('config'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('every YAML block on the page is a config mamoru loads', () => {
  const blocks = [...PAGE.matchAll(/```yaml\n([\s\S]*?)```\n/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 1);
  blocks.forEach((b, i) => assert.doesNotThrow(() => parseConfig(b, `docs/getting-started.md (yaml ${i + 1})`)));
  const cfg = parseConfig(block('config'), 'docs/getting-started.md');
  // What the page promises the config does.
  assert.deepEqual(cfg.targets.map((t) => t.name), ['mail1', 'web1', 'web2']);
  assert.equal(cfg.guard.jails[0]!.name, 'pop3');
  assert.ok(cfg.contacts.some((c) => c.language === 'ja' && c.channels.some((ch) => ch.type === 'email')));
});

test('config validate prints what the page shows', async () => {
  const r = await mamoru(['config', 'validate', 'mamoru.yaml'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, block('validate'));
});

test('check tcp against a listening port prints what the page shows (port and timings aside)', async () => {
  const server = net.createServer((s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const r = await mamoru(['check', 'tcp', '-H', '127.0.0.1', '-p', String(port)]);
    assert.equal(r.code, 0, r.stderr);
    const shape = (s: string, p: string) => s.split(`port ${p}`).join('port PORT').replace(/\d+\.\d+/g, 'N');
    assert.equal(shape(r.stdout, String(port)), shape(block('check tcp'), '110'));
  } finally {
    server.close();
  }
});

test("doctor's config and ssh sections are what the page shows", async () => {
  assert.ok(!existsSync('/etc/mamoru/id_ed25519') && !existsSync('/etc/mamoru/known_hosts'), 'this test expects no /etc/mamoru/id_ed25519 or known_hosts on the test machine');
  const r = await mamoru(['doctor', '-c', 'mamoru.yaml', '--timeout', '1'], { cwd: dir });
  assert.equal(r.code, 1, 'doctor exits 1 while there is a ✗');
  const got = sections(r.stdout);
  for (const [head, body] of sections(block('doctor'))) assert.equal(got.get(head), body, `doctor's ${head} section differs from the page`);
});

test('install-service --print shows the lines the page shows for this config', async () => {
  const config = join(dir, 'mamoru.yaml');
  const r = await mamoru(['install-service', '--print', '-c', config]);
  assert.equal(r.code, 0, r.stderr);
  const unit = r.stdout.split(config).join('/etc/mamoru/mamoru.yaml').replace(/^ExecStart=\S+ \S+ /m, 'ExecStart=NODE BIN ');
  const lines = new Set(unit.split('\n'));
  for (const line of block('unit').trimEnd().split('\n')) {
    const want = line.replace(/^ExecStart=\S+ \S+ /, 'ExecStart=NODE BIN ');
    assert.ok(lines.has(want), `install-service --print has no line "${line}"`);
  }
});
