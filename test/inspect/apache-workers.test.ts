/**
 * Apache's worker limit against real Apaches: the lab's (low MaxRequestWorkers in an Included
 * file; workers exhausted by slow clients so AH00161 is logged), read through the local executor
 * and over SSH into the server namespace; a second lab Apache with the old MaxClients spelling;
 * config trees whose limit Apache itself reports (`apache2 -t` warns when it lowers one) and
 * whose Include order it lists (`-D DUMP_INCLUDES`); and Debian's own /etc/apache2.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Executor } from '../../src/executors/types.ts';
import { inspectApacheWorkers } from '../../src/inspect/apache-workers.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { startApache, type LabApache } from '../lab/daemons/apache.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { waitFor } from '../lab/process.ts';
import { localExecutor, serverExecutor } from './helpers.ts';

const prereq = { root: true, commands: ['ip', 'apache2', '/usr/sbin/sshd'] };

/** The 1-based line of the first `directive` in a file. */
const lineOf = (file: string, directive: string) => readFileSync(file, 'utf8').split('\n').findIndex((l) => l.trim().startsWith(directive)) + 1;

/** Apache's own list of the files it read (`-D DUMP_INCLUDES`). */
function dumpIncludes(argv: string[], env?: NodeJS.ProcessEnv): string[] {
  const out = execFileSync(argv[0]!, [...argv.slice(1), '-t', '-D', 'DUMP_INCLUDES'], { encoding: 'utf8', env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  return [...out.matchAll(/^\s+\((?:\*|\d+)\) (.+)$/gm)].map((m) => m[1]!);
}

describe('apache workers: the lab Apache, locally and over SSH', () => {
  let lab: Lab;
  let apache: LabApache;
  let old: LabApache;
  const via: Record<string, Executor> = {};

  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    let ssh: Executor;
    [apache, old, { exec: ssh }] = await Promise.all([
      startApache(lab),
      startApache(lab, { port: 8080, directive: 'MaxClients', maxRequestWorkers: 3 }),
      serverExecutor(lab),
    ]);
    via.local = localExecutor();
    via.ssh = ssh;
  });
  after(async () => {
    await via.local?.close();
    await lab?.destroy();
  });

  for (const name of ['local', 'ssh']) {
    test(`${name}: limit, its file and line, running workers; not at the limit yet`, async (t) => {
      if (needs(t, prereq)) return;
      const ev = await waitFor('a steady worker count', async () => {
        const e = await inspectApacheWorkers(via[name]!, { configFile: apache.configFile });
        return e.running === apache.workerPids().length ? e : undefined;
      });
      assert.equal(ev.mpm, 'prefork');
      assert.equal(ev.limit, 5);
      assert.equal(ev.directive, 'MaxRequestWorkers');
      assert.equal(ev.file, apache.mpmConfFile);
      assert.equal(ev.line, lineOf(apache.mpmConfFile, 'MaxRequestWorkers'));
      assert.equal(ev.configured, 5);
      assert.equal(ev.cappedBy, undefined);
      assert.deepEqual(ev.serverLimit, { directive: 'ServerLimit', value: 16, file: apache.mpmConfFile, line: lineOf(apache.mpmConfFile, 'ServerLimit') });
      assert.equal(ev.masterPid, apache.pid());
      assert.ok(ev.running >= 1 && ev.running < 5, `running ${ev.running}`);
      assert.equal(ev.atLimit, false);
      assert.equal(ev.lastAh00161, undefined);
      assert.equal(ev.errorLog, apache.errorLog);
      assert.deepEqual(ev.files, dumpIncludes(['apache2', '-f', apache.configFile], apache.env));
      assert.deepEqual(ev.problems, []);
      assert.equal(ev.summary, `Apache (prefork) runs ${ev.running} workers against a limit of 5 (MaxRequestWorkers 5 in ${apache.mpmConfFile}:${ev.line})`);
    });
  }

  test('the old MaxClients spelling in a second Apache: found by its own config, its own workers', async (t) => {
    if (needs(t, prereq)) return;
    const ev = await waitFor('a steady worker count', async () => {
      const e = await inspectApacheWorkers(via.ssh!, { configFile: old.configFile });
      return e.running === old.workerPids().length ? e : undefined;
    });
    assert.equal(ev.directive, 'MaxClients');
    assert.equal(ev.limit, 3);
    assert.equal(ev.file, old.mpmConfFile);
    assert.equal(ev.line, lineOf(old.mpmConfFile, 'MaxClients'));
    assert.equal(ev.masterPid, old.pid());
  });

  test('workers exhausted by slow clients: at the limit, and AH00161 found with its time', async (t) => {
    if (needs(t, prereq)) return;
    const t0 = Date.now();
    const slow = await apache.exhaustWorkers(5);
    try {
      for (const name of ['local', 'ssh']) {
        const ev = await inspectApacheWorkers(via[name]!, { configFile: apache.configFile });
        assert.equal(ev.running, 5, name);
        assert.equal(ev.atLimit, true, name);
        assert.equal(ev.lastAh00161?.code, 'AH00161', name);
        assert.match(ev.lastAh00161!.text, /AH00161: server reached MaxRequestWorkers setting/);
        // The log's own clock, read back: the line was written during this test.
        const at = Date.parse(ev.lastAh00161!.time!);
        assert.ok(at >= t0 - 2000 && at <= Date.now() + 2000, `${ev.lastAh00161!.time} is not during the test`);
        assert.match(ev.summary, /^Apache \(prefork\) runs 5 workers against a limit of 5 .*: at the limit; "server reached MaxRequestWorkers setting" logged at \d\d:\d\d:\d\d$/);
      }
    } finally {
      await slow.release();
    }
  });
});

describe('apache workers: config trees, held against what Apache itself says', () => {
  let dir: string;
  const exec = localExecutor();
  let n = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mamoru-apache-conf-'));
  });
  after(async () => {
    await exec.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a tree under a fresh root; `files` paths are relative to it; ServerRoot is the root. */
  const tree = (files: Record<string, string>) => {
    const root = join(dir, `t${n++}`);
    mkdirSync(join(root, 'logs'), { recursive: true });
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(root, p, '..'), { recursive: true });
      writeFileSync(join(root, p), text.replaceAll('@ROOT@', root));
    }
    return root;
  };
  /** Apache's config test: its warning when it lowers the limit, and the value it lowers it to. */
  const apacheSays = (conf: string) => {
    const r = spawnSync('apache2', ['-f', conf, '-t'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return { text: r.stderr, to: Number(/decreasing (?:MaxRequestWorkers )?to (?:nearest multiple )?(\d+)/.exec(r.stderr)?.[1]) };
  };
  const HEAD = 'ServerRoot "@ROOT@"\nServerName mamoru-fixture\nErrorLog logs/error.log\n';
  const MODS = '/usr/lib/apache2/modules';

  test('Includes with wildcards in file and directory parts, a directory, IncludeOptional; inactive blocks skipped', async (t) => {
    if (needs(t, { commands: ['apache2'] })) return;
    const root = tree({
      'main.conf':
        HEAD +
        `LoadModule mpm_prefork_module ${MODS}/mod_mpm_prefork.so\n` +
        'Define LIMIT 300\n' +
        'Include conf.d/*.conf\n' +
        'IncludeOptional missing/*.conf\n' +
        'IncludeOptional nowhere.conf\n' +
        'Include sites/*/limits.conf\n' +
        'Include extra\n' +
        '<IfModule !mpm_prefork_module>\n  MaxRequestWorkers 50\n</IfModule>\n' +
        '<IfModule mpm_worker_module>\n  MaxRequestWorkers 60\n</IfModule>\n' +
        '<IfDefine MAMORU_NEVER>\n  MaxRequestWorkers 70\n</IfDefine>\n' +
        '<VirtualHost 127.0.0.1:80>\n  Include vhost-log.conf\n</VirtualHost>\n',
      // Included inside a VirtualHost: its ErrorLog is that host's, not the server's.
      'vhost-log.conf': 'ErrorLog logs/vhost.log\n',
      'conf.d/10-limit.conf': '# the first setting\nMaxRequestWorkers 200\n',
      'conf.d/20-other.conf': '<IfModule mpm_prefork_module>\n  StartServers 2\n</IfModule>\n',
      'conf.d/.hidden.conf': 'MaxRequestWorkers 1\n',
      'conf.d/notes.txt': 'MaxRequestWorkers 2\n',
      'sites/a/limits.conf': '# nothing here\n',
      'sites/b/limits.conf': '<IfModule prefork.c>\n  ServerLimit \\\n     16\n  MaxClients ${LIMIT}\n</IfModule>\n',
      'extra/x.conf': 'KeepAlive Off\n',
      'extra/sub/y.conf': 'Timeout 30\n',
    });
    const conf = join(root, 'main.conf');
    const ev = await inspectApacheWorkers(exec, { configFile: conf, serverRoot: root });
    {
      const says = apacheSays(conf);
      assert.match(says.text, /MaxRequestWorkers of 300 exceeds ServerLimit value of 16/);
      assert.equal(ev.configured, 300);
      assert.equal(ev.limit, says.to);
      assert.equal(ev.directive, 'MaxClients');
      assert.equal(ev.file, join(root, 'sites/b/limits.conf'));
      assert.equal(ev.line, 4);
      assert.deepEqual(ev.cappedBy, { directive: 'ServerLimit', value: 16, file: join(root, 'sites/b/limits.conf'), line: 2 });
      assert.deepEqual(ev.files, dumpIncludes(['apache2', '-f', conf]));
      assert.equal(ev.errorLog, join(root, 'logs/error.log'));
      assert.equal(ev.masterPid, undefined);
      assert.equal(ev.running, 0);
      assert.equal(ev.atLimit, false);
      assert.match(ev.summary, /^Apache is not running \(no master process\); its limit would be 16 \(MaxClients 300 in .*limits\.conf:4\), capped by ServerLimit 16$/);
    }
  });

  test('event MPM: rounded down to whole ThreadsPerChild, capped at ServerLimit × ThreadsPerChild, as Apache does', async (t) => {
    if (needs(t, { commands: ['apache2'] })) return;
    const cases = [
      { body: '<IfModule mpm_event_module>\n  ThreadsPerChild 25\n  MaxRequestWorkers 130\n</IfModule>\n', limit: 125 },
      { body: 'MaxRequestWorkers 1000\n', limit: 400 },
    ];
    for (const c of cases) {
      const root = tree({ 'main.conf': HEAD + `LoadModule mpm_event_module ${MODS}/mod_mpm_event.so\n` + c.body });
      const conf = join(root, 'main.conf');
      const ev = await inspectApacheWorkers(exec, { configFile: conf, serverRoot: root });
      assert.equal(ev.mpm, 'event');
      assert.equal(apacheSays(conf).to, c.limit);
      assert.equal(ev.limit, c.limit);
    }
  });

  test('nothing set: the MPM default, with no file to point at', async (t) => {
    if (needs(t, { commands: ['apache2'] })) return;
    const root = tree({ 'main.conf': HEAD + `LoadModule mpm_prefork_module ${MODS}/mod_mpm_prefork.so\n` });
    const ev = await inspectApacheWorkers(exec, { configFile: join(root, 'main.conf'), serverRoot: root });
    assert.equal(ev.limit, 256);
    assert.equal(ev.file, undefined);
    assert.equal(ev.directive, 'MaxRequestWorkers');
    assert.match(ev.summary, /MaxRequestWorkers not set: the prefork default 256/);
  });

  test("Debian's own /etc/apache2: envvars, mods-enabled, the event MPM's limit and its line", async (t) => {
    if (needs(t, { commands: ['apache2ctl'] }) || !existsSync('/etc/apache2/apache2.conf')) return;
    const ev = await inspectApacheWorkers(exec, { configFile: '/etc/apache2/apache2.conf' });
    assert.equal(ev.serverRoot, '/etc/apache2');
    assert.deepEqual(ev.files, dumpIncludes(['apache2ctl']));
    const mpm = readFileSync('/etc/apache2/mods-enabled/' + ev.files.find((f) => /mods-enabled\/mpm_\w+\.load$/.test(f))!.split('/').pop(), 'utf8');
    assert.match(mpm, new RegExp(`mpm_${ev.mpm}_module`));
    const conf = `/etc/apache2/mods-enabled/mpm_${ev.mpm}.conf`;
    assert.equal(ev.file, conf);
    assert.equal(ev.line, lineOf(conf, 'MaxRequestWorkers'));
    assert.equal(ev.configured, Number(/^\s*MaxRequestWorkers\s+(\d+)/m.exec(readFileSync(conf, 'utf8'))![1]));
  });
});
