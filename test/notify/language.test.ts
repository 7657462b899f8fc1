/**
 * Messages wholly in the contact's language (issue 13): a Japanese message carries no English
 * sentence outside its 技術情報 part, whether it opens, updates, escalates or recovers, even when
 * some records (older data, another room) have only the operator's English line; and every time
 * in it is the contact's (JST for Asia/Tokyo), never a UTC ISO instant.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { said } from '../../src/core/said.ts';
import type { Change } from '../../src/notify/compose.ts';
import type { DetailRecord } from '../../src/notify/templates/sections.ts';
import { apacheFound, englishLines, enContact, escalated, evidence, httpDown, incident, jaContact, member, message, needed, raiseAsked, section, startApache, T0 } from './timeline.ts';

/** A realistic timeline: the runbook's findings and verdict, a start, a record from a room with no sentences yet. */
function timeline(): DetailRecord[] {
  return [
    ...apacheFound(),
    // The ingest path writes English only (another room).
    evidence('nagios alert HTTP: triage says service-refused (http), runbook http-down: connection refused', undefined, { source: 'nagios', kind: 'service-refused', runbook: 'http-down' }),
    ...startApache('escalate'),
    escalated('the start command failed (exit 1) and apache2 does not answer'),
    needed('If you changed the site\'s configuration today, please tell us.', said('If you changed the site\'s configuration today, please tell us.', '本日サイトの設定を変更された場合は、お知らせください。')),
  ];
}

const ban = (until: number): DetailRecord => ({
  kind: 'ban',
  text: `banned 10.233.0.3 on port 110 until ${new Date(until).toISOString()}: 12 failed logins`,
  data: { address: '10.233.0.3', jail: 'pop3', port: 110, until, say: said('Blocked 10.233.0.3 on port 110 (12 failed logins) until {until}.', '10.233.0.3 からのポート 110 への接続を {until} まで遮断しました（ログイン失敗 12 回）。') },
  at: T0 + 5_000,
});

test('a Japanese message has no English sentence outside 技術情報: open, update, escalation, recovered', () => {
  const open = incident([httpDown(), member('pop3', 'pop3', 'WARNING', 'POP3 WARNING - 4.012 second response time on port 110 [+OK Dovecot ready.]')]);
  const changes: Change[] = [...startApache('escalate').slice(-1), ban(T0 + 600_000), 'pop3: POP3 WARNING - 4.012 second response time on port 110', said('The POP3 greeting is slow.', 'POP3 の応答が遅くなっています。')];
  const messages = {
    open: message(jaContact, 'open', open, timeline()),
    update: message(jaContact, 'update', open, [...timeline(), ...raiseAsked(T0 + 1_800_000)], changes),
    escalation: message(jaContact, 'escalation', open, timeline(), [], { level: 1 }),
    recovered: message(jaContact, 'recovered', incident([{ ...httpDown(), state: 'OK', text: 'HTTP OK: HTTP/1.1 200 OK - 10975 bytes', recoveredAt: T0 + 95_000 }], true), timeline()),
  };
  for (const [event, m] of Object.entries(messages)) {
    assert.deepEqual(englishLines(m.subject, m.text), [], `${event}:\n${m.subject}\n${m.text}`);
    assert.doesNotMatch(m.text, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\bUTC\b|Z\b/, `${event}: no UTC instant:\n${m.text}`);
  }
  // What was said in English only is counted, in Japanese, where it would have been.
  assert.match(section(messages.open.text, '■ 調査の結果')!, /^（このほか技術的な記録が 1 件あり、運用担当者のタイムラインに記録しております。）$/m, messages.open.text);
  // The escalation in English only still tells the client that a person must act.
  assert.match(section(messages.open.text, '■ 担当者による対応が必要です')!, /^- mamoru による自動対応を完了できなかったため/m, messages.open.text);
  // The plugin's own words stay, in the technical part.
  assert.match(section(messages.open.text, '■ 監視の記録（技術情報）')!, /POP3 WARNING - 4\.012 second response time/);
  // Times are the contact's: the problem's start and the ban's end, in JST.
  assert.match(messages.open.text, /■ 発生時刻\n2026-01-19 20:00:00 JST/, messages.open.text);
  assert.match(messages.update.text, /^- 10\.233\.0\.3 からのポート 110 への接続を 2026-01-19 20:10:00 JST まで遮断しました/m, messages.update.text);
  assert.match(messages.update.text, /（承認 ID a1b2c3、2026-01-19 20:30:00 JST まで）/, messages.update.text);
  assert.match(messages.recovered.text, /2026-01-19 20:00:00 JST から 2026-01-19 20:01:35 JST まで/, messages.recovered.text);
});

test('the checker fails a Japanese message that carries an English sentence', () => {
  assert.deepEqual(englishLines('【障害】web1: ウェブサイト', '■ 調査の結果\n- verdict: Apache is down on web1'), ['- verdict: Apache is down on web1']);
  assert.deepEqual(englishLines('【障害】web1', '■ 監視の記録（技術情報）\nhttp CRITICAL: Connection refused by the server\n\n■ 発生時刻\n2026-01-19 20:00:00 JST'), []);
  // Names and addresses are not sentences; a quotation of what the server said is told as it is.
  assert.deepEqual(englishLines('【障害】web1: Apache', '- web1 の Apache（10.114.0.10）と POP3 が停止しています。'), []);
  assert.deepEqual(englishLines('【障害】web1', '- 監視サーバーからページを開けません（「Connection refused by peer」）。'), []);
  assert.deepEqual(englishLines('【障害】web1', '- エラーログ /var/log/apache2/error.log と http://example.jp/index.html を確認しました。'), []);
  assert.deepEqual(englishLines('【障害】web1', '- see /var/log for the details'), ['- see /var/log for the details']);
});

test('an English message tells every record, and a UTC ISO instant in a line is worded in the contact\'s zone', () => {
  const tokyoOps = { ...enContact, time_zone: 'Asia/Tokyo' };
  const m = message(tokyoOps, 'update', incident([httpDown()]), timeline(), [`banned 10.233.0.3 on port 110 until ${new Date(T0 + 600_000).toISOString()}: 12 failed logins`]);
  assert.match(m.text, /^- banned 10\.233\.0\.3 on port 110 until 2026-01-19 20:10:00 JST: 12 failed logins$/m, m.text);
  assert.doesNotMatch(m.text, /\d{4}-\d{2}-\d{2}T\d{2}:/, m.text);
  assert.match(section(m.text, 'What mamoru found:')!, /^- nagios alert HTTP: triage says service-refused/m, m.text);
  assert.match(section(m.text, 'What a person must do:')!, /^ {4}Why: the start command failed \(exit 1\) and apache2 does not answer$/m, m.text);
  assert.equal(section(m.text, 'What we need from you:'), "- If you changed the site's configuration today, please tell us.", m.text);
});
