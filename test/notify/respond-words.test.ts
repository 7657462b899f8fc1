/**
 * The message as the client and ops receive it, from a timeline that respond() really wrote:
 * a stopped service on this machine (local executor, a toy TCP server), its runbook and the start
 * it proposes under each guard mode, recorded into the real IncidentManager on SQLite the way
 * the daemon does, then composed from the stored records the way the dispatcher does (details()).
 * Each action line is in the section of its tense, in English and Japanese, and the Japanese
 * message carries no English sentence.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createGuard, policySchema } from '../../src/actions/policy.ts';
import { serviceSchema } from '../../src/actions/service-config.ts';
import { systemClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/log.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { createLocalExecutor } from '../../src/executors/local.ts';
import { IncidentManager } from '../../src/incidents/manager.ts';
import { compose } from '../../src/notify/compose.ts';
import { respond } from '../../src/runbooks/run.ts';
import { stores } from '../../src/store/index.ts';
import { classify } from '../../src/triage/index.ts';
import { englishLines, enContact, jaContact, section } from './timeline.ts';
import { freePort } from '../helpers/nginx.ts';

const root = mkdtempSync(join(tmpdir(), 'mamoru-respond-words-'));
const marker = `mamoru-words-toy-${process.pid}`;
after(() => {
  try {
    execFileSync('pkill', ['-f', marker]);
  } catch {
    /* not running */
  }
  rmSync(root, { recursive: true, force: true });
});


type Mode = 'auto' | 'ask' | 'dry-run';

/** A toy service that is down; `works`: its start command brings it up (else the start does nothing). */
async function respondTo(name: string, mode: Mode, works: boolean) {
  const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path: join(root, `${name}.db`) }), { log: silentLogger });
  const clock = systemClock;
  const incidents = new IncidentManager({ store, coolDownMs: 300_000, log: silentLogger });
  const port = await freePort();
  const toy = `require('node:net').createServer((s) => { s.on('error', () => {}); s.end('hello\\n'); }).listen(${port}, '127.0.0.1'); /* ${marker}-${name} */`;
  const service = serviceSchema.parse({
    name: `toy-${name}`,
    manager: 'command',
    processes: ['node'],
    process_match: `${marker}-${name}`,
    ports: [port],
    start: works ? [process.execPath, '-e', toy] : ['true'],
    start_detached: works,
    page_timeout: '1s',
    start_timeout: works ? '10s' : '1s',
  });
  const text = `TCP CRITICAL - connect to address 127.0.0.1 and port ${port}: Connection refused`;
  const [opened] = await incidents.handle([{ type: 'problem', target: 'local', subject: { kind: 'service', checkId: `local/${name}`, name, probe: 'tcp' }, state: 'CRITICAL', text, level: 0 }], clock.now());
  const inc = opened!.incident;
  const triage = classify({ probeType: 'tcp', state: NagiosState.CRITICAL, text, check: name });
  const res = await respond(
    {
      executor: createLocalExecutor(),
      address: '127.0.0.1',
      target: 'local',
      service,
      clock,
      guard: createGuard(policySchema.parse({ mode }), clock),
      log: silentLogger,
      recorder: { record: (r) => incidents.record(inc.id, r.kind, r.text, r.data, r.at ?? clock.now()) },
    },
    triage,
  );
  // What remediate() adds (daemon-alerts.ts): a person when mamoru could not finish.
  if (res.summary.escalation) await incidents.record(inc.id, 'escalated', `needs a person: ${res.summary.escalation}`, { runbook: res.runbook, ...(res.summary.escalationSay ? { say: res.summary.escalationSay } : {}) }, clock.now());
  // As Alerting.details() hands them to compose.
  const records = (await store.incidentEvents(inc.id)).filter((e) => e.kind === 'evidence' || e.kind === 'action' || e.kind === 'escalated');
  await store.close();
  const told = (contact: typeof enContact | typeof jaContact) => compose(contact, {}, { event: 'open', incident: inc, address: '127.0.0.1', details: { records }, now: clock.now() });
  if (process.env.MAMORU_SHOW) console.log(`${told(enContact).text}\n-----\n${told(jaContact).text}\n=====`);
  return { res, en: told(enContact), ja: told(jaContact), timeline: records.map((r) => `${r.kind} ${JSON.stringify(r.data?.status ?? null)}: ${r.text}`).join('\n') };
}


function noEnglishInJapanese(m: { subject: string; text: string }) {
  assert.deepEqual(englishLines(m.subject, m.text), [], m.text);
}

test('auto: started and verified: "did", with its result; never "proposed"', async () => {
  const { res, en, ja, timeline } = await respondTo('done', 'auto', true);
  assert.equal(res.actions[0]?.outcome.status, 'done', timeline);
  assert.match(section(en.text, 'What mamoru did:') ?? '', /^- .*toy-done/im, `${en.text}\n--- timeline:\n${timeline}`);
  assert.doesNotMatch(en.text, /proposed|could not do|Waiting for|What a person must do/i, en.text);
  assert.ok(section(ja.text, '■ 実施した対応'), ja.text);
  assert.equal(section(ja.text, '■ 担当者による対応が必要です'), undefined, ja.text);
  noEnglishInJapanese(ja);
});

test('auto: a start that does not bring it back: "could not do", and what a person must do', async () => {
  const { res, en, ja, timeline } = await respondTo('broken', 'auto', false);
  assert.equal(res.actions[0]?.outcome.status, 'escalate', timeline);
  assert.match(section(en.text, 'What mamoru could not do:') ?? '', /^- .*toy-broken/im, `${en.text}\n--- timeline:\n${timeline}`);
  assert.ok(section(en.text, 'What a person must do:'), en.text);
  assert.equal(section(en.text, 'What mamoru did:'), undefined, en.text);
  assert.doesNotMatch(en.text, /Nothing for now|proposed/i, en.text);
  assert.ok(section(ja.text, '■ 対応できなかった内容'), ja.text);
  assert.ok(section(ja.text, '■ 担当者による対応が必要です'), ja.text);
  noEnglishInJapanese(ja);
});

test('dry-run: "would do", and nothing told as done', async () => {
  const { res, en, ja, timeline } = await respondTo('dry', 'dry-run', true);
  assert.equal(res.actions[0]?.outcome.status, 'dry-run', timeline);
  assert.match(section(en.text, 'What mamoru would do (dry run: nothing was changed):') ?? '', /^- .*toy-dry/im, `${en.text}\n--- timeline:\n${timeline}`);
  assert.equal(section(en.text, 'What mamoru did:'), undefined, en.text);
  // What the action looked at is its step, not one of the runbook's findings.
  assert.doesNotMatch(section(en.text, 'What mamoru found:') ?? '', /master process/, en.text);
  assert.ok(section(ja.text, '■ 実施予定の対応（試行モードのため、何も変更しておりません）'), ja.text);
  noEnglishInJapanese(ja);
});

test('ask: waiting for approval, with what it would change and until when', async () => {
  const { res, en, ja, timeline } = await respondTo('ask', 'ask', true);
  assert.equal(res.actions[0]?.outcome.status, 'pending', timeline);
  const waiting = section(en.text, 'Waiting for your approval (nothing changed yet):') ?? '';
  assert.match(waiting, /^- .*toy-ask.*\(approval id [0-9a-f]+, until \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\)$/m, `${en.text}\n--- timeline:\n${timeline}`);
  assert.equal(section(en.text, 'What mamoru did:'), undefined, en.text);
  assert.match(section(ja.text, '■ 承認待ちの対応（まだ何も変更しておりません）') ?? '', /（承認 ID [0-9a-f]+、\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} JST まで）$/m, ja.text);
  noEnglishInJapanese(ja);
});
