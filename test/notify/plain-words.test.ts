/**
 * What the client and ops read first (the subject and the opening line), composed as the
 * dispatcher composes it, for the field runbook's cases that were told wrong (issue 13): the
 * mail queue over its limit read over SNMP and by mailq, and its recovery; a disk check silenced
 * by a dead SNMP agent; a full disk; the agent itself; a web site down and one mamoru cannot check.
 * The check texts are the probes' own, most of them recorded from the lab (test/fixtures/alerts/).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { IncidentMember, IncidentRecord } from '../../src/core/incident.ts';
import { compose } from '../../src/notify/compose.ts';
import type { TemplateEvent } from '../../src/notify/templates/defaults.ts';
import { FIXTURES, parseFixture } from '../triage/alert-fixtures.ts';

const T0 = Date.UTC(2026, 0, 19, 11, 0, 0);

/**
 * A recorded check output as the daemon hands it to the incident: the status text without the
 * perfdata (the runner keeps those apart); `whole` keeps them, as an ingested Nagios alert does.
 */
function recorded(name: string, whole = false): string {
  const out = parseFixture(name, readFileSync(join(FIXTURES, `${name}.txt`), 'utf8')).output;
  return whole ? out : out.split(' | ')[0]!.split('|')[0]!.trim();
}

function member(probe: string, label: string, state: string, text: string, recoveredAt?: number): IncidentMember {
  return { key: `acc-srv/${label}`, kind: 'service', probe, label, state, text, since: T0, recoveredAt };
}

function incident(members: IncidentMember[], resolved = false): IncidentRecord {
  return { id: 7, target: 'acc-srv', status: resolved ? 'resolved' : 'open', severity: 'critical', title: 'acc-srv: -', openedAt: T0, resolvedAt: resolved ? T0 + 60_000 : null, updatedAt: T0, members };
}

/** Subject and the first plain line of the body, in both languages, as sent. */
function told(event: TemplateEvent, inc: IncidentRecord) {
  const now = T0 + 90_000;
  const en = compose({ name: 'ops', language: 'en', time_zone: 'UTC' }, {}, { event, incident: inc, address: '10.114.0.10', now });
  const ja = compose({ name: '山田商事', language: 'ja', time_zone: 'Asia/Tokyo' }, {}, { event, incident: inc, address: '10.114.0.10', now });
  const jaHeading = event === 'recovered' ? '■ 復旧した内容' : '■ 発生している問題';
  const jaLines = ja.text.split('\n');
  return { en: { subject: en.subject, first: en.text.split('\n')[0]!, text: en.text }, ja: { subject: ja.subject, first: jaLines[jaLines.indexOf(jaHeading) + 1]!, text: ja.text } };
}

/** Two English words in a row: an English sentence (or a piece of one) in a Japanese line. */
const ENGLISH = /[A-Za-z]{2,}[\s,.:;!?]+[A-Za-z]{2,}/;

interface Case {
  name: string;
  event: TemplateEvent;
  inc: IncidentRecord;
  en: string;
  ja: string;
  /** Words the message must not use (the CRITICAL meaning of a check that only could not read). */
  never?: RegExp;
}

const cases: Case[] = [
  {
    // Apache killed, started by mamoru before the first message went out (remediation.wait).
    name: 'a web site mamoru fixed before its first message went out: stopped and works again, never a bare recovery under a problem subject',
    event: 'open',
    inc: incident([member('http', 'http', 'OK', 'HTTP OK: HTTP/1.1 200 OK - 268 bytes in 0.004 second response time', T0 + 6_000)]),
    en: 'The web site (HTTP) on acc-srv stopped working and works again',
    ja: 'acc-srv のウェブサイト（HTTP）が停止していましたが、復旧しました',
  },
  {
    name: 'mail queue CRITICAL by mailq: the count and the limit',
    event: 'open',
    inc: incident([member('mailq', 'mailq', 'CRITICAL', 'CRITICAL: postfix mailq is 1500 (threshold c = 1000)')]),
    en: 'The mail queue on acc-srv holds 1,500 messages (limit 1,000)',
    ja: 'acc-srv のメールキューに 1,500 通のメールが溜まっています（上限 1,000 通）',
    never: /SNMP/,
  },
  {
    name: 'mail queue CRITICAL over SNMP (a check named mail-queue): the queue, not the agent',
    event: 'open',
    inc: incident([member('snmp', 'mail-queue', 'CRITICAL', 'SNMP CRITICAL - *1500*')]),
    // mamoru's own check keeps its thresholds in perfdata, which the incident does not carry.
    en: 'The mail queue on acc-srv holds 1,500 messages (over its limit)',
    ja: 'acc-srv のメールキューに 1,500 通のメールが溜まり、上限を超えています',
    never: /SNMP/,
  },
  {
    name: 'mail queue CRITICAL from Nagios (check_snmp on the mailq OID, with perfdata): the limit from perfdata',
    event: 'open',
    inc: incident([member('smtp', 'Mail Queue', 'CRITICAL', 'SNMP CRITICAL - *1500* | iso.3.6.1.4.1.8072.1.3.2.3.1.1.5.109.97.105.108.113=1500;500;1000')]),
    en: 'The mail queue on acc-srv holds 1,500 messages (limit 1,000)',
    ja: 'acc-srv のメールキューに 1,500 通のメールが溜まっています（上限 1,000 通）',
  },
  {
    name: 'mail queue recovered over SNMP: the same subject, and how many are left',
    event: 'recovered',
    inc: incident([member('snmp', 'mail-queue', 'OK', 'SNMP OK - 12', T0 + 60_000)], true),
    en: 'The mail queue on acc-srv is back to normal (12 messages)',
    ja: 'acc-srv のメールキューは正常に戻りました（12 通）',
    never: /SNMP/,
  },
  {
    name: 'mail queue recovered by mailq (recorded): empty again',
    event: 'recovered',
    inc: incident([member('mailq', 'mailq', 'OK', recorded('up.check_mailq'), T0 + 60_000)], true),
    en: 'The mail queue on acc-srv is back to normal (the queue is empty)',
    ja: 'acc-srv のメールキューは正常に戻りました（送信待ちのメールはありません）',
  },
  {
    name: 'disk over SNMP UNKNOWN, snmpd stopped (recorded): cannot read, never "running out"',
    event: 'open',
    inc: incident([member('disk-snmp', 'disk-snmp', 'UNKNOWN', recorded('snmpd-stopped.mamoru-disk-snmp'))]),
    en: 'mamoru cannot read disk space on acc-srv (the SNMP agent there does not answer)',
    ja: 'acc-srv のディスク容量を読み取れません（SNMP エージェントが応答していません）',
    never: /running (out|low)|残りわずか|少なくなって|上限/,
  },
  {
    name: 'disk over SNMP back: the same subject, and the disk at 9 %',
    event: 'recovered',
    inc: incident([member('disk-snmp', 'disk-snmp', 'OK', 'DISK OK [Disk use 9% /]', T0 + 60_000)], true),
    en: 'Disk space on acc-srv is back to normal (9 % used on /)',
    ja: 'acc-srv のディスク容量は正常に戻りました（/ の使用率 9%）',
  },
  {
    name: "disk CRITICAL (the field runbook's alert): the fullest filesystem",
    event: 'open',
    inc: incident([member('disk', 'disk', 'CRITICAL', recorded('field-runbook.disk'))]),
    en: 'Disk space on acc-srv is running out (90 % used on /)',
    ja: 'acc-srv のディスク容量が残りわずかです（/ の使用率 90%）',
  },
  {
    name: 'the SNMP agent does not answer (recorded)',
    event: 'open',
    inc: incident([member('snmp', 'snmp', 'UNKNOWN', recorded('snmpd-stopped.mamoru-snmp'))]),
    en: 'The SNMP agent on acc-srv does not answer',
    ja: 'acc-srv の SNMP エージェントが応答していません',
  },
  {
    name: 'the SNMP agent back',
    event: 'recovered',
    inc: incident([member('snmp', 'snmp', 'OK', 'SNMP OK - 123456', T0 + 60_000)], true),
    en: 'The SNMP agent on acc-srv answers again',
    ja: 'acc-srv の SNMP エージェントは復旧しました',
  },
  {
    name: 'HTTP CRITICAL, Apache stopped (recorded)',
    event: 'open',
    inc: incident([member('http', 'http', 'CRITICAL', recorded('stopped.mamoru-http'))]),
    en: 'The web site (HTTP) on acc-srv refuses connections: it is not running',
    ja: 'acc-srv のウェブサイト（HTTP）が接続を受け付けていません（停止しています）',
  },
  {
    name: 'HTTP CRITICAL, too slow to answer (recorded)',
    event: 'open',
    inc: incident([member('http', 'http', 'CRITICAL', recorded('timeout.mamoru-http'))]),
    en: 'The web site (HTTP) on acc-srv does not answer in time',
    ja: 'acc-srv のウェブサイト（HTTP）が時間内に応答しません',
  },
  {
    name: 'HTTP UNKNOWN: mamoru cannot check it, which is not "down"',
    event: 'open',
    inc: incident([member('http', 'http', 'UNKNOWN', 'HTTP UNKNOWN - Could not find redirect location - http://10.114.0.10/')]),
    en: 'mamoru cannot check the web site (HTTP) on acc-srv (the check could not get a result)',
    ja: 'acc-srv のウェブサイト（HTTP）を確認できません（監視で結果を得られませんでした）',
    never: /refuses|not running|does not answer|停止|応答しません/,
  },
];

for (const c of cases) {
  test(`plain words: ${c.name}`, () => {
    const m = told(c.event, c.inc);
    const tag = { open: ['[PROBLEM]', '【障害】'], recovered: ['[RECOVERED]', '【復旧】'] }[c.event as 'open' | 'recovered'];
    assert.equal(m.en.subject, `${tag[0]} acc-srv: ${c.en}`);
    assert.equal(m.ja.subject, `${tag[1]}acc-srv: ${c.ja}`);
    // The opening line (the plain words of the headline's member) is the headline as a sentence.
    assert.equal(m.en.first, `${c.en}.`);
    assert.equal(m.ja.first, `${c.ja}。`);
    // The host's name is a name, not English.
    assert.doesNotMatch(m.ja.subject.replaceAll('acc-srv', '_'), ENGLISH, 'no English sentence in the Japanese subject');
    assert.doesNotMatch(m.ja.first.replaceAll('acc-srv', '_'), ENGLISH, 'no English sentence in the Japanese headline');
    if (c.never) {
      assert.doesNotMatch(`${m.en.subject}\n${m.en.first}`, c.never);
      assert.doesNotMatch(`${m.ja.subject}\n${m.ja.first}`, c.never);
    }
  });
}

test('plain words: with a dead agent, the agent leads the headline and both problems are listed', () => {
  const inc = incident([member('disk-snmp', 'disk-snmp', 'UNKNOWN', recorded('snmpd-stopped.mamoru-disk-snmp')), member('snmp', 'snmp', 'UNKNOWN', recorded('snmpd-stopped.mamoru-snmp'))]);
  const m = told('open', inc);
  assert.equal(m.en.subject, '[PROBLEM] acc-srv: The SNMP agent on acc-srv does not answer');
  assert.equal(m.ja.subject, '【障害】acc-srv: acc-srv の SNMP エージェントが応答していません');
  assert.match(m.en.text, /^mamoru cannot read disk space on acc-srv \(the SNMP agent there does not answer\)\.\nThe SNMP agent on acc-srv does not answer\.\n/);
  assert.match(m.ja.text, /■ 発生している問題\nacc-srv のディスク容量を読み取れません（SNMP エージェントが応答していません）。\nacc-srv の SNMP エージェントが応答していません。\n/);
  // And when both come back, the recovery's headline names the same subject.
  const back = incident(inc.members.map((x) => ({ ...x, state: 'OK', text: x.probe === 'snmp' ? 'SNMP OK - 1' : 'DISK OK [Disk use 9% /]', recoveredAt: T0 + 60_000 })), true);
  const r = told('recovered', back);
  assert.equal(r.en.subject, '[RECOVERED] acc-srv: The SNMP agent on acc-srv answers again');
  assert.equal(r.ja.subject, '【復旧】acc-srv: acc-srv の SNMP エージェントは復旧しました');
});
