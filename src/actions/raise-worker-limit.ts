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
import { backUp, ConfigFileError, editableFile, plannedBackup, readConfig, restore, writeConfig } from './config-file.ts';
import { commandsFor, describeCommands, runFirst } from './service-commands.ts';
import { processNames } from './service-config.ts';
import { verifyService } from './service-verify.ts';
import { said, type Said } from '../core/said.ts';
import { defineAction, firstLine, resultLine, Steps, targetOf, type ActionContext, type ActionOutcome } from './types.ts';
import { averageRss, memAvailable, nextLimit, setDirective } from './worker-limit.ts';
import { jaLimit, refused, rollbackSay, testBefore, type Refusal, type RollbackEnd } from './worker-limit-words.ts';

export const schema = z.strictObject({
  target: z.number().int().min(1).optional().meta({ description: 'the new limit (default: the service config, else double)' }),
  maximum: z.number().int().min(1).optional().meta({ description: 'never above this (default: the service config)' }),
});

type Params = z.output<typeof schema>;

type Plan = Refusal | { file: string; line: number; directive: string; from: number; to: number; boundBy: string };

const RESTART = 'raise-worker-limit-restart';

const inspect = (ctx: ActionContext) =>
  inspectApacheWorkers(ctx.executor, { names: processNames(ctx.service), configFile: ctx.service.config_file, serverRoot: ctx.service.server_root, errorLog: ctx.service.error_log, pidFile: ctx.service.pid_file });

/** The plan: where, from what to what, and why that number; or why not. */
async function plan(ctx: ActionContext, params: Params, ev: ApacheWorkersEvidence, steps: Steps): Promise<Plan> {
  const wl = ctx.service.worker_limit;
  if (ev.tooLarge) return { refuse: `${ev.tooLarge}; mamoru does not change a config it could not read whole`, say: said("Apache's configuration is too large to read whole, and mamoru never changes a file it could not read.", 'Apache の設定が大きすぎて全体を読み取れず、読み切れないファイルは変更しないためです。') };
  if (ev.masterPid === undefined) return { refuse: 'Apache is not running (or its master cannot be trusted): start it first, a limit is not the problem', say: said('Apache is not running, so the limit is not the problem: it needs starting first.', 'Apache が稼働していないため、上限は原因ではありません。先に起動が必要です。') };
  if (!ev.file || !ev.line || ev.configured === undefined) return { refuse: `${ev.directive} is not set anywhere (Apache's default ${ev.limit} applies): there is no line to change; a person should add it`, say: said(`${ev.directive} is not written anywhere (Apache's default ${ev.limit} applies), so there is no line to change: a person should add it.`, `${ev.directive} がどこにも書かれておらず（既定値 ${ev.limit} が使われています）、変更する行がありません。担当者が追記する必要があります。`) };
  if (ev.cappedBy) return capped(ev.directive, ev.cappedBy.directive, ev.cappedBy.value, `${ev.directive} ${ev.configured} is already capped by ${ev.cappedBy.directive} ${ev.cappedBy.value}; raising that needs a full restart, not a graceful reload`);
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
  if (next.value <= ev.limit) {
    const refuse = `the limit ${ev.limit} cannot be raised: bounded by ${next.boundBy} (${next.value})`;
    if (next.boundBy === 'server-limit') return capped(ev.directive, ev.serverLimit.directive, ev.serverLimit.value, refuse);
    const say: Said =
      next.boundBy === 'memory'
        ? said(`the server's free memory allows no more Apache workers (${ev.limit} now).`, `サーバーの空きメモリでは Apache の処理数をこれ以上増やせません（現在 ${ev.limit}）。`)
        : said(`the configured maximum (${params.maximum ?? wl.maximum}) is reached.`, `設定された最大値（${params.maximum ?? wl.maximum}）に達しています。`);
    return { refuse, say };
  }
  return { file: ev.file, line: ev.line, directive: ev.directive, from: ev.configured, to: next.value, boundBy: next.boundBy };
}

/** Capped by ServerLimit: a graceful reload cannot go past it; the raise with a full restart can, once a person approves. */
function capped(directive: string, capDirective: string, cap: number, refuse: string): Refusal {
  return {
    refuse,
    say: said(
      `${capDirective} ${cap} caps it, and only a full restart of Apache can raise ${capDirective}; that raise (both directives, then a restart that cuts visitors for a few seconds) waits for approval.`,
      `${capDirective} ${cap} が上限となっており、${capDirective} は Apache の完全な再起動でしか引き上げられません。両方の値を引き上げて再起動する対処（数秒間接続が切れます）は承認待ちとなります。`,
    ),
    instead: { type: RESTART, why: `${refuse}; ${capDirective} ${cap} caps ${directive}, which only a full restart can raise` },
  };
}

export default defineAction({
  type: 'raise-worker-limit',
  summary: "raise Apache's worker limit one step: back up, change the directive, config test, graceful reload, verify; roll back on any failure",
  schema,
  rateWords: 'had its worker limit raised',
  risk: 'config',
  async describe(ctx, params) {
    const ev = await inspect(ctx);
    const to = Math.min(params.target ?? ctx.service.worker_limit.target ?? ev.limit * 2, params.maximum ?? ctx.service.worker_limit.maximum);
    const commands = [{ step: 'config test', candidates: await commandsFor(ctx.executor, ctx.service, 'config_test') }, { step: 'reload', candidates: await commandsFor(ctx.executor, ctx.service, 'reload') }];
    const changes = ev.file ? [{ file: ev.file, line: ev.line, directive: ev.directive, from: ev.configured ?? ev.limit, to, approximate: true, backup: await plannedBackup(ctx.executor, ev.file, ctx.service.worker_limit.backup_dir) }] : [];
    return {
      plan: { commands, changes },
      text: `raise ${ev.directive} on ${targetOf(ctx)} from ${ev.limit} to about ${to}${ev.file ? ` in ${ev.file}:${ev.line}` : ''} (backup, config test, graceful reload)`,
      say: said(`raise Apache's ${ev.directive} on ${targetOf(ctx)} from ${ev.limit} to about ${to} (no restart)`, `${targetOf(ctx)} の Apache の ${jaLimit(ev.directive)}の ${ev.limit} から約 ${to} への引き上げ（再起動なし）`),
    };
  },
  doing: (ctx) => said(`mamoru is raising Apache's worker limit on ${targetOf(ctx)} (no restart).`, `${targetOf(ctx)} の Apache の同時処理数の上限を引き上げています（再起動なし）。`),
  async run(ctx, params): Promise<ActionOutcome> {
    const steps = new Steps(ctx.log, ctx.clock);
    const ex = ctx.executor;
    const svc = ctx.service;
    const at = targetOf(ctx);
    const before = await inspect(ctx);
    steps.evidence(before.summary, { limit: before.limit, directive: before.directive, file: before.file, line: before.line, running: before.running, atLimit: before.atLimit });
    const p = await plan(ctx, params, before, steps);
    if ('refuse' in p) return refused(steps, at, before.directive, p);
    const where = `${p.file}:${p.line}`;
    const tests = await commandsFor(ex, svc, 'config_test');
    const reloads = await commandsFor(ex, svc, 'reload');
    if (tests.length === 0 || reloads.length === 0) {
      const missing = tests.length === 0 ? 'config test' : 'reload';
      return refused(steps, at, p.directive, {
        refuse: `no ${missing} command for ${svc.name}: a change is never applied untested`,
        say: said(`no ${missing} command is configured for ${svc.name}, and mamoru never applies a change untested.`, `${svc.name} に${tests.length === 0 ? '設定テスト' : '再読み込み'}のコマンドが設定されておらず、テストせずに変更を反映することはしないためです。`),
      });
    }
    // Root's alone, or not touched (Debian's mods-enabled link: the real file in mods-available).
    let file: RootFile;
    try {
      file = await editableFile(ex, p.file);
    } catch (e) {
      const out = refused(steps, at, p.directive, { refuse: (e as Error).message, say: said('the config file is not safe to change as root (someone other than root could change it).', '設定ファイルが root 以外のユーザーにも変更できる状態にあり、安全に変更できないためです。') });
      return { ...out, text: `did not raise the worker limit on ${at}: the config file is not safe to change` };
    }
    if (file.link) steps.evidence(`${p.file} is a link to ${file.real}: the real file is changed, the link stays`, { link: file.link, real: file.real });
    // The config test before anything is touched: a config broken already is the news, and nothing of ours goes near it.
    const broken = await testBefore(ex, tests, svc, at, p.directive, steps, ctx.signal);
    if (broken) return broken;
    if (ctx.dryRun) {
      steps.action(`would back up ${file.real} to ${svc.worker_limit.backup_dir}, set ${p.directive} ${p.from} -> ${p.to} at ${where}, test with ${describeCommands(tests)}, reload with ${describeCommands(reloads)}`);
      return steps.outcome('dry-run', `would raise ${p.directive} from ${p.from} to ${p.to} in ${where} on ${at}`, said(`Would raise Apache's ${p.directive} on ${at} from ${p.from} to ${p.to} (trial mode: nothing was done).`, `${at} の Apache の ${jaLimit(p.directive)}を ${p.from} から ${p.to} に引き上げる予定です（試行モードのため実行していません）。`));
    }

    let backup: string | undefined;
    let reloaded = false;
    const ended = (end: RollbackEnd, reason: Said) => rollbackSay(end, at, p.directive, reason, { backup, applied: 'reloaded' });
    /** Puts the old file back, reloads onto it if Apache had been reloaded, and escalates. */
    const rollBack = async (why: string, reason: Said): Promise<ActionOutcome> => {
      if (!backup) return steps.outcome('escalate', `did not raise the worker limit on ${at}`, ended('not-changed', reason), why, reason);
      try {
        await restore(ex, backup, file.real);
        steps.action(`restored ${file.real} from ${backup}`, { file: file.real, backup });
      } catch (e) {
        steps.action(`could not restore ${file.real} from ${backup}: ${(e as Error).message}`);
        return steps.outcome('escalate', `raising the worker limit on ${at} failed and the backup could not be restored`, ended('restore-failed', reason), `${why}; restore failed: ${(e as Error).message}; the backup is ${backup}`, reason);
      }
      if (!reloaded) return steps.outcome('escalate', `did not raise the worker limit on ${at}; the config is as it was and Apache was not reloaded`, ended('as-it-was', reason), why, reason);
      const t = (await runFirst(ex, tests, svc.command_timeout, ctx.signal))!;
      steps.evidence(`config test of the restored config: ${resultLine(t.result)}`, { argv: t.argv, exitCode: t.result.code });
      if (t.result.code !== 0) return steps.outcome('escalate', `raising the worker limit on ${at} failed; the config is restored but does not test clean, so Apache was not reloaded onto it`, ended('restored-untested', reason), why, reason);
      const r = (await runFirst(ex, reloads, svc.command_timeout, ctx.signal, 'reload'))!;
      steps.action(`reloaded onto the restored config: ${r.argv.join(' ')}: ${resultLine(r.result)}`, { argv: r.argv, exitCode: r.result.code });
      const check = await verifyService(ctx);
      steps.evidence(check.text, check.data);
      return steps.outcome('escalate', `raising the worker limit on ${at} failed; rolled back${check.ok ? ', Apache answers on the old config' : ' but Apache is not answering'}`, ended(check.ok ? 'answers-old' : 'not-answering', reason), why, reason);
    };

    let text: string;
    try {
      // The backup first, and the change made from it: what it holds is what is compared before the swap.
      backup = await backUp(ex, file.real, svc.worker_limit.backup_dir, ctx.clock.now());
      steps.action(`backed up ${file.real} to ${backup}`, { file: file.real, backup });
    } catch (e) {
      return steps.outcome('escalate', `did not raise the worker limit on ${at}`, ended('not-changed', said('the config file could not be backed up', '設定ファイルのバックアップを作成できませんでした')), (e as Error).message);
    }
    try {
      text = setDirective(await readConfig(ex, backup), p.line, p.directive, p.from, p.to);
    } catch (e) {
      return steps.outcome('escalate', `did not raise the worker limit on ${at}; nothing was changed`, ended('not-changed', said('the line changed since it was read', '読み取った後に該当の行が変更されていました')), `${where}: ${(e as Error).message}`);
    }
    try {
      await writeConfig(ex, file.real, text, backup);
      steps.action(`changed ${p.directive} ${p.from} -> ${p.to} at ${where} (bounded by ${p.boundBy})`, { file: p.file, real: file.real, line: p.line, directive: p.directive, from: p.from, to: p.to, boundBy: p.boundBy });
    } catch (e) {
      // Changed by someone else meanwhile: theirs stays, nothing of ours was written.
      if (e instanceof ConfigFileError && e.needsPerson) return steps.outcome('escalate', `did not raise the worker limit on ${at}; nothing was changed`, ended('not-changed', said('someone else changed the file at the same moment', '同じ時にほかの誰かがファイルを変更していました')), e.message);
      return rollBack((e as Error).message, said('the new file could not be written', '新しい設定を書き込めませんでした'));
    }

    const t = (await runFirst(ex, tests, svc.command_timeout, ctx.signal))!;
    steps.evidence(`config test ${t.argv.join(' ')}: ${resultLine(t.result)}`, { argv: t.argv, exitCode: t.result.code, output: (t.result.stdout + t.result.stderr).slice(-4000) });
    if (t.result.code !== 0) {
      const first = firstLine(t.result) || resultLine(t.result);
      return rollBack(`the config test failed after the change (${resultLine(t.result)}), so Apache was not reloaded`, said(`the config test failed after the change ("${first}")`, `変更後の設定テストが失敗しました（「${first}」）`));
    }

    const r = (await runFirst(ex, reloads, svc.command_timeout, ctx.signal, 'reload'))!;
    reloaded = true;
    steps.action(`graceful reload: ${r.argv.join(' ')}: ${resultLine(r.result)}`, { argv: r.argv, exitCode: r.result.code });
    if (r.result.code !== 0) return rollBack(`the graceful reload failed (${resultLine(r.result)})`, said('the graceful reload failed', '再読み込みが失敗しました'));

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
    if (!check.ok) return rollBack(`after the reload ${check.text}`, said('after the reload the new limit did not take effect, or Apache did not answer', '再読み込み後に新しい上限が反映されないか、Apache が応答しませんでした'));
    return steps.outcome(
      'done',
      `raised ${p.directive} from ${p.from} to ${p.to} on ${at} (${where}, backup ${backup}); config test passed, reloaded gracefully, Apache answers and the new limit is in effect`,
      said(`Raised Apache's ${p.directive} on ${at} from ${p.from} to ${p.to} without a restart; the new limit is in effect and Apache answers.`, `${at} の Apache の ${jaLimit(p.directive)}を ${p.from} から ${p.to} に引き上げました（再起動なし）。新しい上限の反映と応答を確認済みです。`),
    );
  },
});
