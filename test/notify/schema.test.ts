/** Channel options: bad addresses, URLs and unknown keys are config errors at the right path. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { z } from 'zod';
import { formatPath } from '../../src/config/problems.ts';
import { notifiers } from '../../src/notify/index.ts';

function problems(schema: z.ZodType, input: unknown): string[] {
  const r = schema.safeParse(input);
  assert.equal(r.success, false, 'expected a config error');
  return r.error!.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

const mail = { host: 'smtp.example.jp', from: 'mamoru@example.jp', to: ['ops@example.jp'] };

test('every channel in the registry is named after its type', () => {
  assert.deepEqual(Object.keys(notifiers).sort(), ['chatwork', 'discord', 'email', 'slack', 'teams', 'webhook']);
  for (const [key, def] of Object.entries(notifiers)) assert.equal(def.type, key);
});

test('email: a bad recipient address is an error at its index', () => {
  assert.deepEqual(problems(notifiers.email.schema, { ...mail, to: ['ops@example.jp', 'not-an-address'] }), ['to[1]: expected an e-mail address like ops@example.com']);
});

test('email: a bad sender, no recipients and an unknown tls mode, all at once', () => {
  const p = problems(notifiers.email.schema, { ...mail, from: 'mamoru', to: [], tls: 'ssl' });
  assert.equal(p.length, 3, p.join('\n'));
  assert.ok(p.includes('from: expected an e-mail address like ops@example.com'), p.join('\n'));
  assert.ok(p.includes('to: expected at least one recipient'), p.join('\n'));
  assert.ok(p.some((x) => x.startsWith('tls: ')), p.join('\n'));
});

test('email: a user name without a password secret', () => {
  assert.deepEqual(problems(notifiers.email.schema, { ...mail, username: 'alert' }), ['password_secret: username and password_secret go together']);
});

test('email: defaults are STARTTLS with certificate checks', () => {
  const o = notifiers.email.schema.parse(mail);
  assert.equal(o.tls, 'starttls');
  assert.equal(o.tls_verify, true);
  assert.equal(o.timeout, 10_000);
});

test('webhook: a non-URL and a non-http URL are errors at url', () => {
  assert.deepEqual(problems(notifiers.webhook.schema, { url: 'hooks.example.com/x' }), ['url: expected an http:// or https:// URL']);
  assert.deepEqual(problems(notifiers.webhook.schema, { url: 'ftp://hooks.example.com/x' }), ['url: expected an http:// or https:// URL']);
});

test('an unknown key is an error naming the key, for every channel', () => {
  const valid: Record<string, object> = {
    email: mail,
    webhook: { url: 'https://hooks.example.com/x' },
    slack: { url_secret: 's' },
    discord: { url_secret: 's' },
    teams: { url_secret: 's' },
    chatwork: { room_id: 1, token_secret: 't' },
  };
  for (const [type, def] of Object.entries(notifiers)) {
    assert.equal(def.schema.safeParse(valid[type]).success, true, type);
    const r = def.schema.safeParse({ ...valid[type], webhook_url: 'https://x.example' });
    assert.equal(r.success, false, type);
    const issue = r.error!.issues[0]!;
    assert.equal(issue.code, 'unrecognized_keys', type);
    assert.deepEqual((issue as { keys: string[] }).keys, ['webhook_url'], type);
  }
});

test('slack: the URL itself is not an option (it is a credential: url_secret)', () => {
  const r = notifiers.slack.schema.safeParse({ url: 'https://hooks.slack.com/services/T/B/X' });
  assert.equal(r.success, false);
  assert.deepEqual(r.error!.issues.map((i) => formatPath(i.path)).sort(), ['', 'url_secret'].sort());
});

test('chatwork: a room id must be digits; api_url must be a URL', () => {
  assert.deepEqual(problems(notifiers.chatwork.schema, { room_id: 'ops-room', token_secret: 't' }), ['room_id: expected a room id (digits)']);
  assert.deepEqual(problems(notifiers.chatwork.schema, { room_id: 1, token_secret: 't', api_url: 'localhost' }), ['api_url: expected an http:// or https:// URL']);
});
