/**
 * raise-worker-limit: the field runbook's fix for an Apache at its worker limit under a surge of
 * real clients (`MaxClients 256` -> 512). Back up the file that holds the directive (found by the
 * worker inspection, across Includes), change exactly that line, run the config test, reload
 * gracefully only if it passed, then verify: Apache answers and the inspection reads the new
 * limit. On any failure the backup goes back (and Apache is reloaded onto it if it had been
 * reloaded at all, and only if the restored config tests clean: a graceful restart into a broken
 * config makes Apache exit), and the outcome is `escalate` with the reason.
 */
import { z } from 'zod';
import { inspectApacheWorkers, type ApacheWorkersEvidence } from '../inspect/apache-workers.ts';
import { formatBytes } from '../inspect/types.ts';
import type { RootFile } from '../inspect/file-trust.ts';
import { backUp, ConfigFileError, editableFile, readConfig, restore, writeConfig } from './config-file.ts';
import { commandsFor, describeCommands, runFirst } from './service-commands.ts';
import { processNames } from './service-config.ts';
import { verifyService } from './service-verify.ts';
import { defineAction, resultLine, Steps, targetOf, type ActionContext, type ActionOutcome } from './types.ts';
import { averageRss, memAvailable, nextLimit, setDirective } from './worker-limit.ts';

export const schema = z.strictObject({
  target: z.number().int().min(1).optional().meta({ description: 'the new limit (default: the service config, else double)' }),
  maximum: z.number().int().min(1).optional().meta({ description: 'never above this (default: the service config)' }),
});

type Params = z.output<typeof schema>;

type Plan = { refuse: string } | { file: string; line: number; directive: string; from: number; to: number; boundBy: string };

const inspect = (ctx: ActionContext) =>
  inspectApacheWorkers(ctx.executor, { names: processNames(ctx.service), configFile: ctx.service.config_file, serverRoot: ctx.service.server_root, errorLog: ctx.service.error_log, pidFile: ctx.service.pid_file });

/** The plan: where, from what to what, and why that number; or why not. */
async function plan(ctx: ActionContext, params: Params, ev: ApacheWorkersEvidence, steps: Steps): Promise<Plan> {
  const wl = ctx.service.worker_limit;
  if (ev.tooLarge) return { refuse: `${ev.tooLarge}; mamoru does not change a config it could not read whole` };
  if (ev.masterPid === undefined) return { refuse: 'Apache is not running (or its master cannot be trusted): start it first, a limit is not the problem' };
  if (!ev.file || !ev.line || ev.configured === undefined) return { refuse: `${ev.directive} is not set anywhere (Apache's default ${ev.limit} applies): there is no line to change; a person should add it` };
  if (ev.cappedBy) return { refuse: `${ev.directive} ${ev.configured} is already capped by ${ev.cappedBy.directive} ${ev.cappedBy.value}; raising that needs a full restart, not a graceful reload` };
  const tpc = ev.threadsPerChild?.value ?? 1;
  const cap = ev.serverLimit.value * tpc;
  const free = await memAvailable(ctx.executor);
  const workers = await ctx.executor.run(['ps', '-o', 'pid=', '--ppid', String(ev.masterPid)], { timeoutMs: 10_000 });
  const pids = workers.stdout.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
  const rss = await averageRss(ctx.executor, pids);
  const memoryFree = free === undefined ? undefined : Math.max(0, free - wl.memory_reserve_mb * 1024 * 1024);
  const next = nextLimit({ current: ev.limit, running: ev.running, target: params.target ?? wl.target, maximum: params.maximum ?? wl.maximum, cap, threadsPerChild: tpc, memoryFree, workerRss: rss });
  const mem = free !== undefined && rss !== undefined ? `${formatBytes(free)} available (${wl.memory_reserve_mb} MiB kept in reserve), workers average ${formatBytes(rss)}: memory allows ${next.memoryBound}` : 'memory use could not be read: no memory bound';
  steps.evidence(`${mem}; ServerLimit allows ${cap}; configured maximum ${params.maximum ?? wl.maximum}`, { memAvailable: free, averageWorkerRss: rss, memoryBound: next.memoryBound, serverLimitCap: cap, next });
  if (next.value <= ev.limit) return { refuse: `the limit ${ev.limit} cannot be raised: bounded by ${next.boundBy} (${next.value})` };
  return { file: ev.file, line: ev.line, directive: ev.directive, from: ev.configured, to: next.value, boundBy: next.boundBy };
}

export default defineAction({
  type: 'raise-worker-limit',
  summary: "raise Apache's worker limit one step: back up, change the directive, config test, graceful reload, verify; roll back on any failure",
  schema,
  rateWords: 'had its worker limit raised',
  risk: 'config',
  async describe(ctx, params) {
    const ev = await inspect(ctx);
    const to = params.target ?? ctx.service.worker_limit.target ?? ev.limit * 2;
    return `raise ${ev.directive} on ${targetOf(ctx)} from ${ev.limit} to about ${Math.min(to, params.maximum ?? ctx.service.worker_limit.maximum)}${ev.file ? ` in ${ev.file}:${ev.line}` : ''} (backup, config test, graceful reload)`;
  },
  async run(ctx, params): Promise<ActionOutcome> {
    const steps = new Steps(ctx.log, ctx.clock);
    const ex = ctx.executor;
    const svc = ctx.service;
    const before = await inspect(ctx);
    steps.evidence(before.summary, { limit: before.limit, directive: before.directive, file: before.file, line: before.line, running: before.running, atLimit: before.atLimit });
    const p = await plan(ctx, params, before, steps);
    if ('refuse' in p) return steps.outcome('escalate', `did not raise the worker limit on ${targetOf(ctx)}`, p.refuse);
    const where = `${p.file}:${p.line}`;
    const tests = await commandsFor(ex, svc, 'config_test');
    const reloads = await commandsFor(ex, svc, 'reload');
    if (tests.length === 0 || reloads.length === 0) return steps.outcome('escalate', `did not raise the worker limit on ${targetOf(ctx)}`, `no ${tests.length === 0 ? 'config test' : 'reload'} command for ${svc.name}: a change is never applied untested`);
    // Root's alone, or not touched (Debian's mods-enabled link: the real file in mods-available).
    let file: RootFile;
    try {
      file = await editableFile(ex, p.file);
    } catch (e) {
      return steps.outcome('escalate', `did not raise the worker limit on ${targetOf(ctx)}: the config file is not safe to change`, (e as Error).message);
    }
    if (file.link) steps.evidence(`${p.file} is a link to ${file.real}: the real file is changed, the link stays`, { link: file.link, real: file.real });
    if (ctx.dryRun) {
      steps.action(`would back up ${file.real} to ${svc.worker_limit.backup_dir}, set ${p.directive} ${p.from} -> ${p.to} at ${where}, test with ${describeCommands(tests)}, reload with ${describeCommands(reloads)}`);
      return steps.outcome('dry-run', `would raise ${p.directive} from ${p.from} to ${p.to} in ${where} on ${targetOf(ctx)}`);
    }

    let backup: string | undefined;
    let reloaded = false;
    /** Puts the old file back, reloads onto it if Apache had been reloaded, and escalates. */
    const rollBack = async (why: string): Promise<ActionOutcome> => {
      if (!backup) return steps.outcome('escalate', `did not raise the worker limit on ${targetOf(ctx)}`, why);
      try {
        await restore(ex, backup, file.real);
        steps.action(`restored ${file.real} from ${backup}`, { file: file.real, backup });
      } catch (e) {
        steps.action(`could not restore ${file.real} from ${backup}: ${(e as Error).message}`);
        return steps.outcome('escalate', `raising the worker limit on ${targetOf(ctx)} failed and the backup could not be restored`, `${why}; restore failed: ${(e as Error).message}; the backup is ${backup}`);
      }
      if (!reloaded) return steps.outcome('escalate', `did not raise the worker limit on ${targetOf(ctx)}; the config is as it was and Apache was not reloaded`, why);
      const t = (await runFirst(ex, tests, svc.command_timeout, ctx.signal))!;
      steps.evidence(`config test of the restored config: ${resultLine(t.result)}`, { argv: t.argv, exitCode: t.result.code });
      if (t.result.code !== 0) return steps.outcome('escalate', `raising the worker limit on ${targetOf(ctx)} failed; the config is restored but does not test clean, so Apache was not reloaded onto it`, why);
      const r = (await runFirst(ex, reloads, svc.command_timeout, ctx.signal, 'reload'))!;
      steps.action(`reloaded onto the restored config: ${r.argv.join(' ')}: ${resultLine(r.result)}`, { argv: r.argv, exitCode: r.result.code });
      const check = await verifyService(ctx);
      steps.evidence(check.text, check.data);
      return steps.outcome('escalate', `raising the worker limit on ${targetOf(ctx)} failed; rolled back${check.ok ? ', Apache answers on the old config' : ' but Apache is not answering'}`, why);
    };

    let text: string;
    try {
      // The backup first, and the change made from it: what it holds is what is compared before the swap.
      backup = await backUp(ex, file.real, svc.worker_limit.backup_dir, ctx.clock.now());
      steps.action(`backed up ${file.real} to ${backup}`, { file: file.real, backup });
    } catch (e) {
      return steps.outcome('escalate', `did not raise the worker limit on ${targetOf(ctx)}`, (e as Error).message);
    }
    try {
      text = setDirective(await readConfig(ex, backup), p.line, p.directive, p.from, p.to);
    } catch (e) {
      return steps.outcome('escalate', `did not raise the worker limit on ${targetOf(ctx)}; nothing was changed`, `${where}: ${(e as Error).message}`);
    }
    try {
      await writeConfig(ex, file.real, text, backup);
      steps.action(`changed ${p.directive} ${p.from} -> ${p.to} at ${where} (bounded by ${p.boundBy})`, { file: p.file, real: file.real, line: p.line, directive: p.directive, from: p.from, to: p.to, boundBy: p.boundBy });
    } catch (e) {
      // Changed by someone else meanwhile: theirs stays, nothing of ours was written.
      if (e instanceof ConfigFileError && e.needsPerson) return steps.outcome('escalate', `did not raise the worker limit on ${targetOf(ctx)}; nothing was changed`, e.message);
      return rollBack((e as Error).message);
    }

    const t = (await runFirst(ex, tests, svc.command_timeout, ctx.signal))!;
    steps.evidence(`config test ${t.argv.join(' ')}: ${resultLine(t.result)}`, { argv: t.argv, exitCode: t.result.code, output: (t.result.stdout + t.result.stderr).slice(-4000) });
    if (t.result.code !== 0) return rollBack(`the config test failed (${resultLine(t.result)}), so Apache was not reloaded`);

    const r = (await runFirst(ex, reloads, svc.command_timeout, ctx.signal, 'reload'))!;
    reloaded = true;
    steps.action(`graceful reload: ${r.argv.join(' ')}: ${resultLine(r.result)}`, { argv: r.argv, exitCode: r.result.code });
    if (r.result.code !== 0) return rollBack(`the graceful reload failed (${resultLine(r.result)})`);

    // The new workers start one by one after a graceful reload, and under a surge the page waits
    // its turn: verification looks again until Apache answers and the inspection reads the new
    // limit with the master alive, so a raise that works is never judged (and undone) too early.
    const seen: { last?: ApacheWorkersEvidence } = {};
    const check = await verifyService(ctx, {
      confirm: async () => {
        const after = (seen.last = await inspect(ctx));
        const ok = after.limit === p.to && after.masterPid !== undefined;
        return { ok, text: ok ? `the new limit ${p.to} is in effect` : `the inspection reads a limit of ${after.limit}${after.masterPid === undefined ? ' and no master process' : ''}, not ${p.to}`, data: { limit: after.limit, masterPid: after.masterPid } };
      },
    });
    steps.evidence(check.text, check.data);
    const after = seen.last;
    if (after) steps.evidence(after.summary, { limit: after.limit, file: after.file, line: after.line, running: after.running, masterPid: after.masterPid });
    if (!check.ok) return rollBack(`after the reload ${check.text}`);
    return steps.outcome('done', `raised ${p.directive} from ${p.from} to ${p.to} on ${targetOf(ctx)} (${where}, backup ${backup}); config test passed, reloaded gracefully, Apache answers and the new limit is in effect`);
  },
});
