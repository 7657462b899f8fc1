/** slack, discord, teams and chatwork against a recording HTTP server on loopback: what each peer receives. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import chatwork from '../../src/notify/chatwork.ts';
import discord from '../../src/notify/discord.ts';
import slack from '../../src/notify/slack.ts';
import teams from '../../src/notify/teams.ts';
import { context, jaMessage, message, never, recordingServer } from './peers.ts';

test('slack: {text} with the subject in bold, mrkdwn control characters escaped', async () => {
  const peer = await recordingServer(() => ({ status: 200, body: 'ok' }));
  try {
    const ch = slack.create(slack.schema.parse({ url_secret: 'slack' }), context({ slack: `${peer.url}/services/T000/B000/XXXX\n` }));
    const r = await ch.send(message({ text: 'load < 5 & rising > 3' }), never());
    assert.equal(r.ok, true, r.error);
    const req = peer.requests[0]!;
    assert.equal(req.url, '/services/T000/B000/XXXX');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(req.body), { text: '*[CRITICAL] web1: HTTP is down*\nload &lt; 5 &amp; rising &gt; 3' });
  } finally {
    await peer.close();
  }
});

test('slack: a failure names the host only, never the secret URL path', async () => {
  const peer = await recordingServer(() => ({ status: 403, body: 'invalid_token' }));
  try {
    const ch = slack.create(slack.schema.parse({ url_secret: 'slack' }), context({ slack: `${peer.url}/services/T000/B000/SECRETPATH` }));
    const r = await ch.send(message(), never());
    assert.equal(r.ok, false);
    assert.equal(r.retryable, false);
    assert.match(r.error!, /HTTP 403: invalid_token/);
    assert.doesNotMatch(r.error!, /SECRETPATH/);
  } finally {
    await peer.close();
  }
});

test('discord: {content} with Japanese intact, no mentions parsed', async () => {
  const peer = await recordingServer(() => ({ status: 204 }));
  try {
    const ch = discord.create(discord.schema.parse({ url_secret: 'd' }), context({ d: `${peer.url}/api/webhooks/1/abc` }));
    const r = await ch.send(jaMessage(), never());
    assert.equal(r.ok, true, r.error);
    const body = JSON.parse(peer.requests[0]!.body);
    assert.equal(body.content, `**${jaMessage().subject}**\n${jaMessage().text}`);
    assert.deepEqual(body.allowed_mentions, { parse: [] });
  } finally {
    await peer.close();
  }
});

test('discord: a message over 2000 characters is cut to 2000 with a mark', async () => {
  const peer = await recordingServer(() => ({ status: 204 }));
  try {
    const ch = discord.create(discord.schema.parse({ url_secret: 'd' }), context({ d: peer.url }));
    const r = await ch.send(message({ text: '障'.repeat(3000) }), never());
    assert.equal(r.ok, true, r.error);
    const content: string = JSON.parse(peer.requests[0]!.body).content;
    assert.equal(Array.from(content).length, 2000);
    assert.ok(content.endsWith('…'));
    assert.ok(content.startsWith('**[CRITICAL] web1: HTTP is down**\n障'));
  } finally {
    await peer.close();
  }
});

test('teams: an Adaptive Card attachment with the subject and text', async () => {
  const peer = await recordingServer(() => ({ status: 202 }));
  try {
    const ch = teams.create(teams.schema.parse({ url_secret: 't' }), context({ t: `${peer.url}/workflows/xyz` }));
    const r = await ch.send(jaMessage(), never());
    assert.equal(r.ok, true, r.error);
    const body = JSON.parse(peer.requests[0]!.body);
    assert.equal(body.type, 'message');
    const att = body.attachments[0];
    assert.equal(att.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(att.content.type, 'AdaptiveCard');
    assert.deepEqual(
      att.content.body.map((b: { text: string }) => b.text),
      [jaMessage().subject, jaMessage().text],
    );
    assert.equal(att.content.body[0].color, 'attention');
  } finally {
    await peer.close();
  }
});

test('chatwork: POST /rooms/{id}/messages with the token header and a form body', async () => {
  const peer = await recordingServer(() => ({ status: 200, body: '{"message_id":"1234"}' }));
  try {
    const ch = chatwork.create(chatwork.schema.parse({ room_id: 98765, token_secret: 'cw', api_url: `${peer.url}/v2/` }), context({ cw: 'tok-abc' }));
    const r = await ch.send(jaMessage(), never());
    assert.equal(r.ok, true, r.error);
    assert.equal(r.detail, '{"message_id":"1234"}');
    const req = peer.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/v2/rooms/98765/messages');
    assert.equal(req.headers['x-chatworktoken'], 'tok-abc');
    assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
    const form = new URLSearchParams(req.body);
    assert.equal(form.get('body'), `[info][title]${jaMessage().subject}[/title]${jaMessage().text}[/info]`);
  } finally {
    await peer.close();
  }
});

test('chatwork: the default API URL is the real one', () => {
  assert.equal(chatwork.schema.parse({ room_id: '1', token_secret: 'cw' }).api_url, 'https://api.chatwork.com/v2');
});

test('chatwork: a rejected token is a failure with the status, not retried', async () => {
  const peer = await recordingServer(() => ({ status: 401, body: '{"errors":["Invalid API token"]}' }));
  try {
    const ch = chatwork.create(chatwork.schema.parse({ room_id: 1, token_secret: 'cw', api_url: peer.url }), context({ cw: 'bad' }));
    const r = await ch.send(message(), never());
    assert.equal(r.ok, false);
    assert.equal(r.status, 401);
    assert.equal(r.retryable, false);
    assert.match(r.error!, /Invalid API token/);
  } finally {
    await peer.close();
  }
});
