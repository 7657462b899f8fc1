/** Plugin output: the first line's text and perfdata, long output, and perfdata on later lines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPluginOutput, parsePluginOutput } from '../../src/core/result.ts';
import { parseDuration, formatDuration } from '../../src/core/duration.ts';
import { stateFromExitCode, worstState, NagiosState } from '../../src/core/nagios.ts';

test('Nagios 3 multi-line output: text, long output and perfdata from both places', () => {
  const out = parsePluginOutput('DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%); | /boot=68MB;88;93;0;98\n/home=69357MB;253404;253409;0;253414\n');
  assert.equal(out.text, 'DISK OK - free space: / 3326 MB (56%);');
  assert.equal(out.longOutput, '/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);');
  assert.deepEqual(out.perfdata.map((p) => p.label), ['/', '/boot', '/home']);
});

test('plain text without perfdata, and output with bad perfdata', () => {
  assert.deepEqual(parsePluginOutput('PING OK - Packet loss = 0%\n'), { text: 'PING OK - Packet loss = 0%', perfdata: [], perfErrors: [] });
  const bad = parsePluginOutput('OK | time=abc size=1B');
  assert.equal(bad.text, 'OK');
  assert.deepEqual(bad.perfdata.map((p) => p.label), ['size']);
  assert.equal(bad.perfErrors.length, 1);
});

test('the output line is TEXT | perfdata, with long output after it', () => {
  const line = formatPluginOutput({ state: 0, text: 'TCP OK - 0.001 second response time on 127.0.0.1 port 22', perfdata: [{ label: 'time', value: 0.001, unit: 's', min: 0, max: 10 }], longOutput: 'more' });
  assert.equal(line, 'TCP OK - 0.001 second response time on 127.0.0.1 port 22 | time=0.001s;;;0;10\nmore');
});

test('durations as written in config and on the command line', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('10'), 10_000);
  assert.equal(parseDuration(1.5), 1500);
  for (const bad of ['10 seconds', '', 's', '5x', '-1s']) assert.throws(() => parseDuration(bad), /expected a duration/, bad);
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(250), '250ms');
});

test('exit codes and severity', () => {
  assert.equal(stateFromExitCode(2), NagiosState.CRITICAL);
  assert.equal(stateFromExitCode(137), NagiosState.UNKNOWN);
  assert.equal(stateFromExitCode(null), NagiosState.UNKNOWN);
  assert.equal(worstState(0, 3, 1), NagiosState.WARNING);
  assert.equal(worstState(0, 3), NagiosState.UNKNOWN);
  assert.equal(worstState(1, 2, 3), NagiosState.CRITICAL);
  assert.equal(worstState(), NagiosState.OK);
});
