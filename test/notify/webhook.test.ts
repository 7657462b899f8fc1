/** webhook channel against a recording HTTP server on loopback: body, signature, failures, retries. */
import { createHmac } from 'node:crypto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deliver } from '../../src/notify/delivery.ts';
import webhook from '../../src/notify/webhook.ts';
import { context, jaMessage, message, never, recordingServer } from './peers.ts';

const create = (options: Record<string, unknown>, secrets: Record<string, string> = {}) =>
  webhook.create(webhook.schema.parse(options), context(secrets));

function verify(key: string, timestamp: string, body: string, header: string): boolean {
  return header === 'sha256=' + createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex');
}

test('posts the message as signed JSON that the receiver can verify with the shared secret', async () => {
  const peer = await recordingServer(() => ({ status: 204 }));
  try {
    const ch = create({ url: `${peer.url}/hooks/mamoru`, signing_secret: 'hook' }, { hook: 's3cret' });
    const r = await ch.send(jaMessage(), never());
    assert.equal(r.ok, true, r.error);
    assert.equal(r.status, 204);
    assert.equal(peer.requests.length, 1);
    const req = peer.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/hooks/mamoru');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    const body = JSON.parse(req.body);
    assert.equal(body.subject, '【障害】web1 の HTTP 応答がありません');
    assert.equal(body.incident_id, 'inc-42');
    assert.equal(body.event, 'open');
    assert.equal(body.severity, 'critical');
    assert.equal(body.language, 'ja');
    const ts = String(req.headers['x-mamoru-timestamp']);
    assert.match(ts, /^\d{10}$/);
    const sig = String(req.headers['x-mamoru-signature']);
    assert.equal(verify('s3cret', ts, req.body, sig), true);
    assert.equal(verify('wrong', ts, req.body, sig), false);
    assert.equal(verify('s3cret', String(Number(ts) + 1), req.body, sig), false, 'the timestamp is signed too');
  } finally {
    await peer.close();
  }
});

test('500 then 200: delivered on the second attempt, both attempts recorded', async () => {
  const peer = await recordingServer((_, i) => (i === 0 ? { status: 500, body: 'database is down' } : { status: 200 }));
  try {
    const ch = create({ url: peer.url });
    const rec = await deliver(ch, message(), { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 });
    assert.equal(rec.ok, true);
    assert.equal(rec.attempts.length, 2);
    assert.equal(rec.attempts[0]!.ok, false);
    assert.equal(rec.attempts[0]!.status, 500);
    assert.match(rec.attempts[0]!.error!, /HTTP 500: database is down/);
    assert.equal(rec.attempts[1]!.ok, true);
    assert.equal(rec.attempts[1]!.status, 200);
    assert.equal(peer.requests.length, 2);
  } finally {
    await peer.close();
  }
});

test('always 500: gives up after the set attempts with the reason', async () => {
  const peer = await recordingServer(() => ({ status: 503 }));
  try {
    const rec = await deliver(create({ url: peer.url }), message(), { attempts: 3, baseDelayMs: 5, maxDelayMs: 10 });
    assert.equal(rec.ok, false);
    assert.equal(rec.attempts.length, 3);
    assert.match(rec.error!, /HTTP 503.*gave up after 3 attempts/);
  } finally {
    await peer.close();
  }
});

test('a 404 is not retried: the URL is wrong, not the moment', async () => {
  const peer = await recordingServer(() => ({ status: 404, body: 'no such hook' }));
  try {
    const rec = await deliver(create({ url: peer.url }), message(), { attempts: 4, baseDelayMs: 5 });
    assert.equal(rec.ok, false);
    assert.equal(rec.attempts.length, 1);
    assert.match(rec.error!, /HTTP 404: no such hook/);
  } finally {
    await peer.close();
  }
});

test('a server that never answers: a timeout failure, not a hang', async () => {
  const peer = await recordingServer(() => 'hang');
  try {
    const r = await create({ url: peer.url, timeout: '300ms' }).send(message(), never());
    assert.equal(r.ok, false);
    assert.equal(r.retryable, true);
    assert.match(r.error!, /no answer from .* within 300 ms/);
  } finally {
    await peer.close();
  }
});

test('a redirect loop ends with a failure after a bounded number of requests', async () => {
  const peer = await recordingServer((req) => ({ status: 307, location: req.url === '/a' ? '/b' : '/a' }));
  try {
    const rec = await deliver(create({ url: `${peer.url}/a` }), message(), { attempts: 3, baseDelayMs: 5 });
    assert.equal(rec.ok, false);
    assert.match(rec.error!, /redirect loop/);
    assert.ok(peer.requests.length <= 4, `${peer.requests.length} requests`);
  } finally {
    await peer.close();
  }
});

test('an endless chain of new redirects stops at max_redirects', async () => {
  const peer = await recordingServer((_, i) => ({ status: 302, location: `/r${i + 1}` }));
  try {
    const r = await create({ url: `${peer.url}/r0`, max_redirects: 2 }).send(message(), never());
    assert.equal(r.ok, false);
    assert.match(r.error!, /more than 2 redirects/);
    assert.equal(peer.requests.length, 3);
  } finally {
    await peer.close();
  }
});

test('a same-site redirect is followed with the same signed POST', async () => {
  const peer = await recordingServer((req) => (req.url === '/old' ? { status: 308, location: '/new' } : { status: 200 }));
  try {
    const r = await create({ url: `${peer.url}/old`, signing_secret: 'k' }, { k: 'x' }).send(message(), never());
    assert.equal(r.ok, true, r.error);
    assert.equal(peer.requests[1]!.method, 'POST');
    assert.equal(peer.requests[1]!.url, '/new');
    assert.equal(peer.requests[1]!.body, peer.requests[0]!.body);
  } finally {
    await peer.close();
  }
});

test('a missing signing secret is a failure with its name, not retried and nothing sent', async () => {
  const peer = await recordingServer();
  try {
    const rec = await deliver(create({ url: peer.url, signing_secret: 'hook' }), message(), { attempts: 3, baseDelayMs: 5 });
    assert.equal(rec.ok, false);
    assert.equal(rec.attempts.length, 1);
    assert.match(rec.error!, /secret "hook"/);
    assert.equal(peer.requests.length, 0);
  } finally {
    await peer.close();
  }
});
