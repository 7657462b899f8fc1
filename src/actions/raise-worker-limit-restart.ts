/**
 * raise-worker-limit-restart: the field runbook's raise when ServerLimit is what stops it (Apache
 * at `MaxRequestWorkers 5` under `ServerLimit 5`). A graceful reload (or `-k restart`) ignores a
 * changed ServerLimit, so raise-worker-limit declines there; this action raises both, the worker
 * limit (MaxRequestWorkers or MaxClients) and ServerLimit (threaded MPMs: enough processes of
 * ThreadsPerChild threads, which is all that caps it once ThreadsPerChild stays), and then
 * stops and starts Apache: clients are cut for a few seconds, so it is a config change held for
 * a person's approval by default (risk `config`).
 * The discipline is raise-worker-limit's: the directives' files (found by the inspection, across
 * Includes; they may be two) must be root's alone; every file is backed up before anything is
 * written and its new text made from its backup and swapped in only if unchanged since; the
 * config test runs before the restart; verified when Apache answers with a new master and the
 * inspection reads the new limit. On any failure every file written goes back from its backup,
 * Apache is restarted onto the old config only if it tests clean (a restart into a broken config
 * leaves no Apache at all), and the outcome is `escalate` with the reason.
 */
import { z } from 'zod';
import { inspectApacheWorkers, type ApacheWorkersEvidence } from '../inspect/apache-workers.ts';
import { formatBytes } from '../inspect/types.ts';
import type { RootFile } from '../inspect/file-trust.ts';
import { backUp, ConfigFileError, editableFile, plannedBackup, readConfig, restore, writeConfig } from './config-file.ts';
import { clearStalePidFile, commandsFor, describeCommands, runFirst, type Ran } from './service-commands.ts';
import { processNames } from './service-config.ts';
import { observeService, waitUntil } from './service-observe.ts';
import { verifyService } from './service-verify.ts';
import { said, type Said } from '../core/said.ts';
import { defineAction, firstLine, resultLine, Steps, targetOf, type ActionContext, type ActionOutcome } from './types.ts';
import { refused, rollbackSay, testBefore, type Refusal, type RollbackEnd } from './worker-limit-words.ts';
import { HARD_SERVER_LIMIT, nextLimit, serverLimitFor, setDirective, workerMemory } from './worker-limit.ts';

export const schema = z.strictObject({
  target: z.number().int().min(1).optional().meta({ description: 'the new limit (default: the service config, else double)' }),
  maximum: z.number().int().min(1).optional().meta({ description: 'never above this (default: the service config)' }),
});

type Params = z.output<typeof schema>;

/** One directive on one line, from one value to another. */
interface Edit {
  file: string;
  line: number;
  directive: string;
  from: number;
  to: number;
}

interface Change {
  /** The worker limit first, then ServerLimit: the order the approval text names them. */
  edits: Edit[];
  /** The effective limit, before and after. */
  from: number;
  to: number;
  boundBy: string;
}

type Plan = Refusal | Change;

const inspect = (ctx: ActionContext) =>
  inspectApacheWorkers(ctx.executor, { names: processNames(ctx.service), configFile: ctx.service.config_file, serverRoot: ctx.service.server_root, errorLog: ctx.service.error_log, pidFile: ctx.service.pid_file });

/** The plan: which lines, from what to what, and why that number; or why not. `steps` records the memory evidence. */
async function plan(ctx: ActionContext, params: Params, ev: ApacheWorkersEvidence, steps?: Steps): Promise<Plan> {
  const wl = ctx.service.worker_limit;
  if (ev.tooLarge) return { refuse: `${ev.tooLarge}; mamoru does not change a config it could not read whole`, say: said("Apache's configuration is too large to read whole, and mamoru never changes a file it could not read.", 'Apache の設定が大きすぎて全体を読み取れず、読み切れないファイルは変更しないためです。') };
  if (ev.masterPid === undefined) return { refuse: 'Apache is not running (or its master cannot be trusted): start it first, a limit is not the problem', say: said('Apache is not running, so the limit is not the problem: it needs starting first.', 'Apache が稼働していないため、上限は原因ではありません。先に起動が必要です。') };
  if (!ev.file || !ev.line || ev.configured === undefined) return { refuse: `${ev.directive} is not set anywhere (Apache's default ${ev.limit} applies): there is no line to change; a person should add it`, say: said(`${ev.directive} is not written anywhere (Apache's default ${ev.limit} applies), so there is no line to change: a person should add it.`, `${ev.directive} がどこにも書かれておらず（既定値 ${ev.limit} が使われています）、変更する行がありません。担当者が追記する必要があります。`) };
  const tpc = ev.threadsPerChild?.value ?? 1;
  const maximum = params.maximum ?? wl.maximum;
  const mem = await workerMemory(ctx.executor, ev.masterPid, wl.memory_reserve_mb);
  // ServerLimit itself is what changes here, so only Apache's compiled-in ceiling bounds it.
  const next = nextLimit({ current: ev.limit, running: ev.running, target: params.target ?? wl.target, maximum, cap: HARD_SERVER_LIMIT * tpc, threadsPerChild: tpc, memoryFree: mem.memoryFree, workerRss: mem.rss });
  const memText = mem.free !== undefined && mem.rss !== undefined ? `${formatBytes(mem.free)} available (${wl.memory_reserve_mb} MiB kept in reserve), workers average ${formatBytes(mem.rss)}: memory allows ${next.memoryBound}` : 'memory use could not be read: no memory bound';
  steps?.evidence(`${memText}; configured maximum ${maximum}; ServerLimit ${ev.serverLimit.value} is raised with it`, { memAvailable: mem.free, averageWorkerRss: mem.rss, memoryBound: next.memoryBound, next });
  if (next.value <= ev.limit) {
    const say: Said =
      next.boundBy === 'memory'
        ? said(`the server's free memory allows no more Apache workers (${ev.limit} now).`, `サーバーの空きメモリでは Apache の処理数をこれ以上増やせません（現在 ${ev.limit}）。`)
        : said(`the configured maximum (${maximum}) is reached.`, `設定された最大値（${maximum}）に達しています。`);
    return { refuse: `the limit ${ev.limit} cannot be raised: bounded by ${next.boundBy} (${next.value})`, say };
  }
  const serverLimit = serverLimitFor(next.value, tpc);
  if (serverLimit <= ev.serverLimit.value) {
    const refuse = `${ev.serverLimit.directive} ${ev.serverLimit.value} already allows ${next.value}: raise-worker-limit does this with a graceful reload, no restart needed`;
    return { refuse, say: said(`${ev.serverLimit.directive} ${ev.serverLimit.value} already allows ${next.value}, so no restart is needed: the raise without a restart does it.`, `${ev.serverLimit.directive} ${ev.serverLimit.value} のままで ${next.value} まで引き上げられるため、再起動は不要です（再起動なしの引き上げで対処します）。`), instead: { type: 'raise-worker-limit', why: refuse } };
  }
  if (!ev.serverLimit.file || !ev.serverLimit.line) return { refuse: `ServerLimit is not set anywhere (Apache's default ${ev.serverLimit.value} applies): there is no line to change; a person should add "ServerLimit ${serverLimit}" beside ${ev.directive} in ${ev.file}`, say: said(`ServerLimit is not written anywhere (Apache's default ${ev.serverLimit.value} applies), so there is no line to change: a person should add "ServerLimit ${serverLimit}" beside ${ev.directive}.`, `ServerLimit がどこにも書かれておらず（既定値 ${ev.serverLimit.value}）、変更する行がありません。担当者が ${ev.directive} の近くに「ServerLimit ${serverLimit}」を追記する必要があります。`) };
  const edits: Edit[] = [];
  // Capped already (MaxRequestWorkers 10 under ServerLimit 5): the written value may stay.
  if (ev.configured !== next.value) edits.push({ file: ev.file, line: ev.line, directive: ev.directive, from: ev.configured, to: next.value });
  edits.push({ file: ev.serverLimit.file, line: ev.serverLimit.line, directive: ev.serverLimit.directive, from: ev.serverLimit.value, to: serverLimit });
  return { edits, from: ev.limit, to: next.value, boundBy: next.boundBy };
}

const changeText = (c: Change) => c.edits.map((e) => `${e.directive} ${e.from} -> ${e.to}`).join(' and ');
const whereText = (c: Change) => c.edits.map((e) => `${e.file}:${e.line}`).join(', ');

/** Apache's restart command, or stop then start: a full restart, never `-k restart` or graceful (both keep the old ServerLimit). */
async function restartPlan(ctx: ActionContext): Promise<{ restart: string[][] } | { stop: string[][]; start: string[][] }> {
  const restart = await commandsFor(ctx.executor, ctx.service, 'restart');
  if (restart.length) return { restart };
  return { stop: await commandsFor(ctx.executor, ctx.service, 'stop'), start: await commandsFor(ctx.executor, ctx.service, 'start') };
}

const restartText = (p: Awaited<ReturnType<typeof restartPlan>>) => ('restart' in p ? describeCommands(p.restart) : `${describeCommands(p.stop)}, then ${describeCommands(p.start)}`);

/** Runs the restart (or stop, wait until gone, start); undefined when it went through, else why not. */
async function restartApache(ctx: ActionContext, how: Awaited<ReturnType<typeof restartPlan>>, steps: Steps): Promise<string | undefined> {
  const svc = ctx.service;
  const record = (r: Ran) => {
    steps.action(`ran ${r.argv.join(' ')}: ${resultLine(r.result)}`, { argv: r.argv, exitCode: r.result.code, output: (r.result.stdout + r.result.stderr).slice(-2000) });
    return r.result.code === 0 ? undefined : `${r.argv.join(' ')} failed (${resultLine(r.result)})`;
  };
  if ('restart' in how) return record((await runFirst(ctx.executor, how.restart, svc.command_timeout, ctx.signal, 'restart'))!);
  const now = await observeService(ctx.executor, svc);
  if (now.master.master) {
    const failed = record((await runFirst(ctx.executor, how.stop, svc.command_timeout, ctx.signal))!);
    if (failed) return failed;
    const gone = await waitUntil(svc.start_timeout, () => observeService(ctx.executor, svc), (v) => v.down, ctx.signal);
    steps.evidence(gone.down ? `${svc.name} stopped: ${gone.summary}` : `${svc.name} did not stop within ${Math.round(svc.start_timeout / 1000)} s: ${gone.summary}`);
    if (!gone.down) return `${svc.name} would not stop: ${gone.summary}`;
  }
  if (svc.pid_file) {
    const stale = await clearStalePidFile(ctx.executor, svc.pid_file, false);
    if (stale) steps.action(stale.text, { pidFile: svc.pid_file });
  }
  return record((await runFirst(ctx.executor, how.start, svc.command_timeout, ctx.signal, 'start'))!);
}

/** A file to change: where the inspection found it, what is really written, its edits. */
interface Target {
  file: RootFile;
  edits: Edit[];
  backup?: string;
  written?: boolean;
}

export default defineAction({
  type: 'raise-worker-limit-restart',
  summary: "raise Apache's worker limit and ServerLimit: back up, change both directives, config test, full restart, verify; roll back on any failure",
  schema,
  rateGroup: 'raise-worker-limit',
  rateWords: 'had its worker limit raised',
  // A file changed and a restart that cuts every client: a person approves it by default.
  risk: 'config',
  async describe(ctx, params) {
    const p = await plan(ctx, params, await inspect(ctx));
    if ('refuse' in p) throw new Error(p.refuse);
    const en = p.edits.map((e) => `${e.directive} from ${e.from} to ${e.to}`).join(' and ');
    const ja = p.edits.map((e) => `${e.directive} の ${e.from} から ${e.to} へ`).join('、');
    const how = await restartPlan(ctx);
    const commands = [{ step: 'config test', candidates: await commandsFor(ctx.executor, ctx.service, 'config_test') }, ...('restart' in how ? [{ step: 'restart', candidates: how.restart }] : [{ step: 'stop', candidates: how.stop }, { step: 'start', candidates: how.start }])];
    const changes = await Promise.all(p.edits.map(async (e) => ({ file: e.file, line: e.line, directive: e.directive, from: e.from, to: e.to, backup: await plannedBackup(ctx.executor, e.file, ctx.service.worker_limit.backup_dir) })));
    return {
      plan: { commands, changes },
      text: `raise ${changeText(p)} in ${whereText(p)}, then restart Apache on ${targetOf(ctx)} (clients are cut for a few seconds)`,
      say: said(`raise Apache's ${en} on ${targetOf(ctx)}, then restart Apache (visitors are cut for a few seconds)`, `${targetOf(ctx)} の Apache の ${ja}の引き上げと、Apache の再起動（数秒間接続が切れます）`),
    };
  },
  doing: (ctx) => said(`mamoru is raising Apache's worker limit and ServerLimit on ${targetOf(ctx)} and restarting Apache.`, `${targetOf(ctx)} の Apache の同時処理数の上限と ServerLimit を引き上げ、Apache を再起動しています。`),
  async run(ctx, params): Promise<ActionOutcome> {
    const steps = new Steps(ctx.log, ctx.clock);
    const ex = ctx.executor;
    const svc = ctx.service;
    const at = targetOf(ctx);
    const not = `did not raise the worker limit on ${at}`;
    const before = await inspect(ctx);
    steps.evidence(before.summary, { limit: before.limit, directive: before.directive, file: before.file, line: before.line, serverLimit: before.serverLimit, running: before.running, atLimit: before.atLimit, masterPid: before.masterPid });
    const p = await plan(ctx, params, before, steps);
    if ('refuse' in p) return refused(steps, at, before.directive, p);
    const tests = await commandsFor(ex, svc, 'config_test');
    const how = await restartPlan(ctx);
    if (tests.length === 0) return refused(steps, at, before.directive, { refuse: `no config test command for ${svc.name}: a change is never applied untested`, say: said(`no config test command is configured for ${svc.name}, and mamoru never applies a change untested.`, `${svc.name} に設定テストのコマンドが設定されておらず、テストせずに変更を反映することはしないためです。`) });
    if (!('restart' in how) && (how.stop.length === 0 || how.start.length === 0)) return refused(steps, at, before.directive, { refuse: `no restart command, nor stop and start, for ${svc.name}: configure restart (or stop and start)`, say: said(`no restart command (nor stop and start) is configured for ${svc.name}.`, `${svc.name} に再起動（または停止と起動）のコマンドが設定されていないためです。`) });

    // Root's alone, or not touched; two paths may name one real file (one backup, both edits).
    const targets = new Map<string, Target>();
    for (const e of p.edits) {
      let file: RootFile;
      try {
        file = await editableFile(ex, e.file);
      } catch (err) {
        const out = refused(steps, at, before.directive, { refuse: (err as Error).message, say: said('a config file is not safe to change as root (someone other than root could change it).', '設定ファイルが root 以外のユーザーにも変更できる状態にあり、安全に変更できないためです。') });
        return { ...out, text: `${not}: a config file is not safe to change` };
      }
      if (file.link) steps.evidence(`${e.file} is a link to ${file.real}: the real file is changed, the link stays`, { link: file.link, real: file.real });
      const t = targets.get(file.real) ?? { file, edits: [] };
      t.edits.push(e);
      targets.set(file.real, t);
    }
    const all = [...targets.values()];
    // The config test before anything is touched: a config broken already is the news, and nothing of ours goes near it.
    const broken = await testBefore(ex, tests, svc, at, before.directive, steps, ctx.signal);
    if (broken) return broken;
    const en = p.edits.map((e) => `${e.directive} from ${e.from} to ${e.to}`).join(' and ');
    const ja = p.edits.map((e) => `${e.directive} を ${e.from} から ${e.to} に`).join('、');
    if (ctx.dryRun) {
      steps.action(`would back up ${all.map((t) => t.file.real).join(' and ')} to ${svc.worker_limit.backup_dir}, set ${changeText(p)} at ${whereText(p)}, test with ${describeCommands(tests)}, restart with ${restartText(how)}`);
      return steps.outcome('dry-run', `would raise ${changeText(p)} in ${whereText(p)} on ${at} and restart Apache`, said(`Would raise Apache's ${en} on ${at} and restart Apache (trial mode: nothing was done).`, `${at} の Apache の ${ja}引き上げ、再起動する予定です（試行モードのため実行していません）。`));
    }

    let restarted = false;
    const ended = (end: RollbackEnd, reason: Said) => rollbackSay(end, at, before.directive, reason, { backup: all.map((x) => x.backup).filter(Boolean).join(', ') || undefined, applied: 'restarted' });
    /** Puts back every file written, restarts onto the old config if Apache had been restarted and it tests clean, and escalates. */
    const rollBack = async (why: string, reason: Said): Promise<ActionOutcome> => {
      const unrestored: string[] = [];
      for (const t of all.filter((x) => x.written)) {
        try {
          await restore(ex, t.backup!, t.file.real);
          steps.action(`restored ${t.file.real} from ${t.backup}`, { file: t.file.real, backup: t.backup });
        } catch (e) {
          steps.action(`could not restore ${t.file.real} from ${t.backup}: ${(e as Error).message}`);
          unrestored.push(`${t.file.real} (backup ${t.backup}): ${(e as Error).message}`);
        }
      }
      if (unrestored.length) return steps.outcome('escalate', `raising the worker limit on ${at} failed and a backup could not be restored`, ended('restore-failed', reason), `${why}; restore failed: ${unrestored.join('; ')}`, reason);
      if (!all.some((x) => x.written)) return steps.outcome('escalate', `${not}; nothing was changed`, ended('not-changed', reason), why, reason);
      if (!restarted) return steps.outcome('escalate', `${not}; the config is as it was and Apache was not restarted`, ended('as-it-was', reason), why, reason);
      const t = (await runFirst(ex, tests, svc.command_timeout, ctx.signal))!;
      steps.evidence(`config test of the restored config: ${resultLine(t.result)}`, { argv: t.argv, exitCode: t.result.code });
      if (t.result.code !== 0) return steps.outcome('escalate', `raising the worker limit on ${at} failed; the config is restored but does not test clean, so Apache was not restarted onto it`, ended('restored-untested', reason), why, reason);
      const failed = await restartApache(ctx, how, steps);
      const check = await verifyService(ctx);
      steps.evidence(check.text, check.data);
      return steps.outcome('escalate', `raising the worker limit on ${at} failed; rolled back${check.ok ? ', Apache answers on the old config' : ' but Apache is not answering'}`, ended(check.ok ? 'answers-old' : 'not-answering', reason), failed ? `${why}; restarting onto the old config: ${failed}` : why, reason);
    };

    // Every backup before any write: a failure part way never leaves a file without one.
    for (const t of all) {
      try {
        t.backup = await backUp(ex, t.file.real, svc.worker_limit.backup_dir, ctx.clock.now());
        steps.action(`backed up ${t.file.real} to ${t.backup}`, { file: t.file.real, backup: t.backup });
      } catch (e) {
        return steps.outcome('escalate', `${not}; nothing was changed`, ended('not-changed', said('a config file could not be backed up', '設定ファイルのバックアップを作成できませんでした')), (e as Error).message);
      }
    }
    const texts = new Map<Target, string>();
    for (const t of all) {
      let e: Edit | undefined;
      try {
        let text = await readConfig(ex, t.backup!);
        for (e of t.edits) text = setDirective(text, e.line, e.directive, e.from, e.to);
        texts.set(t, text);
      } catch (err) {
        return steps.outcome('escalate', `${not}; nothing was changed`, ended('not-changed', said('a line changed since it was read', '読み取った後に該当の行が変更されていました')), `${e ? `${e.file}:${e.line}: ` : ''}${(err as Error).message}`);
      }
    }
    for (const t of all) {
      try {
        await writeConfig(ex, t.file.real, texts.get(t)!, t.backup!);
        t.written = true;
        for (const e of t.edits) steps.action(`changed ${e.directive} ${e.from} -> ${e.to} at ${e.file}:${e.line}`, { file: e.file, real: t.file.real, line: e.line, directive: e.directive, from: e.from, to: e.to });
      } catch (e) {
        // Changed by someone else meanwhile: theirs stays; ours already written goes back.
        const why = (e as Error).message;
        if (e instanceof ConfigFileError && e.needsPerson && !all.some((x) => x.written)) return steps.outcome('escalate', `${not}; nothing was changed`, ended('not-changed', said('someone else changed a file at the same moment', '同じ時にほかの誰かがファイルを変更していました')), why);
        return rollBack(why, said('a new file could not be written', '新しい設定を書き込めませんでした'));
      }
    }

    const t = (await runFirst(ex, tests, svc.command_timeout, ctx.signal))!;
    steps.evidence(`config test ${t.argv.join(' ')}: ${resultLine(t.result)}`, { argv: t.argv, exitCode: t.result.code, output: (t.result.stdout + t.result.stderr).slice(-4000) });
    if (t.result.code !== 0) {
      const first = firstLine(t.result) || resultLine(t.result);
      return rollBack(`the config test failed after the change (${resultLine(t.result)}), so Apache was not restarted`, said(`the config test failed after the change ("${first}")`, `変更後の設定テストが失敗しました（「${first}」）`));
    }

    restarted = true;
    const failed = await restartApache(ctx, how, steps);
    if (failed) return rollBack(`the restart failed: ${failed}`, said('the restart failed', '再起動が失敗しました'));

    // A new master is the proof of a full restart: one that kept its master kept its ServerLimit,
    // whatever the config now says.
    const seen: { last?: ApacheWorkersEvidence } = {};
    const check = await verifyService(ctx, {
      confirm: async () => {
        const after = (seen.last = await inspect(ctx));
        const fresh = after.masterPid !== undefined && after.masterPid !== before.masterPid;
        const ok = after.limit === p.to && fresh;
        const text = ok ? `the new limit ${p.to} is in effect (new master ${after.masterPid})` : after.limit !== p.to ? `the inspection reads a limit of ${after.limit}, not ${p.to}` : after.masterPid === undefined ? 'no master process' : `the master is still ${before.masterPid}: Apache was not fully restarted`;
        return { ok, text, data: { limit: after.limit, masterPid: after.masterPid, masterBefore: before.masterPid } };
      },
    });
    steps.evidence(check.text, check.data);
    if (seen.last) steps.evidence(seen.last.summary, { limit: seen.last.limit, serverLimit: seen.last.serverLimit, running: seen.last.running, masterPid: seen.last.masterPid });
    if (!check.ok) return rollBack(`after the restart ${check.text}`, said('after the restart the new limit did not take effect, or Apache did not answer', '再起動後に新しい上限が反映されないか、Apache が応答しませんでした'));
    const backups = all.map((x) => x.backup).join(', ');
    return steps.outcome(
      'done',
      `raised ${changeText(p)} on ${at} (${whereText(p)}, backup ${backups}); config test passed, Apache restarted, answers and the new limit ${p.to} is in effect`,
      said(`Raised Apache's ${en} on ${at} and restarted Apache; the new limit ${p.to} is in effect and Apache answers.`, `${at} の Apache の ${ja}引き上げ、再起動しました。新しい上限 ${p.to} の反映と応答を確認済みです。`),
    );
  },
});
