/**
 * Strict config (issue 16): a corpus of mutated configs, made from one valid config by changing
 * one field at a time (zero, negative, huge, not a number, bad address, unknown filter, duplicate
 * name, ...), goes through `config validate`'s path (parseConfig) and through a JSON Schema
 * validator (ajv, draft 2020-12) over what `mamoru config schema` prints. Each case must get the
 * same verdict from both, except the cross-field rules a JSON Schema cannot state, listed below
 * with their reason. Then the bad inputs the issue found, through the real CLI: exit 2, the
 * file:line of the problem, a sentence, never a stack.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseDocument, stringify } from 'yaml';
import { ConfigError } from '../../src/core/errors.ts';
import { parseConfig } from '../../src/config/load.ts';
import { planChecks } from '../../src/config/checks.ts';
import { mamoru } from '../helpers/cli.ts';

// ajv and ajv-formats are CommonJS; require keeps their default exports callable under NodeNext.
const require = createRequire(import.meta.url);
const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;

const dir = mkdtempSync(join(tmpdir(), 'mamoru-strict-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A valid config touching every bounded field the corpus mutates. */
const base = {
  secrets: { hook: { env: 'MAMORU_TEST_HOOK' } },
  defaults: { interval: '1m', retry_interval: '15s', recheck_delay: '500ms', max_attempts: 3, timeout: '10s' },
  scheduler: { concurrency: 64, per_host_concurrency: 4, jitter: 0.1 },
  store: { type: 'sqlite', path: ':memory:', retention_raw: '48h' },
  web: { enabled: true, host: '127.0.0.1', port: 8484, insecure_http: true, body_limit: 1048576 },
  auth: { session_idle: '30m', session_max: '12h', login_limit: { per_address: 10, per_user: 10, window: '15m' } },
  targets: [
    {
      name: 'web1',
      address: '192.0.2.10',
      checks: [
        { type: 'tcp', port: 22, interval: '30s', timeout: '5s' },
        { type: 'tcp', name: 'smtp', port: 25 },
      ],
    },
    { name: 'db1', address: 'db1.example.com', parents: ['web1'], checks: [{ type: 'tcp', port: 3306 }] },
  ],
  contacts: [{ name: 'ops', channels: [{ type: 'webhook', url: 'https://hooks.example.com/x', signing_secret: 'hook' }] }],
  notifications: {
    settle: '1s',
    cool_down: '5m',
    reminder_interval: '0s',
    escalations: [{ after: '30m', level: 1 }],
    flapping: { window: 21, high: 50, low: 25 },
    delivery: { attempts: 5, base_delay: '1s', max_delay: '60s', max_total: '5m' },
  },
  downtimes: [{ targets: ['db1'], weekly: { days: ['sun'], time: '03:00', duration: '1h' } }],
  remediation: { wait: '2s' },
  guard: {
    firewall: { type: 'dry-run' },
    allow: ['10.0.0.0/8', '2001:db8:1::/48'],
    connection_table: { enabled: false, interval: '5s' },
    jails: [
      { name: 'ssh', filters: ['sshd'], sources: [{ type: 'file', paths: ['/var/log/auth.log'] }], max_retry: 5, find_time: '10m', ban_time: '10m', ban_time_increment: { factor: 2, max: '1w' }, max_tracked: 100000 },
      { name: 'mail', filters: ['dovecot', 'postfix-sasl'], sources: [{ type: 'file', paths: ['/var/log/mail.log'] }] },
    ],
    recidive: { max_bans: 3, find_time: '1d', ban_time: '1w' },
  },
};

type Path = (string | number)[];
interface Case {
  id: string;
  data: unknown;
}

function withValue(path: Path, value: unknown): unknown {
  const data = structuredClone(base) as Record<string | number, unknown>;
  let at = data;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1)!] = value;
  return data;
}

const show = (p: Path) => p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('').slice(1);
const cases: Case[] = [];
const add = (path: Path, value: unknown) => cases.push({ id: `${show(path)}=${JSON.stringify(value)}`, data: withValue(path, value) });

// Durations: zero, negative, huge (past any timer, past a safe integer, 1e308), words, empty,
// null, a unit out of its clock range, past the field's maximum; and two valid spellings.
const durationFields: Path[] = [
  ['defaults', 'interval'],
  ['defaults', 'retry_interval'],
  ['defaults', 'recheck_delay'],
  ['defaults', 'timeout'],
  ['targets', 0, 'checks', 0, 'interval'],
  ['targets', 0, 'checks', 0, 'timeout'],
  ['notifications', 'settle'],
  ['notifications', 'cool_down'],
  ['notifications', 'reminder_interval'],
  ['notifications', 'escalations', 0, 'after'],
  ['notifications', 'delivery', 'base_delay'],
  ['notifications', 'delivery', 'max_total'],
  ['downtimes', 0, 'weekly', 'duration'],
  ['remediation', 'wait'],
  ['auth', 'session_idle'],
  ['auth', 'login_limit', 'window'],
  ['guard', 'connection_table', 'interval'],
  ['guard', 'jails', 0, 'find_time'],
  ['guard', 'jails', 0, 'ban_time'],
  ['guard', 'jails', 0, 'ban_time_increment', 'max'],
  ['guard', 'recidive', 'ban_time'],
  ['store', 'retention_raw'],
];
const durationValues: unknown[] = [0, '0s', -1, '-5s', '99999999999999999999d', 1e308, 1180591620717411303424, 'soon', '', null, '1h90m', '400d', '1h', '2.5s', 90];
for (const f of durationFields) for (const v of durationValues) add(f, v);

// Counts: zero, negative, a fraction, huge, a number as text, past a safe integer, and a valid one.
const countFields: Path[] = [
  ['scheduler', 'concurrency'],
  ['scheduler', 'per_host_concurrency'],
  ['scheduler', 'jitter'],
  ['defaults', 'max_attempts'],
  ['targets', 0, 'checks', 0, 'port'],
  ['notifications', 'escalations', 0, 'level'],
  ['notifications', 'flapping', 'window'],
  ['notifications', 'delivery', 'attempts'],
  ['web', 'port'],
  ['web', 'body_limit'],
  ['auth', 'login_limit', 'per_address'],
  ['guard', 'jails', 0, 'max_retry'],
  ['guard', 'jails', 0, 'max_tracked'],
  ['guard', 'jails', 0, 'ban_time_increment', 'factor'],
  ['guard', 'recidive', 'max_bans'],
];
const countValues: unknown[] = [0, -1, 1.5, 1e308, '5', 2 ** 53 + 2, 3];
for (const f of countFields) for (const v of countValues) add(f, v);

// Addresses and names to listen on.
const addressValues: unknown[] = ['999.1.1.1', '1.2.3', '010.1.1.1', 'fe80::1%eth0', 'a_b.example', '-x.example.com', '', '0s', '1:2:3:4:5:6:7:8:9', 'x'.repeat(254), 42, 'mail.example.com', '2001:db8::1', '::ffff:192.0.2.1'];
for (const f of [['targets', 0, 'address'], ['targets', 1, 'address'], ['web', 'host']] as Path[]) for (const v of addressValues) add(f, v);

// The allow list: everything, nearly everything, not a network, and valid ones.
for (const v of ['0.0.0.0/0', '::/0', '10.0.0.0/7', '2001::/15', '1.2.3.4/33', '1.2.3.4/', 'nonsense', ' 192.0.2.1', '1.2.3.4/08', '::ffff:0.0.0.0/96', '::ffff:1.2.3.4/64', '10.0.0.0/8', '2001::/16', '192.0.2.0/24'])
  add(['guard', 'allow', 0], v);
cases.push({ id: 'guard.allow=["0.0.0.0/0"] with allow_everything', data: withValue(['guard'], { ...base.guard, allow: ['0.0.0.0/0', '::/0'], allow_everything: true }) });
cases.push({ id: 'guard.allow_everything="yes"', data: withValue(['guard'], { ...base.guard, allow_everything: 'yes' }) });
cases.push({ id: 'guard.ban_link_local=true', data: withValue(['guard'], { ...base.guard, ban_link_local: true }) });

// Filters by name.
for (const v of ['sshdd', '', 'SSHD', 42, 'dovecot']) add(['guard', 'jails', 0, 'filters', 0], v);
add(['guard', 'jails', 0, 'filters'], []);

// Names and references that only the whole config can check.
add(['targets', 1, 'name'], 'web1');
add(['guard', 'jails', 1, 'name'], 'ssh');
add(['targets', 0, 'checks', 1, 'name'], 'tcp');
add(['targets', 1, 'parents'], ['nowhere']);
add(['contacts', 0, 'channels', 0, 'signing_secret'], 'nosuch');
add(['guard', 'jails', 0, 'ban_time_increment', 'max'], '1m');
add(['notifications', 'flapping', 'low'], 60);
add(['targets', 0, 'name'], 'bad name');

cases.push({ id: 'web={host: 192.0.2.10, insecure_http: false}', data: withValue(['web'], { ...base.web, host: '192.0.2.10', insecure_http: false }) });

// Unknown keys and wrong shapes.
add(['defaults', 'intervall'], '1m');
add(['guard', 'jails', 0, 'bantime'], '1h');
add(['targets'], 'web1');
add(['guard', 'jails'], {});
add(['store', 'type'], 'oracle');

/**
 * Where the two cannot agree: rules across fields (or the whole file) that a zod refinement
 * checks and a JSON Schema cannot state. Each id, and why.
 */
const crossField: Record<string, string> = {
  'targets[1].name="web1"': 'unique target names (the JSON Schema has no uniqueness by property)',
  'guard.jails[1].name="ssh"': 'unique jail names (the JSON Schema has no uniqueness by property)',
  'targets[0].checks[1].name="tcp"': 'unique check names per target, where a check without a name is named by its type',
  'targets[1].parents=["nowhere"]': 'a parent must name another target',
  'contacts[0].channels[0].signing_secret="nosuch"': 'a *_secret option must name an entry of secrets:',
  'guard.jails[0].ban_time_increment.max="1m"': 'ban_time_increment.max must not be below ban_time (10m)',
  'guard.jails[0].ban_time_increment.max="2.5s"': 'ban_time_increment.max must not be below ban_time (10m)',
  'guard.jails[0].ban_time_increment.max=90': 'ban_time_increment.max must not be below ban_time (10m)',
  'notifications.flapping.low=60': 'flapping.low must be below flapping.high',
  'web={host: 192.0.2.10, insecure_http: false}': 'an address other than loopback needs web.tls or web.insecure_http: true',
  'guard.allow[0]="::ffff:0.0.0.0/96"': 'an IPv4-mapped IPv6 network is the IPv4 network 0.0.0.0/0 once parsed; the JSON Schema pattern sees a /96',
  'guard.allow[0]="::ffff:1.2.3.4/64"': 'an IPv4-mapped IPv6 network shorter than /96 has no IPv4 meaning; the pattern only sees a valid IPv6 network',
};

let validate: ((data: unknown) => boolean) & { errors?: unknown };
let schema: any;
before(async () => {
  const r = await mamoru(['config', 'schema'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  schema = JSON.parse(r.stdout);
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  // zod writes startsWith as a pattern and as this format, which ajv does not know: the pattern is enough.
  ajv.addFormat('starts_with', true);
  validate = ajv.compile(schema as object);
});

/** The zod path of `config validate`: parse, validate, plan. */
function zodVerdict(text: string): { ok: boolean; message?: string } {
  try {
    planChecks(parseConfig(text, 'corpus.yaml'));
    return { ok: true };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { ok: false, message: e.message };
  }
}

describe('config validate and config schema agree', () => {
  test('the base config is valid for both', () => {
    const text = stringify(base);
    assert.deepEqual(zodVerdict(text), { ok: true });
    assert.equal(validate(parseDocument(text).toJS()), true, JSON.stringify(validate.errors));
  });

  test('the JSON Schema states the bounds: durations as a number range or a pattern, addresses as a pattern, filters as an enum', () => {
    const interval = schema.properties.defaults.properties.interval;
    assert.deepEqual(interval.anyOf[0], { type: 'number', minimum: 0.1, maximum: 2_592_000 });
    assert.equal(interval.anyOf[1].type, 'string');
    assert.match(interval.anyOf[1].pattern, /^\^\(\?:/);
    assert.match(interval.description, /\(100ms to 30d\)$/);
    assert.ok(schema.properties.targets.items.properties.address.pattern);
    assert.ok(schema.properties.web.properties.host.pattern);
    const jail = schema.properties.guard.properties.jails.items;
    assert.ok(jail.properties.filters.items.enum.includes('sshd'));
    assert.ok(schema.properties.guard.properties.allow.items.pattern);
    assert.ok(schema.properties.guard.then, 'the allow_everything rule');
  });

  test(`the same verdict on every mutated config (${cases.length} cases), cross-field rules aside`, () => {
    assert.ok(cases.length >= 150, `${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.id)).size, cases.length, 'case ids are unique');
    const disagree: string[] = [];
    let refused = 0;
    for (const c of cases) {
      const text = stringify(c.data);
      const zod = zodVerdict(text);
      const json = validate(parseDocument(text).toJS());
      if (!zod.ok) refused++;
      if (zod.ok !== json) disagree.push(`${c.id}: config validate ${zod.ok ? 'accepts' : 'refuses'}, the JSON Schema ${json ? 'accepts' : 'refuses'}${zod.message ? ` (${zod.message.split('\n')[1]?.trim()})` : ''}`);
    }
    const ids = disagree.map((d) => d.slice(0, d.indexOf(': config validate')));
    const unexpected = disagree.filter((_, i) => !(ids[i]! in crossField));
    assert.deepEqual(unexpected, [], `verdicts differ where they should not:\n${unexpected.join('\n')}`);
    // Every listed exception is a real one: the list does not outlive the rule it excuses.
    assert.deepEqual(Object.keys(crossField).filter((id) => !ids.includes(id)), [], 'listed cases where both now agree');
    assert.ok(refused > cases.length / 2, `most cases are bad ones (${refused} of ${cases.length} refused)`);
    if (process.env.STRICT_SHOW) console.log(disagree.join('\n'));
    console.log(`# corpus: ${cases.length} cases, ${refused} refused by config validate, ${disagree.length} verdicts differ (all cross-field, listed)`);
  });

  test('a refusal in the corpus is a sentence with file:line, never a stack', () => {
    for (const c of cases) {
      const z = zodVerdict(stringify(c.data));
      if (z.ok) continue;
      assert.match(z.message!, /corpus\.yaml:\d+/, c.id);
      assert.doesNotMatch(z.message!, /\n\s+at /, c.id);
    }
  });
});
