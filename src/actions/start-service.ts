/**
 * start-service: bring a stopped service back (the field runbook's `/etc/init.d/httpd start`),
 * through systemd, its SysV init script or the configured command. Idempotent: a service whose
 * process runs and whose ports listen is left alone ("already running"). A process that runs but
 * does not listen is not a stopped service, and a start would not help: that goes to a person.
 * Done means verified: running, listening and answering a client from the monitor.
 */
import { z } from 'zod';
import { clearStalePidFile, commandsFor, describeCommands, runFirst } from './service-commands.ts';
import { observeService } from './service-observe.ts';
import { verifyService } from './service-verify.ts';
import { said } from '../core/said.ts';
import { defineAction, resultLine, Steps, targetOf } from './types.ts';

export const schema = z.strictObject({});

export default defineAction({
  type: 'start-service',
  summary: 'start a stopped service, then verify it listens and answers',
  schema,
  rateWords: 'was started',
  risk: 'service',
  rateGroup: 'restart',
  async describe(ctx) {
    const name = ctx.service.name;
    const start = await commandsFor(ctx.executor, ctx.service, 'start');
    return {
      text: `start ${name} on ${targetOf(ctx)} (${describeCommands(start)})`,
      say: said(`start ${name} on ${targetOf(ctx)}`, `${targetOf(ctx)} の ${name} の起動`),
      plan: { commands: [{ step: 'start', candidates: start }], changes: [] },
    };
  },
  doing: (ctx) => said(`mamoru is starting ${ctx.service.name} on ${targetOf(ctx)}.`, `${targetOf(ctx)} の ${ctx.service.name} を起動しています。`),
  async run(ctx) {
    const svc = ctx.service;
    const steps = new Steps(ctx.log, ctx.clock);
    const before = await observeService(ctx.executor, svc);
    steps.evidence(before.summary, { master: before.master.master?.pid, listening: before.listening, notListening: before.notListening, udpOpen: before.udpOpen, udpClosed: before.udpClosed });
    const where = targetOf(ctx);
    if (before.up) return steps.outcome('no-op', `${svc.name} is already running on ${where}: nothing to start`, said(`${svc.name} on ${where} was already running: nothing needed starting.`, `${where} の ${svc.name} はすでに稼働していたため、起動は不要でした。`));
    if (before.master.master) {
      const why = `${svc.name} runs (pid ${before.master.master.pid}) but ${[...before.notListening.map((p) => `TCP ${p}`), ...before.udpClosed.map((p) => `UDP ${p}`)].join(', ')} do not listen: a start would not change that; it needs a restart or a person`;
      return steps.outcome('failed', `did not start ${svc.name}: it is already running, half-way`, said(`Did not start ${svc.name} on ${where}: it runs but does not listen on all its ports, which a start cannot change.`, `${where} の ${svc.name} は起動しませんでした。プロセスは動いていますが一部のポートで待ち受けておらず、起動では解決しないためです。`), why, said('It runs half-way: it needs a restart or a person.', '中途半端に動いている状態のため、再起動か担当者の確認が必要です。'));
    }
    const candidates = await commandsFor(ctx.executor, svc, 'start');
    if (candidates.length === 0) {
      return steps.outcome('failed', `cannot start ${svc.name}: no start command`, said(`Could not start ${svc.name} on ${where}: no start command is configured for it.`, `${where} の ${svc.name} を起動できませんでした。起動コマンドが設定されていません。`), `${svc.name} is controlled by its own commands (manager: command) but none is configured for start`, said('No start command is configured: the operator must add one.', '起動コマンドが未設定のため、運用担当者による設定が必要です。'));
    }
    if (svc.pid_file) {
      const stale = await clearStalePidFile(ctx.executor, svc.pid_file, ctx.dryRun === true);
      if (stale?.removed || (stale && ctx.dryRun)) steps.action(stale.text, { pidFile: svc.pid_file, pid: stale.pid });
      else if (stale) steps.evidence(stale.text, { pidFile: svc.pid_file, pid: stale.pid });
    }
    if (ctx.dryRun) {
      steps.action(`would run: ${describeCommands(candidates)}`, { argv: candidates[0] });
      return steps.outcome('dry-run', `would start ${svc.name} on ${where} (${describeCommands(candidates)})`, said(`Would start ${svc.name} on ${where} (trial mode: nothing was done).`, `${where} の ${svc.name} を起動する予定です（試行モードのため実行していません）。`));
    }
    const ran = (await runFirst(ctx.executor, candidates, svc.command_timeout, ctx.signal, 'start'))!;
    steps.action(`ran ${ran.argv.join(' ')}: ${resultLine(ran.result)}`, { argv: ran.argv, exitCode: ran.result.code, output: (ran.result.stdout + ran.result.stderr).slice(-2000) });
    const check = await verifyService(ctx);
    steps.evidence(check.text, check.data);
    if (check.ok) return steps.outcome('done', `started ${svc.name} on ${where}; verified: ${check.answers.length ? check.answers.map((a) => a.text).join('; ') : check.view.summary}`, said(`Started ${svc.name} on ${where}; it runs and answers again.`, `${where} の ${svc.name} を起動しました。稼働と応答を確認済みです。`));
    const why = ran.result.code !== 0 ? `the start command failed (${resultLine(ran.result)}) and ${check.text}` : check.text;
    return steps.outcome('escalate', `tried to start ${svc.name} on ${where}, but it is not answering`, said(`Tried to start ${svc.name} on ${where}, but it does not answer: a person must look.`, `${where} の ${svc.name} の起動を試みましたが応答がありません。担当者の確認が必要です。`), why, said(`${svc.name} does not come up after a start${ran.result.code !== 0 ? ' (the start command failed)' : ''}.`, `起動後も ${svc.name} が立ち上がりません${ran.result.code !== 0 ? '（起動コマンドが失敗しました）' : ''}。`));
  },
});
