/**
 * The message's vocabulary and tense (issue 13, item 5), as the client and ops read it: each
 * action told in the section of what became of it (done with its result, in progress, waiting
 * for approval, would do, could not do), never "proposed" for something done, a person needed
 * means the needed section says what they must do, empty sections left out, and a recovery of a
 * resolved incident never says "we are watching".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { said } from '../../src/core/said.ts';
import { apacheFound, enContact, escalated, evidence, httpDown, incident, jaContact, member, message, needed, raiseAsked, section, startApache, status, step, T0, verdict } from './timeline.ts';

test('done: the action is told with its result under "did", in both languages; never "proposed"', () => {
  const records = [...apacheFound(), ...startApache('done')];
  const en = message(enContact, 'open', incident([httpDown()]), records);
  assert.equal(section(en.text, 'What mamoru found:'), ['- Apache is down on web1: it is not running and port 80 is closed.', '- No Apache process is running on web1.', '- Nothing listens on port 80.'].join('\n'), en.text);
  const did = section(en.text, 'What mamoru did:')!;
  assert.match(did, /^- Started apache2 on web1: it answers again \(HTTP 200\)\.$/m, en.text);
  // Ops read the steps (in the operator's words) under the action they belong to.
  assert.match(did, /^ {4}ran systemctl start apache2: exit 0$/m, en.text);
  assert.doesNotMatch(en.text, /proposed|In progress|Waiting for|could not do|would do/i, en.text);
  assert.doesNotMatch(en.text, /Starting apache2/, 'the in-progress line is superseded by the outcome');

  const ja = message(jaContact, 'open', incident([httpDown()]), records);
  assert.equal(section(ja.text, '■ 調査の結果')!.split('\n')[0], '- web1 の Apache が停止しています（プロセスがなく、ポート 80 が閉じています）。');
  const jaDid = section(ja.text, '■ 実施した対応')!;
  assert.match(jaDid, /^- web1 の apache2 を起動しました。再び応答しています（HTTP 200）。$/m, ja.text);
  // Steps with no Japanese are not pasted: counted, in Japanese.
  assert.match(jaDid, /^（このほか技術的な記録が 2 件あり、運用担当者のタイムラインに記録しております。）$/m, ja.text);
  assert.doesNotMatch(ja.text, /ran systemctl|proposed/);
});

test('in progress: an action started and not finished is told as under way, not as done', () => {
  const records = [...apacheFound(), ...startApache('started')];
  const en = message(enContact, 'open', incident([httpDown()]), records);
  assert.equal(section(en.text, 'In progress (not finished when this was written):')?.split('\n')[0], '- Starting apache2 on web1.', en.text);
  assert.equal(section(en.text, 'What mamoru did:'), undefined, en.text);
  const ja = message(jaContact, 'open', incident([httpDown()]), records);
  assert.equal(section(ja.text, '■ 実施中の対応（本メール作成時点で未完了）')?.split('\n')[0], '- web1 の apache2 を起動しています。', ja.text);
  assert.equal(section(ja.text, '■ 実施した対応'), undefined, ja.text);
});

test('waiting for approval: what it would change, the approval id and until when, in the contact\'s zone', () => {
  const expires = T0 + 30 * 60_000;
  const records = [evidence('workers: 5 of 5 busy', said('All 5 Apache workers are busy.', 'Apache のワーカー 5 個がすべて使用中です。'), { what: 'workers' }), ...raiseAsked(expires)];
  const en = message(enContact, 'open', incident([httpDown()]), records);
  assert.equal(section(en.text, 'Waiting for your approval (nothing changed yet):'), '- Waiting for approval to raise MaxRequestWorkers on web1 from 5 to 10 and reload Apache. (approval id a1b2c3, until 2026-01-19 11:30:00 UTC)', en.text);
  assert.doesNotMatch(en.text, /What mamoru did:|proposed/);
  const ja = message(jaContact, 'open', incident([httpDown()]), records);
  assert.equal(section(ja.text, '■ 承認待ちの対応（まだ何も変更しておりません）'), '- web1 の MaxRequestWorkers を 5 から 10 に引き上げ Apache を再読み込みすることについて、承認をお待ちしています。（承認 ID a1b2c3、2026-01-19 20:30:00 JST まで）', ja.text);

  // Approved and done: one line, in "did"; the question is no longer told as waiting.
  const after = [
    ...records,
    status('raise-worker-limit', 'approved', 'approved by hanako: raise MaxRequestWorkers on web1 from 5 to 10', said('Approved: raise MaxRequestWorkers on web1 from 5 to 10.', 'web1 の MaxRequestWorkers を 5 から 10 に引き上げることについて承認されました。'), { approvalId: 'a1b2c3', by: 'hanako' }),
    status('raise-worker-limit', 'done', 'raised MaxRequestWorkers on web1 from 5 to 10; verified', said('Raised MaxRequestWorkers on web1 from 5 to 10: 10 workers run and the site answers (HTTP 200).', 'web1 の MaxRequestWorkers を 5 から 10 に引き上げました。ワーカー 10 個が動作し、サイトは応答しています（HTTP 200）。')),
  ];
  const done = message(enContact, 'open', incident([httpDown()]), after);
  assert.match(section(done.text, 'What mamoru did:')!, /^- Raised MaxRequestWorkers on web1 from 5 to 10: 10 workers run/m, done.text);
  assert.match(section(done.text, 'What mamoru did:')!, /^ {4}Approved: raise MaxRequestWorkers/m, done.text);
  assert.doesNotMatch(done.text, /Waiting for/, done.text);
});

test('could not do: the failure is told, and the needed section says what a person must do (never "nothing for now")', () => {
  const records = [...apacheFound(), ...startApache('escalate'), escalated('the start command failed (exit 1) and apache2 does not answer', said('A person must read the Apache error log on web1 and fix the configuration so that it starts.', '担当者が web1 の Apache エラーログを確認し、起動できるよう設定を修正する必要があります。'))];
  const en = message(enContact, 'open', incident([httpDown()]), records);
  assert.match(section(en.text, 'What mamoru could not do:')!, /^- Tried to start apache2 on web1, but it does not answer: a person must read its error log/m, en.text);
  assert.equal(section(en.text, 'What a person must do:'), ['- mamoru could not finish the fix by itself: a person must look at the server and fix it (see what mamoru could not do, above).', '    Why: A person must read the Apache error log on web1 and fix the configuration so that it starts.'].join('\n'), en.text);
  assert.doesNotMatch(en.text, /Nothing for now|What mamoru did:|proposed/i, en.text);
  const ja = message(jaContact, 'open', incident([httpDown()]), records);
  assert.match(section(ja.text, '■ 対応できなかった内容')!, /^- web1 の apache2 の起動を試みましたが応答しません。/m, ja.text);
  assert.equal(section(ja.text, '■ 担当者による対応が必要です'), ['- mamoru による自動対応を完了できなかったため、担当者がサーバーを確認し対応する必要があります（上記「対応できなかった内容」をご参照ください）。', '    理由: 担当者が web1 の Apache エラーログを確認し、起動できるよう設定を修正する必要があります。'].join('\n'), ja.text);
  assert.doesNotMatch(ja.text, /お願いすることはございません/);
});

test('a person needed with no words for it (an older escalation): mamoru says a person must act, in the reader\'s language', () => {
  // The surge: the raise declined, the runbook escalated; the records carry English only.
  const records = [
    evidence('workers: 5 of 5 busy, ServerLimit 5', undefined, { what: 'workers' }),
    status('raise-worker-limit', 'escalate', 'did not raise MaxRequestWorkers: ServerLimit 5 caps it', undefined),
    { kind: 'escalated' as const, text: 'needs a person: ServerLimit 5 caps MaxRequestWorkers; a graceful reload cannot raise it', data: { runbook: 'apache-load' }, at: T0 + 9_000 },
  ];
  const en = message(enContact, 'open', incident([httpDown()]), records);
  assert.equal(section(en.text, 'What a person must do:'), ['- mamoru could not finish the fix by itself: a person must look at the server and fix it (see what mamoru could not do, above).', '    Why: ServerLimit 5 caps MaxRequestWorkers; a graceful reload cannot raise it'].join('\n'), en.text);
  assert.match(section(en.text, 'What mamoru could not do:')!, /^- did not raise MaxRequestWorkers: ServerLimit 5 caps it$/m, en.text);
  const ja = message(jaContact, 'open', incident([httpDown()]), records);
  const person = section(ja.text, '■ 担当者による対応が必要です')!;
  assert.match(person, /^- mamoru による自動対応を完了できなかったため、担当者がサーバーを確認し対応する必要があります/m, ja.text);
  assert.doesNotMatch(ja.text, /ServerLimit 5 caps|graceful reload/, ja.text);
});

test('needed from the client: the runbook\'s request, in the contact\'s language', () => {
  const records = [
    verdict('disk-full', 'a filesystem on web1 is nearly full: / at 97 %', said('A filesystem on web1 is nearly full: / is 97 % used.', 'web1 のファイルシステムがほぼ満杯です（/ の使用率 97%）。')),
    needed('Please decide what can be deleted or moved, or whether the disk should grow.', said('Please decide what can be deleted or moved, or whether the disk should grow.', '削除または移動できるファイルがあるか、ディスクを増設するかをご判断ください。')),
  ];
  const en = message(enContact, 'open', incident([member('disk', 'disk', 'CRITICAL', 'DISK CRITICAL - free space: / 300 MB (3% inode=90%);')]), records);
  assert.equal(section(en.text, 'What we need from you:'), '- Please decide what can be deleted or moved, or whether the disk should grow.', en.text);
  const ja = message(jaContact, 'open', incident([member('disk', 'disk', 'CRITICAL', 'DISK CRITICAL - free space: / 300 MB (3% inode=90%);')]), records);
  assert.equal(section(ja.text, '■ お客様へのお願い'), '- 削除または移動できるファイルがあるか、ディスクを増設するかをご判断ください。', ja.text);
});

test('dry run: "would do", never "did"', () => {
  const records = [...apacheFound(), ...startApache('dry-run')];
  const en = message(enContact, 'open', incident([httpDown()]), records);
  assert.equal(section(en.text, 'What mamoru would do (dry run: nothing was changed):')?.split('\n')[0], '- Would start apache2 on web1 (systemctl start apache2).', en.text);
  assert.equal(section(en.text, 'What mamoru did:'), undefined, en.text);
  const ja = message(jaContact, 'open', incident([httpDown()]), records);
  assert.equal(section(ja.text, '■ 実施予定の対応（試行モードのため、何も変更しておりません）')?.split('\n')[0], '- web1 の apache2 を起動します（systemctl start apache2）。', ja.text);
  assert.equal(section(ja.text, '■ 実施した対応'), undefined, ja.text);
});

test('an older timeline (a "proposed" request, its steps, no status): never "proposed" in the message', () => {
  const records = [
    { kind: 'action' as const, text: 'proposed: start-service (Apache is down)', data: { type: 'start-service', params: {} }, at: T0 + 1000 },
    { kind: 'action' as const, text: 'ran systemctl start apache2: exit 0', data: { argv: ['systemctl', 'start', 'apache2'], exitCode: 0 }, at: T0 + 2000 },
  ];
  const en = message(enContact, 'open', incident([httpDown()]), records);
  assert.doesNotMatch(en.text, /proposed/i, en.text);
  assert.equal(section(en.text, "Steps in mamoru's timeline:"), '- ran systemctl start apache2: exit 0', en.text);
  assert.equal(section(en.text, 'What mamoru did:'), undefined, 'an outcome not recorded is not told as done');
});

test('recovery of a resolved host incident with nothing done: no "watching", no filler, no request', () => {
  const host = { key: 'host', kind: 'host' as const, label: 'web1', state: 'UP', text: 'PING OK', since: T0, recoveredAt: T0 + 95_000 };
  for (const contact of [enContact, jaContact]) {
    const m = message(contact, 'recovered', incident([host], true), []);
    assert.doesNotMatch(m.text, /watching|Nothing yet|Nothing for now|確認しております|お願いすることはございません|お客様へのお願い|What we need/, m.text);
    assert.doesNotMatch(m.text, /\n\n\n/, 'an empty section leaves no gap');
  }
  // With a fix done, the recovery says what was done, and asks nothing.
  const fixed = message(enContact, 'recovered', incident([{ ...httpDown(), state: 'OK', text: 'HTTP OK: HTTP/1.1 200 OK', recoveredAt: T0 + 30_000 }], true), [...apacheFound(), ...startApache('done'), needed('x', said('Please check x.', 'x をご確認ください。'))]);
  assert.match(fixed.text, /What mamoru did:\n- Started apache2 on web1: it answers again/, fixed.text);
  assert.doesNotMatch(fixed.text, /What we need from you|watching/, fixed.text);
});

test('an update says what changed with its tense, from the records written since the last message', () => {
  const changes = [...startApache('done').slice(-1), escalated('x', said('A person must check the disk.', '担当者がディスクを確認する必要があります。'))];
  const en = message(enContact, 'update', incident([httpDown()]), [...apacheFound(), ...startApache('done')], changes);
  assert.equal(section(en.text, 'What changed:'), ['- Done: Started apache2 on web1: it answers again (HTTP 200).', '- A person must act: mamoru cannot fix this by itself: a person must look at the server and fix it.', '    Why: A person must check the disk.'].join('\n'), en.text);
  const ja = message(jaContact, 'update', incident([httpDown()]), [...apacheFound(), ...startApache('done')], [...startApache('started').slice(0, 1), ...raiseAsked(T0 + 600_000)]);
  const lines = ja.text.split('\n');
  const i = lines.indexOf('状況に変化がありましたのでお知らせいたします。');
  assert.deepEqual(lines.slice(i + 1, i + 3), ['- 実施中: web1 の apache2 を起動しています。', '- 承認待ち: web1 の MaxRequestWorkers を 5 から 10 に引き上げ Apache を再読み込みすることについて、承認をお待ちしています。'], ja.text);
});

test('steps of an action that also carry sentences are told in the reader\'s language under it', () => {
  const records = [status('start-service', 'started', 'starting', said('Starting apache2.', 'apache2 を起動しています。')), step('start-service', 'ran x'), { ...step('start-service', 'verified: HTTP OK'), data: { type: 'start-service', status: 'step', say: said('It answers (HTTP 200).', '応答しています（HTTP 200）。') } }, status('start-service', 'done', 'started', said('Started apache2.', 'apache2 を起動しました。'))];
  const ja = message(jaContact, 'open', incident([httpDown()]), records);
  assert.equal(section(ja.text, '■ 実施した対応'), ['- apache2 を起動しました。', '    応答しています（HTTP 200）。', '（このほか技術的な記録が 1 件あり、運用担当者のタイムラインに記録しております。）'].join('\n'), ja.text);
});

test('an action that hands over to another (ServerLimit: the raise with a restart, held for approval) asks no person', () => {
  const records = [
    status('raise-worker-limit', 'failed', 'did not raise MaxRequestWorkers on web1: ServerLimit 5 caps it', said('Did not raise MaxRequestWorkers on web1: ServerLimit 5 caps it, and a reload cannot change ServerLimit.', 'web1 の MaxRequestWorkers は引き上げませんでした。ServerLimit 5 が上限となっており、再読み込みでは変更できないためです。'), { instead: { type: 'raise-worker-limit-restart', why: 'ServerLimit caps the raise' } }),
    status('raise-worker-limit-restart', 'pending', 'asked for approval (id b2c3d4, within 30 minutes): raise ServerLimit and MaxRequestWorkers on web1 to 10 and restart Apache', said('Waiting for approval to raise ServerLimit and MaxRequestWorkers on web1 to 10 and restart Apache.', 'web1 の ServerLimit と MaxRequestWorkers を 10 に引き上げ Apache を再起動することについて、承認をお待ちしています。'), { approvalId: 'b2c3d4', expiresAt: T0 + 1_800_000 }),
  ];
  const en = message(enContact, 'open', incident([httpDown()]), records);
  assert.match(section(en.text, 'What mamoru could not do:')!, /^- Did not raise MaxRequestWorkers on web1: ServerLimit 5 caps it/m, en.text);
  assert.match(section(en.text, 'Waiting for your approval (nothing changed yet):')!, /^- Waiting for approval to raise ServerLimit and MaxRequestWorkers on web1 to 10 and restart Apache\. \(approval id b2c3d4, until 2026-01-19 11:30:00 UTC\)$/m, en.text);
  assert.equal(section(en.text, 'What a person must do:'), undefined, en.text);
});

test('a template of the config lays the sections out itself: each field keeps its tense, unknown fields are refused', async () => {
  const { templatesSchema } = await import('../../src/notify/contacts.ts');
  const templates = templatesSchema.parse({ en: { open: { text: 'Did:\n{{done}}\nWaiting:\n{{awaiting_approval}}\nCould not:\n{{could_not}}\nAll:\n{{actions}}\nAsk:\n{{needed}}' } } });
  const records = [...apacheFound(), ...startApache('escalate'), ...raiseAsked(T0 + 1_800_000)];
  const m = message(enContact, 'open', incident([httpDown()]), records, [], {});
  assert.match(m.text, /What mamoru could not do:/, 'the built-in template by default');
  const { compose } = await import('../../src/notify/compose.ts');
  const custom = compose(enContact, templates, { event: 'open', incident: incident([httpDown()]), details: { records }, now: T0 + 60_000 });
  const lines = custom.text.split('\n');
  assert.deepEqual(lines.slice(0, 2), ['Did:', '-'], custom.text);
  assert.match(custom.text, /^Waiting:\n- Waiting for approval to raise MaxRequestWorkers on web1 from 5 to 10 and reload Apache\. \(approval id a1b2c3, until 2026-01-19 11:30:00 UTC\)$/m, custom.text);
  assert.match(custom.text, /^All:\n- Could not do: Tried to start apache2 on web1[^\n]*\n(?: {4}[^\n]*\n)*- Waiting for approval: Waiting for approval to raise/m, custom.text);
  assert.match(custom.text, /^Ask:\n- mamoru could not finish the fix by itself/m, custom.text);
  assert.throws(() => templatesSchema.parse({ en: { open: { text: '{{proposed}}' } } }), /unknown template field \\"\{\{proposed\}\}\\"/);
});

test('the first message before the runbook has a verdict says the cause is being looked into; the verdict ends that line', () => {
  const looking = status('investigate', 'started', 'looking into it: the http-down runbook', said('Looking into the cause on web1 now.', '現在、web1 で原因を調査しております。'));
  const early = message(jaContact, 'open', incident([httpDown()]), [looking]);
  assert.equal(section(early.text, '■ 実施中の対応（本メール作成時点で未完了）')?.split('\n')[0], '- 現在、web1 で原因を調査しております。', early.text);
  const later = message(jaContact, 'open', incident([httpDown()]), [looking, ...apacheFound(), ...startApache('done')]);
  assert.doesNotMatch(later.text, /原因を調査しております/, later.text);
  assert.equal(section(later.text, '■ 調査の結果')!.split('\n')[0], '- web1 の Apache が停止しています（プロセスがなく、ポート 80 が閉じています）。', 'the findings stay findings');
});

test('found: the verdict and the first six findings; the others are counted, not listed', () => {
  const many = Array.from({ length: 10 }, (_, i) => evidence(`port ${1000 + i}: 0 connections`, said(`Port ${1000 + i} has no connections.`, `ポート ${1000 + i} の接続は 0 件です。`), { what: 'connections' }));
  const records = [verdict('pop3-slow', 'the cause is a login attack', said('The cause is a login attack.', '原因はログイン攻撃です。')), ...many];
  const ja = message(jaContact, 'open', incident([httpDown()]), records);
  const found = section(ja.text, '■ 調査の結果')!.split('\n');
  assert.equal(found[0], '- 原因はログイン攻撃です。', ja.text);
  assert.equal(found.filter((l) => l.startsWith('- ポート')).length, 6, ja.text);
  assert.equal(found.at(-1), '（このほか技術的な記録が 4 件あり、運用担当者のタイムラインに記録しております。）', ja.text);
});
