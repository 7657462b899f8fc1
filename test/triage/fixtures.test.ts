/**
 * Every recorded alert (`test/fixtures/alerts/`) classified as mamoru meets it: as Nagios hands it
 * over (the text, the check's name, the state), as bare text, inside a Nagios notification, and,
 * for mamoru's own probes, as a transition. The expectations (alert-fixtures.ts) come from the
 * conditions that produced the texts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classify, runbookSteps, type AlertKind } from '../../src/triage/index.ts';
import { checkCommandOf, expected, loadFixtures, nagiosCommandOf, optionsOf, pluginStateOf, probeTypeOf, type AlertFixture, type Expected } from './alert-fixtures.ts';

const fixtures = loadFixtures();
const kinds = (x: Expected): readonly AlertKind[] => (Array.isArray(x.kind) ? x.kind : [x.kind as AlertKind]);
const stateWords = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];

function expectationOf(f: AlertFixture): Expected {
  const x = expected[f.name];
  assert.ok(x, `${f.name}.txt has no expectation in alert-fixtures.ts`);
  return x;
}

function assertClassified(f: AlertFixture, x: Expected, got: ReturnType<typeof classify>, how: string): void {
  const what = `${f.name} (${how}): ${f.condition}\n  text: ${f.output.split('\n').join(' / ')}\n  got: ${JSON.stringify({ ...got, steps: undefined })}`;
  assert.ok(kinds(x).includes(got.kind), `kind ${got.kind}, expected ${kinds(x).join(' or ')}\n${what}`);
  assert.equal(got.service, x.service, `service\n${what}`);
  assert.equal(got.runbook, x.runbook, `runbook\n${what}`);
  assert.deepEqual(got.steps, x.runbook ? runbookSteps[x.runbook] : [], `steps\n${what}`);
}

describe('triage: the recorded alerts', () => {
  test('the fixtures are there, and every one has an expectation and every expectation a fixture', () => {
    assert.ok(fixtures.length >= 100, `only ${fixtures.length} fixtures: re-record them with test/fixtures/alerts/record.ts`);
    const names = new Set(fixtures.map((f) => f.name));
    assert.deepEqual(fixtures.filter((f) => !expected[f.name]).map((f) => f.name), [], 'fixtures without an expectation');
    assert.deepEqual(Object.keys(expected).filter((n) => !names.has(n)), [], 'expectations without a fixture');
  });

  test('a recorded command exited with a Nagios state or a tool error, not a crash (127: the plugin could not run)', () => {
    for (const f of fixtures.filter((f) => f.argv)) assert.ok(f.exit !== undefined && f.exit >= 0 && f.exit <= 3, `${f.name}: exit ${f.exit}: ${f.output}`);
  });

  for (const f of fixtures) {
    test(`${f.name}: as Nagios hands it over (text, check, state)`, () => {
      const x = expectationOf(f);
      const got = classify({ text: f.output, service: x.hint ?? checkCommandOf(f), state: pluginStateOf(f) });
      assertClassified(f, x, got, 'with the check and the state');
      // With the check command and its arguments ($SERVICECHECKCOMMAND$) as well: the same answer.
      const withCommand = classify({ text: f.output, service: x.hint ?? checkCommandOf(f), command: nagiosCommandOf(f), state: pluginStateOf(f) });
      assertClassified(f, x, withCommand, 'with the check command');
    });
  }

  test('the bare text gives the same kind and never a wrong service (unless only the check can tell)', () => {
    for (const f of fixtures) {
      const x = expectationOf(f);
      const got = classify({ text: f.output });
      if (x.needsHint) continue;
      assert.ok(kinds(x).includes(got.kind), `${f.name}: kind ${got.kind} from the text alone, expected ${kinds(x).join(' or ')}: ${f.output}`);
      assert.ok(got.service === x.service || got.service === null, `${f.name}: the text alone named ${got.service}, the check was ${x.service}: ${f.output}`);
    }
  });

  test('inside a Nagios service notification (subject and body), the same answer', () => {
    for (const f of fixtures.filter((f) => f.argv && f.exit !== undefined)) {
      const x = expectationOf(f);
      // A wrapper running one of net-snmp's tools reports its words as UNKNOWN, as check_snmp does.
      const state = stateWords[pluginStateOf(f) ?? 3]!;
      const desc = x.hint ?? checkCommandOf(f)!;
      const type = state === 'OK' ? 'RECOVERY' : 'PROBLEM';
      const mail = [
        `** ${type} Service Alert: web1/${desc} is ${state} **`,
        '***** Nagios *****',
        '',
        `Notification Type: ${type}`,
        '',
        `Service: ${desc}`,
        'Host: web1',
        'Address: 192.0.2.10',
        `State: ${state}`,
        '',
        'Date/Time: Tue Jan 19 20:38:08 JST 2027',
        '',
        'Additional Info:',
        '',
        f.output,
      ].join('\n');
      assertClassified(f, x, classify({ text: mail }), 'in a notification');
    }
  });

  test("mamoru's own results as transitions: the probe type tells the service", () => {
    const own = fixtures.filter((f) => probeTypeOf(f));
    assert.ok(own.length >= 30, `only ${own.length} fixtures of mamoru's probes`);
    for (const f of own) {
      const x = expectationOf(f);
      // The transition carries the result's text, the line before the perfdata.
      const text = f.output.split('\n')[0]!.split(' | ')[0]!;
      const got = classify({ probeType: probeTypeOf(f)!, state: f.exit as 0 | 1 | 2 | 3, text, check: x.hint, options: optionsOf(f) });
      assertClassified(f, x, got, `transition of ${probeTypeOf(f)}`);
    }
  });
});
