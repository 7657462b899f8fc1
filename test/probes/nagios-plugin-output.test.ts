/**
 * How a plugin's output is made safe and small, piece by piece: the cleaning every CheckResult
 * text goes through (core/sanitize.ts, through core/result.ts), the capped reader (bounded
 * memory, lines cut between characters) and the fit of the printed result to max_output.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NagiosState } from '../../src/core/nagios.ts';
import { formatPluginOutput, outcome, parsePluginOutput } from '../../src/core/result.ts';
import { cleanText, cutToBytes, decodeText } from '../../src/core/sanitize.ts';
import { CappedOutput, fitOutput } from '../../src/probes/nagios-plugin.ts';

describe('cleanText: what a terminal, a page or a message would act on is made inert', () => {
  const cases: [string, string, string][] = [
    ['colour (CSI) removed, words kept', 'a \x1b[1;31mred\x1b[0m b', 'a red b'],
    ['cursor moves and screen clear removed', '\x1b[2J\x1b[H\x1b[10;20fX', 'X'],
    ['window title (OSC ended by BEL) removed', 'x\x1b]0;owned\x07y', 'xy'],
    ['clipboard write (OSC 52 ended by ST) removed', 'x\x1b]52;c;ZXZpbA==\x1b\\y', 'xy'],
    ['DCS string removed', 'x\x1bPq#0;2;0;0;0\x1b\\y', 'xy'],
    ['two-character sequences removed', 'x\x1bcy\x1b(Bz', 'xyz'],
    ['an unterminated OSC loses its introducer, the rest is inert text', 'x\x1b]0;title', 'x0;title'],
    ['a lone ESC at the end becomes "?"', 'x\x1b', 'x?'],
    ['C0 controls become "?"', 'a\x00b\x07c\x08d', 'a?b?c?d'],
    ['a lone carriage return (overprinting) becomes "?"', 'CRITICAL\rOK      ', 'CRITICAL?OK      '],
    ['CRLF becomes LF', 'a\r\nb', 'a\nb'],
    ['newline and tab stay', 'a\n\tb', 'a\n\tb'],
    ['DEL and C1 (8-bit CSI) become "?"', 'a\x7fb\u009b31mc', 'a?b?31mc'],
    ['bidi overrides and isolates become "?"', 'abc\u202Etxt.exe\u2066x\u2069', 'abc?txt.exe?x?'],
    ['line and paragraph separators become "?"', 'a\u2028b\u2029c', 'a?b?c'],
    ['a lone surrogate becomes U+FFFD', 'a\ud800b', 'a\uFFFDb'],
    ['Japanese and emoji untouched', 'ディスク残量 ⚠️ 😀', 'ディスク残量 ⚠️ 😀'],
  ];
  for (const [what, input, want] of cases) {
    test(what, () => {
      assert.equal(cleanText(input), want);
      assert.equal(cleanText(want), want, 'cleaning twice changes nothing');
    });
  }

  test('invalid UTF-8 is replaced by U+FFFD', () => {
    assert.equal(decodeText(Buffer.from([0x41, 0xff, 0xfe, 0x42, 0xc3, 0x28, 0xed, 0xa0, 0x80])), 'A\uFFFD\uFFFDB\uFFFD(\uFFFD\uFFFD\uFFFD');
  });

  test('a hostile escape run is cleaned in linear time (no backtracking blow-up)', () => {
    const evil = '\x1b]'.repeat(50_000) + '\x1b['.repeat(50_000) + '1;'.repeat(50_000);
    const t0 = performance.now();
    const out = cleanText(evil);
    assert.ok(performance.now() - t0 < 1000, `${Math.round(performance.now() - t0)} ms`);
    assert.doesNotMatch(out, /\x1b/);
  });

  test('every probe\'s result is clean: outcome() and the plugin parser clean text and long output', () => {
    const r = outcome(NagiosState.OK, 'TCP OK - \x1b[31mSSH-2.0\x1b[0m\r\x07', [], 'banner \x1b]0;x\x07line\x00');
    assert.equal(r.text, 'TCP OK - SSH-2.0 ?');
    assert.equal(r.longOutput, 'banner line?');
    const p = parsePluginOutput('OK \x1b[1mfine\x1b[0m | t=1s\nmore\x1b[K\n');
    assert.equal(p.text, 'OK fine');
    assert.equal(p.longOutput, 'more');
    assert.equal(p.perfdata[0]?.label, 't');
  });
});

describe('CappedOutput: bounded while reading', () => {
  test('10 MB in 64 KB chunks with max_output 65536: never more than the cap held', () => {
    const out = new CappedOutput(65536, 65536);
    const chunk = Buffer.alloc(65536, 'y\n');
    for (let i = 0; i < 160; i++) out.push(chunk);
    assert.ok(out.allocated <= 65536, `${out.allocated} bytes held`);
    assert.equal(out.seen, 160 * 65536);
    assert.equal(out.cut, true);
    assert.ok(out.bytes().length <= 65536);
  });

  test('a line cut at max_line_length is cut between characters and says so', () => {
    const out = new CappedOutput(65536, 1024);
    out.push(Buffer.from('é'.repeat(3000) + '\nnext\n'));
    const text = decodeText(out.bytes());
    const [first, second] = text.split('\n');
    assert.ok(Buffer.byteLength(first!) <= 1024, `${Buffer.byteLength(first!)} bytes`);
    assert.match(first!, /^é+ … \(line of 6000 bytes cut\)$/);
    assert.equal(second, 'next');
    assert.equal(out.cut, false, 'nothing but the line was lost');
  });
});

describe('fitOutput: the printed result at most max_output', () => {
  test('long output gives way first, the notes stay', () => {
    const r = outcome(NagiosState.WARNING, 'W - short');
    const fitted = fitOutput(r, 'z'.repeat(5000), ['(bad perfdata dropped: x)'], 2048);
    assert.ok(Buffer.byteLength(formatPluginOutput(fitted)) <= 2048);
    assert.equal(fitted.text, 'W - short');
    assert.match(fitted.longOutput!, /^z+\n\(bad perfdata dropped: x\)\n\(output cut to max_output, 2048 bytes\)$/);
  });

  test('perfdata too long for the cap is dropped with a note rather than printed past it', () => {
    const perf = parsePluginOutput(`P OK | ${Array.from({ length: 300 }, (_, i) => `label_${i}=1;2;3`).join(' ')}`).perfdata;
    const fitted = fitOutput(outcome(NagiosState.OK, 'P OK', perf), '', [], 1024);
    assert.ok(Buffer.byteLength(formatPluginOutput(fitted)) <= 1024);
    assert.deepEqual(fitted.perfdata, []);
    assert.match(fitted.longOutput!, /perfdata dropped: too long for max_output/);
  });

  test('cutToBytes never splits a character', () => {
    assert.equal(cutToBytes('aé漢😀', 1), 'a');
    assert.equal(cutToBytes('aé漢😀', 2), 'a');
    assert.equal(cutToBytes('aé漢😀', 3), 'aé');
    assert.equal(cutToBytes('aé漢😀', 9), 'aé漢');
    assert.equal(cutToBytes('aé漢😀', 10), 'aé漢😀');
  });
});
