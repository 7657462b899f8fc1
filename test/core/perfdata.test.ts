/** Perfdata and threshold ranges: the Nagios syntax in, typed values out, and back. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPerfdata, parsePerfdata, parsePerfdataLenient } from '../../src/core/perfdata.ts';
import { evaluate, formatRange, parseRange, rangeAlerts } from '../../src/core/range.ts';
import { NagiosState } from '../../src/core/nagios.ts';

test('ranges follow the plugin guidelines', () => {
  const cases: [string, number, boolean][] = [
    ['10', -1, true], ['10', 0, false], ['10', 10, false], ['10', 10.1, true],
    ['10:', 9.9, true], ['10:', 10, false], ['10:', 1e9, false],
    ['~:20', -1e9, false], ['~:20', 20, false], ['~:20', 21, true],
    ['5:10', 4, true], ['5:10', 7, false], ['5:10', 11, true],
    ['@5:10', 4, false], ['@5:10', 5, true], ['@5:10', 10, true], ['@5:10', 11, false],
  ];
  for (const [text, value, alerts] of cases) assert.equal(rangeAlerts(parseRange(text), value), alerts, `${text} with ${value}`);
  for (const text of ['10', '10:', '~:20', '5:10', '@5:10', '-5:-1']) assert.equal(formatRange(parseRange(text)), text);
  for (const bad of ['', 'abc', '10:5', ':', '5:~', '@']) assert.throws(() => parseRange(bad), /invalid range/, bad);
  assert.equal(evaluate(7, { warning: parseRange('5'), critical: parseRange('10') }), NagiosState.WARNING);
  assert.equal(evaluate(11, { warning: parseRange('5'), critical: parseRange('10') }), NagiosState.CRITICAL);
  assert.equal(evaluate(3, { warning: parseRange('5'), critical: parseRange('10') }), NagiosState.OK);
});

test('perfdata: check_tcp, check_ping and check_disk outputs parse into typed values', () => {
  const [time] = parsePerfdata('time=0.000173s;;;0.000000;10.000000');
  assert.deepEqual(time, { label: 'time', value: 0.000173, unit: 's', warn: undefined, crit: undefined, min: 0, max: 10 });
  const [rta, pl] = parsePerfdata('rta=0.058000ms;100.000000;500.000000;0.000000 pl=0%;20;60;0;');
  assert.equal(rta!.unit, 'ms');
  assert.deepEqual(rta!.warn, { start: 0, end: 100, inside: false });
  assert.equal(pl!.value, 0);
  assert.equal(pl!.unit, '%');
  assert.deepEqual(pl!.crit, { start: 0, end: 60, inside: false });
  const [disk] = parsePerfdata('/=24479006720B;216442024755;243497277849;0;270552530944');
  assert.equal(disk!.label, '/');
  assert.equal(disk!.value, 24479006720);
  assert.equal(disk!.max, 270552530944);
});

test('perfdata: quoted labels with spaces and quotes, U, ranges, negative values', () => {
  const items = parsePerfdata(`'in bytes'=12c 'it''s'=1 load1=U;~:5;@1:2 temp=-3.5;-10:;~:40`);
  assert.deepEqual(items.map((i) => i.label), ['in bytes', "it's", 'load1', 'temp']);
  assert.equal(items[0]!.unit, 'c');
  assert.equal(items[2]!.value, null);
  assert.deepEqual(items[2]!.warn, { start: -Infinity, end: 5, inside: false });
  assert.deepEqual(items[2]!.crit, { start: 1, end: 2, inside: true });
  assert.equal(items[3]!.value, -3.5);
  assert.equal(formatPerfdata(items), `'in bytes'=12c 'it''s'=1 load1=U;~:5;@1:2 temp=-3.5;-10:;~:40`);
});

test('perfdata round trip keeps every field, trailing empty fields dropped', () => {
  const text = 'time=0.5s;1;5;0;10 size=612B;;;0 x=1';
  assert.equal(formatPerfdata(parsePerfdata(text)), text);
});

test('bad perfdata is an error with the item, or skipped in lenient mode', () => {
  assert.throws(() => parsePerfdata('time=fast'), /invalid perfdata "time=fast": value "fast" is not a number or U/);
  assert.throws(() => parsePerfdata('novalue'), /expected label=value/);
  assert.throws(() => parsePerfdata('a=1;10:5'), /start is greater than end/);
  const { perfdata, errors } = parsePerfdataLenient('good=1 bad=x other=2');
  assert.deepEqual(perfdata.map((p) => p.label), ['good', 'other']);
  assert.equal(errors.length, 1);
});
