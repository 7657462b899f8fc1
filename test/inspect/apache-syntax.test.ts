/**
 * The hand-written readers of Apache's syntax (apache-syntax.ts) and of Include wildcards
 * (glob-match.ts) against the regular expressions they replace: on random short lines (where
 * the regexes are quick) both give the same words, tags and lines, so real configs read as
 * before; on the lines that made the regexes run for minutes, the readers take microseconds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closeTag, logicalLine, openTag, splitArgs, substitute, unquote } from '../../src/inspect/apache-syntax.ts';
import { compileGlob, matchGlob } from '../../src/inspect/glob-match.ts';

/** The expressions apache-config.ts used before issue 12, kept here as the reference. */
const OLD = {
  split(text: string): string[] {
    const out: string[] = [];
    const re = /"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(\S+)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
    return out;
  },
  close: /^<\/([\w:]+)\s*>$/,
  open: /^<([\w:]+)(?:\s+(.*?))?\s*>$/,
  lines(text: string): [number, string][] {
    const raw = text.split('\n');
    const out: [number, string][] = [];
    for (let i = 0; i < raw.length; i++) {
      const no = i + 1;
      let line = raw[i]!.replace(/\r$/, '');
      while (line.endsWith('\\') && i + 1 < raw.length) line = line.slice(0, -1) + ' ' + raw[++i]!.replace(/\r$/, '').trimStart();
      line = line.trim();
      if (line) out.push([no, line]);
    }
    return out;
  },
  glob(pattern: string): RegExp {
    let re = '';
    for (const c of pattern) re += c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|\\[\]]/g, '\\$&');
    return new RegExp(`^${re}$`);
  },
};

/** A seeded source of small random strings over an alphabet. */
function random(seed: number) {
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  return { next, text: (alphabet: string[], max: number) => Array.from({ length: next(max + 1) }, () => alphabet[next(alphabet.length)]).join('') };
}

describe('apache syntax read by hand, as the old expressions read it', () => {
  test('words, tags, quotes and ${VAR} on 50,000 random lines', () => {
    const r = random(1);
    const alphabet = ['a', 'b', ' ', '\t', '"', "'", '\\', '<', '>', '/', ':', '_', '-', '\r', '\u2028', '\u00a0', '$', '{', '}', '!', '.'];
    const env: Record<string, string> = { a: 'AA', 'a.b': '', X: '${a}' };
    for (let k = 0; k < 50_000; k++) {
      const line = r.text(alphabet, 14);
      assert.deepEqual(splitArgs(line), OLD.split(line), JSON.stringify(line));
      const t = line.trim();
      const c = OLD.close.exec(t);
      assert.equal(closeTag(t), c?.[1], JSON.stringify(t));
      const o = c ? null : OLD.open.exec(t);
      const mine = c ? undefined : openTag(t);
      assert.deepEqual(mine && [mine.name, mine.arg], o ? [o[1], o[2] ?? ''] : undefined, JSON.stringify(t));
      assert.equal(unquote(line), line.replace(/^"(.*)"$/, '$1'), JSON.stringify(line));
      const missing: string[] = [];
      const before: string[] = [];
      const old = line.replace(/\$\{([A-Za-z0-9_.:-]+)\}/g, (all, n: string) => env[n] ?? (before.push(n), all));
      assert.equal(
        substitute(line, (n) => env[n], (n) => missing.push(n), 1e6),
        old,
      );
      assert.deepEqual(missing, before);
    }
  });

  test('logical lines (continuations, CR, comments) on 20,000 random files', () => {
    const r = random(2);
    for (let k = 0; k < 20_000; k++) {
      const text = r.text(['a', ' ', '\\', '\r', '\n', '#', '<'], 20);
      const mine: [number, string][] = [];
      let no = 1;
      for (let pos = 0; pos < text.length; ) {
        const ll = logicalLine(text, pos, 1e6);
        if (ll.text) mine.push([no, ll.text]);
        no += ll.lines;
        pos = ll.next;
      }
      assert.deepEqual(mine, OLD.lines(text), JSON.stringify(text));
    }
  });

  test('the lines that made the old expressions run for minutes take milliseconds', () => {
    const lines = [`<a${' '.repeat(100_000)}x`, `<a ${' \\"'.repeat(30_000)}`, `"${'\\"'.repeat(50_000)}`, `${'${a'.repeat(30_000)}`, `<${'a'.repeat(100_000)} `];
    for (const line of lines) {
      const t0 = performance.now();
      openTag(line.trim());
      closeTag(line.trim());
      splitArgs(line);
      substitute(line, () => undefined, () => {}, 1e6);
      logicalLine(line, 0, 1e6);
      assert.ok(performance.now() - t0 < 50, `${(performance.now() - t0).toFixed(1)} ms for ${JSON.stringify(line.slice(0, 20))}...`);
    }
  });
});

describe('Include wildcards', () => {
  test('* and ? as the old RegExp matched them, on 100,000 random patterns and names', () => {
    const r = random(3);
    for (let k = 0; k < 100_000; k++) {
      const pattern = r.text(['a', 'b', '*', '?', '.'], 8) || '*';
      const name = r.text(['a', 'b', '.'], 10);
      assert.equal(matchGlob(compileGlob(pattern), name), OLD.glob(pattern).test(name), `${pattern} ${name}`);
    }
  });

  test('sets, escapes and "/" as fnmatch has them', () => {
    const cases: [string, string, boolean][] = [
      ['[ab]x', 'ax', true],
      ['[!ab]x', 'ax', false],
      ['[!ab]x', 'cx', true],
      ['[^a]', 'b', true],
      ['[a-c]*.conf', 'b1.conf', true],
      ['[a-c]*.conf', 'd1.conf', false],
      ['[]a]', ']', true],
      ['a[-]b', 'a-b', true],
      ['[', '[', true],
      ['x[', 'x[', true],
      ['\\*', '*', true],
      ['\\*', 'a', false],
      ['*', 'a/b', false],
      ['?', '/', false],
      ['[!a]', '/', false],
      ['*/*.conf', 'sites/a.conf', true],
    ];
    for (const [pattern, name, want] of cases) assert.equal(matchGlob(compileGlob(pattern), name), want, `${pattern} ${name}`);
  });

  test('"*a*a*a*a*a*a*a*a*b" against names of 100 and 10,000 characters: linear, not exponential', () => {
    const glob = compileGlob('*a*a*a*a*a*a*a*a*b');
    for (const n of [100, 10_000]) {
      const t0 = performance.now();
      assert.equal(matchGlob(glob, 'a'.repeat(n)), false);
      assert.ok(performance.now() - t0 < 50, `${(performance.now() - t0).toFixed(1)} ms for ${n} characters`);
    }
  });
});
