/**
 * What a Japanese client receives through the running daemon when a fix waits for a person
 * (`ask`): the first mail says what waits for approval, with its deadline in JST; once it is
 * approved and done, the next mail says it was done (an update, or the recovery if the service
 * came back first), and never again that it waits. Every mail is wholly Japanese. Local executor,
 * a toy TCP service on this machine, a real SMTP peer on loopback.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { Daemon } from '../../src/daemon.ts';
import { until } from '../helpers/wait.ts';
import { parseMail, smtpPeer } from './mail.ts';
import { englishLines, section } from './timeline.ts';
import { freePort } from '../helpers/nginx.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-later-'));
const marker = `mamoru-later-toy-${process.pid}`;
after(() => {
  try {
    execFileSync('pkill', ['-f', marker]);
  } catch {
    /* not running */
  }
  rmSync(dir, { recursive: true, force: true });
});


test('ask mode: the client reads "waiting for approval" with its JST deadline, then "done", all in Japanese', async () => {
  const port = await freePort();
  const smtp = await smtpPeer({ authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'] });
  const toy = `require('node:net').createServer((s) => { s.on('error', () => {}); s.end('hello\\n'); }).listen(${port}, '127.0.0.1'); /* ${marker} */`;
  const service = { name: 'toy', manager: 'command', processes: ['node'], process_match: marker, ports: [port], start: [process.execPath, '-e', toy], start_detached: true, checks: ['toy'], page_timeout: '2s', start_timeout: '10s' };
  writeFileSync(
    join(dir, 'mamoru.yaml'),
    `defaults: { interval: 500ms, retry_interval: 250ms, max_attempts: 1, timeout: 1s }
store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }
web: { enabled: false }
notifications: { settle: 100ms }
remediation: { wait: 5s, policy: { modes: { start-service: ask } } }
targets:
  - name: local
    address: 127.0.0.1
    executor: { type: local }
    services: [${JSON.stringify(service)}]
    checks:
      - { type: tcp, name: toy, port: ${port} }
contacts:
  - name: yamada-shoji
    language: ja
    time_zone: Asia/Tokyo
    channels:
      - { type: email, host: 127.0.0.1, port: ${smtp.port}, tls: none, from: mamoru@example.jp, to: [client@example.com] }
`,
  );
  const daemon = await Daemon.start({ configFile: join(dir, 'mamoru.yaml'), log: silentLogger });
  try {
    const first = parseMail((await until('the problem mail', () => smtp.mails[0], 20_000)).raw);
    assert.match(first.headers.subject!, /^【障害】local: /);
    assert.match(section(first.body, '■ 承認待ちの対応（まだ何も変更しておりません）') ?? '', /^- .*toy.*（承認 ID [0-9a-f]+、\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} JST まで）$/m, first.body);
    assert.equal(section(first.body, '■ 実施した対応'), undefined, first.body);
    assert.deepEqual(englishLines(first.headers.subject!, first.body), [], first.body);

    const [asked] = daemon.alerting.approvals.pending();
    assert.ok(asked, 'the start waits for approval');
    assert.ok(daemon.alerting.approvals.approve(asked.id, 'hanako'));
    // The start brings the service back before it has verified its work: the recovery may go out
    // first (telling the start as under way), then how the start ended; or the update first.
    const done = await until('a mail saying the start was done', () => smtp.mails.slice(1).map((m) => parseMail(m.raw)).find((m) => /^- (?:実施済み: )?local の toy を起動しました。/m.test(m.body)), 20_000);
    assert.ok(done);
    const later = smtp.mails.slice(1).map((m) => parseMail(m.raw));
    if (process.env.MAMORU_SHOW) for (const m of later) console.log(`${m.headers.subject}\n${m.body}\n=====`);
    for (const m of later) {
      assert.doesNotMatch(m.body, /承認待ち|承認をお待ちしています/, `approved: never told as waiting again\n${m.body}`);
      assert.deepEqual(englishLines(m.headers.subject!, m.body), [], m.body);
    }
    assert.ok(later.some((m) => /^【復旧】/.test(m.headers.subject!)), 'the recovery is told');
  } finally {
    await daemon.stop();
    await smtp.close();
  }
});
