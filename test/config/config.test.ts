/**
 * Config: each kind of mistake in a fixture file gives its exact message with file:line:column
 * and path; all problems are reported at once; a valid file plans the checks it describes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, parseConfig } from '../../src/config/load.ts';
import { planChecks } from '../../src/config/checks.ts';
import { configJsonSchema } from '../../src/config/schema.ts';
import { ConfigError, formatProblem } from '../../src/core/errors.ts';
import { probes } from '../../src/probes/index.ts';

const allTypes = Object.keys(probes).join(', ');

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/config/${name}`, import.meta.url));

function problemsOf(name: string): string[] {
  const file = fixture(name);
  try {
    loadConfigFile(file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e.problems.map((p) => formatProblem({ ...p, file: name }));
  }
  assert.fail(`${name} was accepted`);
}

test('a valid file plans every check with defaults filled in', () => {
  const { config } = loadConfigFile(fixture('valid.yaml'));
  const checks = planChecks(config);
  assert.deepEqual(
    checks.map((c) => c.id),
    ['router/ping', 'web1/tcp', 'web1/site', 'web1/disk', 'web1/load'],
  );
  const site = checks.find((c) => c.id === 'web1/site')!;
  assert.equal(site.intervalMs, 60_000, 'its own interval: 1m');
  assert.equal(site.timeoutMs, 5_000, 'timeout from defaults: 5s');
  assert.equal(site.retryIntervalMs, 15_000, 'retry interval from the built-in default');
  assert.equal(site.maxAttempts, 3);
  assert.equal(site.options.host_header, 'www.example.com');
  assert.equal(site.options.path, '/', 'probe default applied');
  assert.equal('interval' in site.options, false, 'common keys are not probe options');
  const tcp = checks.find((c) => c.id === 'web1/tcp')!;
  assert.equal(tcp.intervalMs, 30_000);
  assert.deepEqual(tcp.target, { name: 'web1', address: '127.0.0.1', parents: ['router'], tags: ['client-a'] });
  assert.equal(config.store.type, 'sqlite');
  assert.equal(config.web.host, '127.0.0.1', 'the web UI listens on loopback by default');
});

test('a misspelled key is an error with a suggestion, on its own line', () => {
  assert.deepEqual(problemsOf('unknown-key.yaml'), [
    'unknown-key.yaml:5:9: targets[0].checks[0].port: missing; expected a number',
    'unknown-key.yaml:6:9: targets[0].checks[0].portt: unknown key "portt"; did you mean "port"?',
  ]);
});

test('a key at the wrong indentation is reported where it stands and where it is missing', () => {
  assert.deepEqual(problemsOf('missing.yaml'), [
    'missing.yaml:5:9: targets[0].checks[0].port: missing; expected a number',
    'missing.yaml:6:5: targets[0].port: unknown key "port"; expected one of: name, address, parents, tags, executor, services, host_check, zones, quorum, agent, checks',
  ]);
});

test('bad values: every problem at once, each with what to write instead', () => {
  assert.deepEqual(problemsOf('bad-values.yaml'), [
    'bad-values.yaml:2:12: defaults.timeout: expected a duration like "10s", "5m", "1h30m" or "250ms", got "10 seconds"',
    `bad-values.yaml:7:15: targets[0].checks[0].type: unknown type "htp"; did you mean "http"? expected one of: ${allTypes}`,
    'bad-values.yaml:10:15: targets[0].checks[1].port: expected a number, got "eighty"',
    'bad-values.yaml:12:21: targets[0].checks[2].body_regex: not a valid regular expression: Invalid regular expression: /([a-z]/: Unterminated group',
    'bad-values.yaml:14:18: targets[0].checks[3].warning: expected "RTA,LOSS%" like "100,20%" (ms and percent)',
  ]);
});

test('references: duplicate names, unknown parents, parent loops', () => {
  assert.deepEqual(problemsOf('references.yaml'), [
    'references.yaml:4:14: targets[0].parents: parents form a loop back to "a"; a target cannot depend on itself',
    'references.yaml:8:11: targets[2].name: target name "a" is already used by targets[0]; names must be unique',
    'references.yaml:10:15: targets[2].parents[0]: unknown parent "nowhere"; expected the name of another target',
    'references.yaml:14:15: targets[2].checks[1].type: check "tcp" is already defined on target "a" (checks[0]); give each check of the same type its own "name"',
  ]);
});

test('secrets: only { env } or { file }, and every _secret option names a defined one', () => {
  assert.deepEqual(problemsOf('secret-source.yaml'), ['secret-source.yaml:2:8: secrets.bad: expected { env: VARIABLE } or { file: /path/to/file }']);
  // Cross-references are checked once every field is valid (zod runs them on a parsed config).
  assert.deepEqual(problemsOf('secrets.yaml'), [
    'secrets.yaml:9:56: targets[0].checks[1].password_secret: unknown secret "imap-user"; define it under "secrets:" with { env: VARIABLE } or { file: PATH }',
  ]);
});

test('YAML syntax errors and duplicate keys are placed on their line', () => {
  assert.deepEqual(problemsOf('yaml-syntax.yaml'), [
    'yaml-syntax.yaml:4:5: YAML: Map keys must be unique',
    'yaml-syntax.yaml:6:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ]);
});

test('a missing file says what to do', () => {
  assert.deepEqual(problemsOf('no-such-file.yaml'), [
    'no-such-file.yaml: cannot read the config: no such file; create it, or run "mamoru start" without a config to have one written for this machine',
  ]);
});

test('the top level must be a mapping, and an empty file is a valid empty config', () => {
  assert.throws(() => parseConfig('- a\n- b\n', 'list.yaml'), (e: ConfigError) => e.problems[0]!.message.startsWith('expected a mapping at the top'));
  const empty = parseConfig('', 'empty.yaml');
  assert.equal(empty.targets.length, 0);
  assert.equal(empty.defaults.interval, 60_000);
});

test('the JSON Schema describes every probe type and rejects unknown keys', () => {
  const schema = configJsonSchema() as any;
  const checks = schema.properties.targets.items.properties.checks.items;
  const types = checks.oneOf.map((o: any) => o.properties.type.const).sort();
  assert.deepEqual(types, Object.keys(probes).sort());
  assert.ok(types.includes('tcp') && types.includes('http'));
  const tcp = checks.oneOf.find((o: any) => o.properties.type.const === 'tcp');
  assert.equal(tcp.additionalProperties, false);
  assert.deepEqual(tcp.required.sort(), ['port', 'type']);
  assert.equal(schema.additionalProperties, false);
});

test('checks of the same definition share one options object; any difference, a pattern included, keeps its own', () => {
  const yaml = [
    'targets:',
    '  - name: a',
    '    address: 127.0.0.1',
    '    checks:',
    '      - { type: tcp, name: one, port: 9, interval: 30s }',
    '      - { type: tcp, name: two, port: 9 }',
    '      - { type: tcp, name: three, port: 10 }',
    '      - { type: http, name: ok, port: 8080, body_regex: "ok" }',
    '      - { type: http, name: healthy, port: 8080, body_regex: "healthy" }',
    '  - name: b',
    '    address: 127.0.0.2',
    '    checks:',
    '      - { type: tcp, name: one, port: 9 }',
    '      - { type: http, name: ok, port: 8080, body_regex: "ok" }',
  ].join('\n');
  const planned = new Map(planChecks(parseConfig(yaml, '<test>')).map((c) => [c.id, c]));
  const options = (id: string) => planned.get(id)!.options;
  // Same probe options (interval is the check's timing, not an option): one object.
  assert.equal(options('a/one'), options('a/two'));
  assert.equal(options('a/one'), options('b/one'));
  assert.equal(planned.get('a/one')!.intervalMs, 30_000);
  assert.equal(planned.get('a/two')!.intervalMs, 60_000);
  assert.notEqual(options('a/one'), options('a/three'));
  assert.equal(options('a/three').port, 10);
  assert.equal(options('a/ok'), options('b/ok'));
  assert.notEqual(options('a/ok'), options('a/healthy'));
  assert.notDeepEqual(options('a/ok').body_regex, options('a/healthy').body_regex);
  for (const c of planned.values()) assert.equal(Object.keys(c.options).some((k) => ['type', 'name', 'interval'].includes(k)), false);
});
