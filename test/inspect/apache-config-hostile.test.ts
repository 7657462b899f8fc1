/**
 * Issue 12: a monitored server cannot turn mamoru against itself through its Apache config.
 * A fake server (lazy-server.ts) answers like a compromised one: section tags of 100,000
 * characters, Include globs made to backtrack against 10,000 names of 100 characters, 2,000
 * included files of 4 MiB, Include chains and fan-outs, `${VAR}` doubling, a million
 * directives. For each: what the result says (problems, `tooLarge`) in words a person reads,
 * the argv mamoru ran, the longest the event loop was held (under 100 ms) and the heap it took
 * (under 300 MiB); and the real Scheduler keeps its 50 ms beat while the worst of them is read.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { z } from 'zod';
import { systemClock } from '../../src/core/clock.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import { lastDirective, readApacheConfig, type ApacheConfig, type ApacheConfigOptions } from '../../src/inspect/apache-config.ts';
import { defineProbe } from '../../src/probes/types.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import { cpuMs, flat, LazyServer, measure, type LazyTree } from './lazy-server.ts';

const ROOT = '/etc/apache2';
const MAIN = `${ROOT}/apache2.conf`;
const HEAD = 'LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\n';
const MAX_BLOCK_MS = 100;
const MAX_HEAP_MIB = 300;

/** A tree from a main file, other files and directories (each a function, so it can be huge). */
function tree(main: string, files: (path: string) => string | undefined = () => undefined, dirs: (path: string) => string[] | undefined = () => undefined): LazyTree {
  flat(main);
  return {
    file: (p) => (p === MAIN ? main : files(p)),
    dir: (p) => (p === ROOT ? ['apache2.conf'] : dirs(p)),
  };
}

/** Only `ls -1Ap -- /abs` and `test -d /abs` (test takes no "--"; an absolute path is no option). */
function assertSafeArgv(ran: string[][]): void {
  for (const argv of ran) {
    const ls = argv.length === 4 && argv[0] === 'ls' && argv[1] === '-1Ap' && argv[2] === '--' && argv[3]!.startsWith('/');
    const testDir = argv.length === 3 && argv[0] === 'test' && argv[1] === '-d' && argv[2]!.startsWith('/');
    assert.ok(ls || testDir, `unexpected argv ${JSON.stringify(argv)}`);
  }
}

/** Reads the config from the fake, measured; asserts the loop and heap bounds and reports the figures. */
async function read(t: TestContext, lazy: LazyTree, opts: Partial<ApacheConfigOptions> = {}): Promise<{ config: ApacheConfig; server: LazyServer }> {
  const server = new LazyServer(lazy);
  const m = await measure(() => readApacheConfig(server, { configFile: 'apache2.conf', serverRoot: ROOT, ...opts }));
  t.diagnostic(
    `longest event-loop block ${m.longestCpuBlockMs.toFixed(1)} ms on the CPU (${m.longestBlockMs.toFixed(1)} ms wall, histogram ${m.histogramMaxMs.toFixed(1)} ms), ` +
      `peak heap +${m.peakHeapMiB.toFixed(1)} MiB, ${m.elapsedMs.toFixed(0)} ms in all, ${server.ran.length} commands, ${server.reads.length} reads`,
  );
  assert.ok(m.longestCpuBlockMs < MAX_BLOCK_MS, `the event loop was held ${m.longestCpuBlockMs.toFixed(1)} ms`);
  assert.ok(m.peakHeapMiB < MAX_HEAP_MIB, `the heap grew ${m.peakHeapMiB.toFixed(1)} MiB`);
  assertSafeArgv(server.ran);
  return { config: m.value, server };
}

const limitOf = (c: ApacheConfig) => lastDirective(c, ['MaxRequestWorkers'])?.args[0];

describe('apache config from a hostile server: section tags and long lines', () => {
  test('"<a" and 100,000 spaces: a section tag too long to follow makes the config too large, at once', async (t) => {
    const { config, server } = await read(t, tree(`${HEAD}<a${' '.repeat(100_000)}x\nMaxRequestWorkers 5\n`));
    assert.equal(config.tooLarge, `the Apache config is too large to inspect: ${MAIN}:2 is a section tag of 100,003 characters`);
    assert.equal(config.problems.at(-1), config.tooLarge);
    assert.deepEqual(server.ran, []);
  });

  test('"<" and 100,000 letters: the same', async (t) => {
    const { config } = await read(t, tree(`${HEAD}<${'a'.repeat(100_000)}\nMaxRequestWorkers 5\n`));
    assert.equal(config.tooLarge, `the Apache config is too large to inspect: ${MAIN}:2 is a section tag of 100,001 characters`);
  });

  test('100,000 spaces then ">": skipped with a problem; the directives after it still count', async (t) => {
    const { config } = await read(t, tree(`${HEAD}${' '.repeat(100_000)}>\nMaxRequestWorkers 5\n`));
    assert.equal(config.tooLarge, undefined);
    assert.deepEqual(config.problems, [`${MAIN}:2: a line of 100,001 characters is longer than 16,384; skipped`]);
    assert.equal(limitOf(config), '5');
  });

  test('a thousand lines of 16,000 characters just under the limit, built to backtrack: all read, in slices', async (t) => {
    const shapes = [`<a${' '.repeat(16_000)}x`, `<${'a'.repeat(16_000)} ${' '.repeat(100)}b`, `${' '.repeat(16_000)}>`, `Header set X "${'\\"'.repeat(8_000)}`, `<a ${'"'.repeat(16_000)}>`];
    const body = flat(Array.from({ length: 250 }, (_, i) => shapes[i % shapes.length]).join('\n') + '\n');
    const last = flat(body + '</a>\n'.repeat(100) + 'MaxRequestWorkers 5\n');
    const names = ['1.conf', '2.conf', '3.conf', '4.conf'];
    const { config } = await read(
      t,
      tree(`${HEAD}Include near/*.conf\n`, (p) => (p === `${ROOT}/near/4.conf` ? last : p.startsWith(`${ROOT}/near/`) ? body : undefined), (p) => (p === `${ROOT}/near` ? names : undefined)),
    );
    assert.equal(config.tooLarge, undefined);
    assert.deepEqual(config.problems, []);
    assert.equal(config.files.length, 5);
    assert.equal(limitOf(config), '5');
  });
});

describe('apache config from a hostile server: Include globs and listings', () => {
  /** 9,998 names of 100 characters, none ending in "b": the pattern fails each only at its end. */
  const names = Array.from({ length: 9_998 }, (_, i) => 'a'.repeat(86) + i.toString(2).padStart(14, '0').replaceAll('0', 'a').replaceAll('1', 'c'));

  test('"*a*a*a*a*a*a*a*a*b" against 10,000 names of 100 characters: linear matching, one ls', async (t) => {
    const dir = `${ROOT}/g`;
    const { config, server } = await read(
      t,
      tree(`${HEAD}Include g/*a*a*a*a*a*a*a*a*b\nMaxRequestWorkers 5\n`, (p) => (p === `${dir}/aaaaaaaab` ? 'MaxRequestWorkers 9\n' : undefined), (p) => (p === dir ? [...names, 'aaaaaaaab', 'aab/'] : undefined)),
    );
    assert.deepEqual(server.ran, [['ls', '-1Ap', '--', dir]]);
    assert.deepEqual(config.files, [MAIN, `${dir}/aaaaaaaab`]);
    assert.equal(config.tooLarge, undefined);
    assert.equal(lastDirective(config, ['MaxRequestWorkers'])?.file, MAIN);
  });

  test('a directory of 10,001 entries: too large, not read', async (t) => {
    const { config, server } = await read(t, tree(`${HEAD}Include huge/*.conf\n`, () => 'A b\n', (p) => (p === `${ROOT}/huge` ? Array.from({ length: 10_001 }, (_, i) => `${i}.conf`) : undefined)));
    assert.equal(config.tooLarge, `the Apache config is too large to inspect: ${ROOT}/huge holds more than 10,000 entries`);
    assert.deepEqual(server.reads, [MAIN]);
  });

  test('a glob matching 10,000 files: too large before any is read', async (t) => {
    const { config, server } = await read(t, tree(`${HEAD}Include many/*.conf\n`, () => 'A b\n', (p) => (p === `${ROOT}/many` ? Array.from({ length: 10_000 }, (_, i) => `${i}.conf`) : undefined)));
    assert.equal(config.tooLarge, `the Apache config is too large to inspect: Include ${ROOT}/many/*.conf matches more than 512 files`);
    assert.deepEqual(server.reads, [MAIN]);
  });

  test('"/*/*/*/*.conf" over a tree of directories: bounded by the command budget', async (t) => {
    const sub = Array.from({ length: 200 }, (_, i) => `d${i}/`);
    const { config, server } = await read(t, tree(`${HEAD}Include /srv/*/*/*/*.conf\n`, () => undefined, (p) => (p.startsWith('/srv') ? sub : undefined)));
    assert.match(config.tooLarge ?? '', /^the Apache config is too large to inspect: (Include \/srv\/\*\/\*\/\*\/\*\.conf matches more than 1,000 directories|expanding its Includes takes more than 1,000 commands \(ls, test\))$/);
    assert.ok(server.ran.length <= 1_000, `${server.ran.length} commands`);
  });
});

describe('apache config from a hostile server: size', () => {
  /** Exactly 4 MiB of 1 KiB comment lines, shared by every file (the test holds one copy). */
  const fourMiB = flat(`# ${'x'.repeat(1021)}\n`.repeat(4096));

  test('2,000 included files of 4 MiB through one glob: too large before any is read', async (t) => {
    const files = Array.from({ length: 2_000 }, (_, i) => `${String(i).padStart(4, '0')}.conf`);
    const { config, server } = await read(t, tree(`${HEAD}Include big/*.conf\nMaxRequestWorkers 5\n`, (p) => (p.startsWith(`${ROOT}/big/`) ? fourMiB : undefined), (p) => (p === `${ROOT}/big` ? files : undefined)));
    assert.equal(config.tooLarge, `the Apache config is too large to inspect: Include ${ROOT}/big/*.conf matches more than 512 files`);
    assert.deepEqual(server.reads, [MAIN]);
  });

  test('2,000 Include lines of 4 MiB files: too large after 16 MiB, five reads', async (t) => {
    const includes = Array.from({ length: 2_000 }, (_, i) => `Include big/${i}.conf\n`).join('');
    const { config, server } = await read(t, tree(`${HEAD}${includes}MaxRequestWorkers 5\n`, (p) => (p.startsWith(`${ROOT}/big/`) ? fourMiB : undefined)));
    assert.equal(config.tooLarge, 'the Apache config is too large to inspect: more than 16 MiB in 5 files');
    assert.equal(server.reads.length, 5);
    assert.deepEqual(config.files, [MAIN, `${ROOT}/big/0.conf`, `${ROOT}/big/1.conf`, `${ROOT}/big/2.conf`]);
  });

  test('one file over 4 MiB: too large, with its name', async (t) => {
    const over = flat(`${fourMiB}A b\n`);
    const { config } = await read(t, tree(`${HEAD}Include big.conf\n`, (p) => (p === `${ROOT}/big.conf` ? over : undefined)));
    assert.equal(config.tooLarge, `the Apache config is too large to inspect: ${ROOT}/big.conf is larger than 4.0 MiB`);
  });

  test('a million tiny directives: too large past 100,000, without a million objects', async (t) => {
    const { config } = await read(t, tree(`${HEAD}${'A\n'.repeat(1_000_000)}MaxRequestWorkers 5\n`));
    assert.equal(config.tooLarge, 'the Apache config is too large to inspect: more than 100,000 directives');
    assert.equal(config.directives.length, 100_000);
  });

  test('limits can be changed: 10 directives', async (t) => {
    const { config } = await read(t, tree(`${HEAD}${'A\n'.repeat(20)}`), { limits: { maxDirectives: 10 } });
    assert.equal(config.tooLarge, 'the Apache config is too large to inspect: more than 10 directives');
  });

  test('many arguments and long ones: kept to 16 of 4,096 characters, marked cut', async (t) => {
    const { config } = await read(t, tree(`${HEAD}Many ${'x '.repeat(1000)}\nLong ${'y'.repeat(10_000)}\n`));
    const [many, long] = config.directives.slice(1);
    assert.equal(many?.args.length, 16);
    assert.equal(many?.cut, true);
    assert.equal(long?.args[0]?.length, 4096);
    assert.equal(long?.cut, true);
  });
});

describe('apache config from a hostile server: recursion and ${VAR}', () => {
  test('an Include chain 1,000 deep: stops at depth 32 with a problem', async (t) => {
    const { config } = await read(t, tree(`${HEAD}Include d/0.conf\nMaxRequestWorkers 5\n`, (p) => {
      const m = /^\/etc\/apache2\/d\/(\d+)\.conf$/.exec(p);
      return m ? `Include d/${Number(m[1]) + 1}.conf\n` : undefined;
    }));
    assert.equal(config.tooLarge, undefined);
    assert.equal(config.files.length, 33);
    assert.ok(config.problems.includes(`${ROOT}/d/32.conf: included from itself (or nested too deep); skipped`), config.problems.join('\n'));
    assert.equal(limitOf(config), '5');
  });

  test('ten files that each include all ten: a fan-out stopped at 512 files', async (t) => {
    const names = Array.from({ length: 10 }, (_, i) => `${i}.conf`);
    const { config, server } = await read(t, tree(`${HEAD}Include loop/*.conf\n`, (p) => (p.startsWith(`${ROOT}/loop/`) ? 'Include loop/*.conf\n' : undefined), (p) => (p === `${ROOT}/loop` ? names : undefined)));
    assert.equal(config.tooLarge, 'the Apache config is too large to inspect: it includes more than 512 files');
    assert.ok(server.reads.length <= 513);
  });

  test('${A} doubled by Define: one pass as Apache does, lines capped, growth stopped at 1 MiB', async (t) => {
    let text = `${HEAD}Define B0 ${'x'.repeat(1024)}\n`;
    for (let i = 1; i <= 30; i++) text += `Define B${i} \${B${i - 1}}\${B${i - 1}}\n`;
    // B5 holds "${B4}${B4}" as written (B4 was too long); once B4 exists, ${B5} still gives that
    // text: substitution does not run again on what it put in.
    text += 'Define B4 z\nLiteral ${B5}\n';
    text += 'Use ${NOPE}\n'.repeat(200);
    text += Array.from({ length: 100_000 }, (_, i) => `Define C${i} \${B3}`).join('\n') + '\n';
    const { config } = await read(t, tree(text));
    assert.equal(config.tooLarge, 'the Apache config is too large to inspect: ${...} substitution adds more than 1.0 MiB to it');
    t.diagnostic(config.problems.slice(0, 4).join(' | '));
    assert.ok(config.problems.includes(`${MAIN}:6: the line is longer than 16,384 characters once \${...} is replaced; skipped`), config.problems.slice(0, 5).join('\n'));
    assert.ok(config.problems.includes(`${MAIN}:7: \${B4} is not defined`));
    assert.deepEqual(config.directives.find((d) => d.name === 'Literal')?.args, ['${B4}${B4}']);
    assert.match(config.problems.at(-2)!, /^\.\.\. and [\d,]+ more problems$/);
    assert.equal(config.problems.length, 102);
  });
});

describe('apache config from a hostile server: the daemon keeps its beat', () => {
  test('the Scheduler runs a 50 ms check on time while 2,000 files of 4 MiB (a million lines each) are read', async (t) => {
    /** Each run's start: wall clock, and this process's CPU time. */
    const starts: number[] = [];
    const cpuAt: number[] = [];
    const probe = defineProbe({
      type: 'beat',
      summary: 'notes when it runs',
      schema: z.strictObject({}),
      async run() {
        starts.push(performance.now());
        cpuAt.push(cpuMs());
        return { state: NagiosState.OK, text: 'OK', perfdata: [] };
      },
    });
    const scheduler = new Scheduler({ clock: systemClock, jitter: 0, onResult: () => {} });
    t.after(() => scheduler.stop());
    scheduler.setChecks([{ id: 'beat', target: targetFromAddress('127.0.0.1'), probe, options: {}, intervalMs: 50, retryIntervalMs: 50, maxAttempts: 1, timeoutMs: 1_000 }]);
    scheduler.start();
    await new Promise((r) => setTimeout(r, 200));
    const includes = Array.from({ length: 2_000 }, (_, i) => `Include big/${i}.conf\n`).join('');
    // Four million lines to parse: directives in a false <IfDefine>, so none is kept.
    const tiny = flat(`<IfDefine NOPE>\n${'A b\n'.repeat(1_000_000)}</IfDefine>\n`);
    const from = performance.now();
    const { config } = await read(t, tree(`${HEAD}${includes}`, (p) => (p.startsWith(`${ROOT}/big/`) ? tiny : undefined)));
    const to = performance.now();
    assert.match(config.tooLarge ?? '', /more than 16 MiB/);
    const during = starts.map((s, i) => i).filter((i) => starts[i]! >= from - 50 && starts[i]! <= to + 50);
    assert.ok(during.length >= 2, `${during.length} runs in ${(to - from).toFixed(0)} ms`);
    // Lag by the wall clock, and the part of it this process spent on a CPU (see Measured).
    let lag = 0;
    let cpuLag = 0;
    for (let k = 1; k < during.length; k++) {
      const [a, b] = [during[k - 1]!, during[k]!];
      lag = Math.max(lag, starts[b]! - starts[a]! - 50);
      cpuLag = Math.max(cpuLag, Math.min(starts[b]! - starts[a]!, cpuAt[b]! - cpuAt[a]!) - 50);
    }
    t.diagnostic(`${during.length} runs in ${(to - from).toFixed(0)} ms of parsing; worst schedule lag ${cpuLag.toFixed(1)} ms on the CPU (${lag.toFixed(1)} ms wall)`);
    assert.ok(cpuLag < 100, `the 50 ms check ran ${cpuLag.toFixed(1)} ms late`);
  });
});
