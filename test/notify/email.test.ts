/** email channel against a real SMTP server (smtp-server on loopback) that receives and parses the mail. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import email from '../../src/notify/email.ts';
import { context, jaMessage, message, never } from './peers.ts';
import { parseMail, selfSigned, smtpPeer } from './mail.ts';

let tlsFiles: { key: Buffer; cert: Buffer };
before(() => {
  tlsFiles = selfSigned();
});

const create = (options: Record<string, unknown>, secrets: Record<string, string> = {}) => email.create(email.schema.parse(options), context(secrets));

test('plain SMTP: From, To, Subject and a Japanese body arrive intact', async () => {
  const peer = await smtpPeer({ authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'] });
  try {
    const ch = create({ host: '127.0.0.1', port: peer.port, tls: 'none', from: 'mamoru@example.jp', from_name: '監視 mamoru', to: ['ops@example.jp', 'client@example.com'] });
    const r = await ch.send(jaMessage(), never());
    assert.equal(r.ok, true, r.error);
    assert.equal(r.status, 250);
    assert.equal(peer.mails.length, 1);
    const mail = peer.mails[0]!;
    assert.equal(mail.mailFrom, 'mamoru@example.jp');
    assert.deepEqual(mail.rcptTo, ['ops@example.jp', 'client@example.com']);
    const { headers, body } = parseMail(mail.raw);
    assert.equal(headers.subject, '【障害】web1 の HTTP 応答がありません');
    assert.match(headers.from!, /監視 mamoru.*<mamoru@example\.jp>/);
    assert.equal(headers.to, 'ops@example.jp, client@example.com');
    assert.match(headers['content-type']!, /charset=utf-8/i);
    assert.equal(headers['x-mamoru-incident'], 'inc-42');
    assert.equal(body, jaMessage().text);
  } finally {
    await peer.close();
  }
});

test('STARTTLS with a self-signed certificate and AUTH checked by the server', async () => {
  const logins: string[] = [];
  const peer = await smtpPeer({
    ...tlsFiles,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, session, cb) {
      logins.push(`${auth.username}:${auth.password}:${session.secure}`);
      if (auth.username === 'alert' && auth.password === 'pa55') cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
  });
  try {
    const ch = create(
      { host: '127.0.0.1', port: peer.port, tls: 'starttls', tls_verify: false, username: 'alert', password_secret: 'smtp', from: 'mamoru@example.jp', to: ['ops@example.jp'] },
      { smtp: 'pa55' },
    );
    const r = await ch.send(message(), never());
    assert.equal(r.ok, true, r.error);
    assert.deepEqual(logins, ['alert:pa55:true'], 'the password is sent only inside TLS');
    const mail = peer.mails[0]!;
    assert.equal(mail.secure, true);
    assert.equal(mail.user, 'alert');
    const { headers, body } = parseMail(mail.raw);
    assert.equal(headers.subject, message().subject);
    assert.equal(body, message().text);
  } finally {
    await peer.close();
  }
});

test('a wrong password: a permanent failure with the server\'s answer, nothing delivered', async () => {
  const peer = await smtpPeer({
    ...tlsFiles,
    onAuth(_auth, _session, cb) {
      cb(new Error('Invalid username or password'));
    },
  });
  try {
    const ch = create(
      { host: '127.0.0.1', port: peer.port, tls_verify: false, username: 'alert', password_secret: 'smtp', from: 'mamoru@example.jp', to: ['ops@example.jp'] },
      { smtp: 'wrong' },
    );
    const r = await ch.send(message(), never());
    assert.equal(r.ok, false);
    assert.equal(r.retryable, false);
    assert.equal(r.status, 535);
    assert.match(r.error!, /Invalid username or password/);
    assert.equal(peer.mails.length, 0);
  } finally {
    await peer.close();
  }
});

test('tls: starttls refuses a server that does not offer STARTTLS (no password in clear)', async () => {
  const logins: string[] = [];
  const peer = await smtpPeer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, cb) {
      logins.push(auth.username ?? '');
      cb(null, { user: auth.username });
    },
  });
  try {
    const ch = create(
      { host: '127.0.0.1', port: peer.port, tls: 'starttls', username: 'alert', password_secret: 'smtp', from: 'mamoru@example.jp', to: ['ops@example.jp'] },
      { smtp: 'pa55' },
    );
    const r = await ch.send(message(), never());
    assert.equal(r.ok, false);
    assert.match(r.error!, /STARTTLS/i);
    assert.deepEqual(logins, []);
    assert.equal(peer.mails.length, 0);
  } finally {
    await peer.close();
  }
});

test('tls_verify (the default) rejects a self-signed certificate', async () => {
  const peer = await smtpPeer({ ...tlsFiles, authOptional: true });
  try {
    const r = await create({ host: '127.0.0.1', port: peer.port, from: 'mamoru@example.jp', to: ['ops@example.jp'] }).send(message(), never());
    assert.equal(r.ok, false);
    assert.match(r.error!, /certificate/i);
    assert.equal(peer.mails.length, 0);
  } finally {
    await peer.close();
  }
});

