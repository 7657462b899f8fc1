/**
 * slack, discord, teams and chatwork against a recording HTTP server on loopback: what each peer
 * receives, for a normal message and for one whose words were written by an attacker (issue 12).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IncidentRecord } from '../../src/core/incident.ts';
import chatwork from '../../src/notify/chatwork.ts';
import { compose } from '../../src/notify/compose.ts';
import discord from '../../src/notify/discord.ts';
import slack from '../../src/notify/slack.ts';
import teams from '../../src/notify/teams.ts';
import type { NotificationMessage, NotifierDefinition } from '../../src/notify/types.ts';
import { context, jaMessage, message, never, recordingServer, type Recorded } from './peers.ts';

/** Plugin output as a hostile server would write it: every channel's mentions, tags and links. */
const HOSTILE = '[toall] @everyone <!channel> <@U123> [click](http://evil.example) *bold* [To:1]';

/** What a contact gets when a check's output is HOSTILE: the real en template, composed as the dispatcher does. */
function hostileMessage(): NotificationMessage {
  const incident: IncidentRecord = {
    id: 7,
    target: 'web1',
    status: 'open',
    severity: 'critical',
    title: `web1: http CRITICAL - ${HOSTILE}`,
    openedAt: Date.UTC(2026, 0, 19, 20, 0, 0),
    resolvedAt: null,
    updatedAt: Date.UTC(2026, 0, 19, 20, 0, 0),
    members: [{ key: 'web1/http', kind: 'service', probe: 'http', label: 'http', state: 'CRITICAL', text: HOSTILE, since: Date.UTC(2026, 0, 19, 20, 0, 0) }],
  };
  const m = compose({ name: 'ops', language: 'en', time_zone: 'UTC' }, {}, { event: 'update', incident, changes: [`http CRITICAL: ${HOSTILE}`], address: '192.0.2.10', now: Date.UTC(2026, 0, 19, 20, 5, 0) });
  // The built-in subject is wholly mamoru's words; a config may put {{problems}} in it, so one line of outside text goes there too.
  return { ...m, subject: `${m.subject} - ${HOSTILE}` };
}

/** Sends one message through a channel to a fresh recording peer; returns what the peer received. */
async function received<S extends NotifierDefinition<any>>(def: S, options: (url: string) => { opts: unknown; secrets: Record<string, string> }, m: NotificationMessage): Promise<Recorded> {
  const peer = await recordingServer(() => ({ status: 200, body: 'ok' }));
  try {
    const o = options(peer.url);
    const r = await def.create(def.schema.parse(o.opts), context(o.secrets)).send(m, never());
    assert.equal(r.ok, true, r.error);
    return peer.requests[0]!;
  } finally {
    await peer.close();
  }
}

/** Discord shows a backslash-escaped punctuation mark as the mark, and the zero-width space not at all. */
const discordShows = (content: string) => content.replace(/\\([^0-9A-Za-z\s])/g, '$1').replaceAll('\u200b', '');

/** A card's text as Teams lays it out: one line per block, a blank line where a block has space above. */
const cardText = (body: { spacing?: string; inlines: { text: string }[] }[]) =>
  body
    .slice(1)
    .map((b, i) => (i > 0 && b.spacing === 'Medium' ? '\n' : '') + b.inlines.map((r) => r.text).join(''))
    .join('\n');

test('slack: a header with the subject and plain_text sections, shown as written; the notification text escaped', async () => {
  const peer = await recordingServer(() => ({ status: 200, body: 'ok' }));
  try {
    const ch = slack.create(slack.schema.parse({ url_secret: 'slack' }), context({ slack: `${peer.url}/services/T000/B000/XXXX\n` }));
    const r = await ch.send(message({ text: 'load < 5 & rising > 3\n\nsecond paragraph' }), never());
    assert.equal(r.ok, true, r.error);
    const req = peer.requests[0]!;
    assert.equal(req.url, '/services/T000/B000/XXXX');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(req.body), {
      text: '[CRITICAL] web1: HTTP is down',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '[CRITICAL] web1: HTTP is down', emoji: false } },
        { type: 'section', text: { type: 'plain_text', text: 'load < 5 & rising > 3\n\nsecond paragraph', emoji: false } },
      ],
    });
  } finally {
    await peer.close();
  }
});

test('slack: hostile alert text arrives as plain_text only; no mention or link reaches mrkdwn', async () => {
  const m = hostileMessage();
  const body = JSON.parse((await received(slack, (url) => ({ opts: { url_secret: 's' }, secrets: { s: url } }), m)).body);
  // The only mrkdwn field is the notification text: entities, so <!channel>, <@U123> and <url|text> cannot form.
  assert.doesNotMatch(body.text, /[<>]/);
  assert.ok(body.text.includes('&lt;!channel&gt; &lt;@U123&gt;'), body.text);
  assert.equal(body.text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&'), m.subject);
  for (const b of body.blocks) assert.equal(b.text.type, 'plain_text', JSON.stringify(b));
  assert.ok(!JSON.stringify(body).includes('"mrkdwn"'));
  // Every word is still there to read, exactly as the server wrote it.
  assert.equal(body.blocks.slice(1).map((b: { text: { text: string } }) => b.text.text).join('\n'), m.text.replace(/^\n+|\n+$/g, ''));
  assert.ok(body.blocks[1].text.text.includes(HOSTILE));
});

test('slack: a long message is split into sections of at most 3000 characters at line ends', async () => {
  const line = 'x'.repeat(1000);
  const body = JSON.parse((await received(slack, (url) => ({ opts: { url_secret: 's' }, secrets: { s: url } }), message({ text: Array(7).fill(line).join('\n'), subject: 's'.repeat(300) }))).body);
  const sections = body.blocks.slice(1).map((b: { text: { text: string } }) => b.text.text);
  assert.deepEqual(sections.map((t: string) => t.length), [2001, 2001, 2001, 1000]);
  assert.equal(body.blocks[0].text.text.length, 150);
  assert.ok(body.blocks[0].text.text.endsWith('…'));
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

test('discord: {content} with Japanese intact, no mentions parsed, no link previews', async () => {
  const peer = await recordingServer(() => ({ status: 204 }));
  try {
    const ch = discord.create(discord.schema.parse({ url_secret: 'd' }), context({ d: `${peer.url}/api/webhooks/1/abc` }));
    const r = await ch.send(jaMessage(), never());
    assert.equal(r.ok, true, r.error);
    const body = JSON.parse(peer.requests[0]!.body);
    assert.equal(body.content, `**${jaMessage().subject}**\n${jaMessage().text}`);
    assert.deepEqual(body.allowed_mentions, { parse: [] });
    assert.equal(body.flags, 4, 'SUPPRESS_EMBEDS');
  } finally {
    await peer.close();
  }
});

test('discord: hostile alert text is escaped markdown: no mention, tag or masked link survives, every word readable', async () => {
  const m = hostileMessage();
  const body = JSON.parse((await received(discord, (url) => ({ opts: { url_secret: 'd' }, secrets: { d: url } }), m)).body);
  const content: string = body.content;
  assert.deepEqual(body.allowed_mentions, { parse: [] });
  assert.doesNotMatch(content, /@everyone|@here/i, 'mass mentions are broken by a zero-width space');
  assert.doesNotMatch(content, /(^|[^\\])</, 'no unescaped < (user, role, channel mentions, timestamps, <url>)');
  assert.doesNotMatch(content, /(^|[^\\])\[/, 'no unescaped [ (masked links)');
  assert.doesNotMatch(content, /(^|[^\\])\*bold/, 'no unescaped emphasis');
  assert.ok(content.startsWith('**'), "mamoru's own bold subject stays");
  assert.equal(discordShows(content), `**${m.subject}**\n${m.text}`);
});

test('discord: line-start markdown (headings, lists, quotes) is escaped too', async () => {
  const text = '# big\n- item\n12. numbered\n> quoted\n  -# small\nmid-line - # 1. stay';
  const content: string = JSON.parse((await received(discord, (url) => ({ opts: { url_secret: 'd' }, secrets: { d: url } }), message({ subject: 's', text }))).body).content;
  assert.equal(content, '**s**\n\\# big\n\\- item\n12\\. numbered\n\\> quoted\n  \\-# small\nmid-line - # 1. stay');
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
    assert.ok(content.startsWith('**\\[CRITICAL\\] web1: HTTP is down**\n障'));
  } finally {
    await peer.close();
  }
});

test('discord: the cut never leaves half an escape in front of the mark', async () => {
  const content: string = JSON.parse((await received(discord, (url) => ({ opts: { url_secret: 'd' }, secrets: { d: url } }), message({ subject: 's', text: `${'a'.repeat(1990)}${'*'.repeat(100)}` }))).body).content;
  assert.ok(Array.from(content).length <= 2000);
  assert.ok(content.endsWith('\\*…'), content.slice(-10));
});

test('teams: an Adaptive Card attachment with the subject as a bold coloured run and the text line by line', async () => {
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
    const [title, ...rest] = att.content.body;
    assert.deepEqual(title.inlines, [{ type: 'TextRun', text: jaMessage().subject, weight: 'Bolder', size: 'Medium', color: 'attention' }]);
    assert.deepEqual(
      rest.map((b: { inlines: { text: string }[] }) => b.inlines[0]!.text),
      jaMessage().text.split('\n'),
    );
    assert.equal(cardText(att.content.body), jaMessage().text);
  } finally {
    await peer.close();
  }
});

test('teams: hostile alert text only ever sits in TextRuns (never markdown), with every word readable', async () => {
  const m = hostileMessage();
  const card = JSON.parse((await received(teams, (url) => ({ opts: { url_secret: 't' }, secrets: { t: url } }), m)).body).attachments[0].content;
  for (const b of card.body) {
    assert.equal(b.type, 'RichTextBlock', 'no TextBlock: its text would be read as markdown');
    for (const run of b.inlines) assert.equal(run.type, 'TextRun');
  }
  assert.equal(card.msteams, undefined, 'no mention entities');
  assert.equal(card.body[0].inlines[0].text, m.subject);
  assert.equal(cardText(card.body), m.text.replace(/\n{3,}/g, '\n\n').trim());
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

test('chatwork: hostile alert text has no tag left ([toall], [To:1], a closing [/info]); only the info box is notation', async () => {
  const m = hostileMessage();
  const got = await received(chatwork, (url) => ({ opts: { room_id: 1, token_secret: 'cw', api_url: url }, secrets: { cw: 'tok' } }), { ...m, text: `${m.text}\n[/info][hr][code]x[/code][piconname:1][rp aid=1 to=2-3][qt]` });
  const body = new URLSearchParams(got.body).get('body')!;
  assert.ok(body.startsWith('[info][title]') && body.endsWith('[/info]'));
  // Exactly mamoru's four tags are written with ASCII brackets.
  assert.deepEqual(body.match(/\[[^\]]*\]/g), ['[info]', '[title]', '[/title]', '[/info]']);
  assert.ok(body.includes('［toall］ @everyone'), 'the words read the same, in full-width brackets');
  assert.equal(body.slice('[info][title]'.length, -'[/info]'.length).replaceAll('［', '[').replaceAll('］', ']'), `${m.subject}[/title]${m.text}\n[/info][hr][code]x[/code][piconname:1][rp aid=1 to=2-3][qt]`);
});

test('chatwork: a normal English subject keeps its words, brackets full-width', async () => {
  const body = new URLSearchParams((await received(chatwork, (url) => ({ opts: { room_id: 1, token_secret: 'cw', api_url: url }, secrets: { cw: 'tok' } }), message())).body).get('body');
  assert.equal(body, `[info][title]［CRITICAL］ web1: HTTP is down[/title]${message().text}[/info]`);
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
