/**
 * restart-service: stop and start a service that runs but does not serve (a hung master, a port
 * that stopped listening), through its restart command (configured, `systemctl restart X`,
 * `/etc/init.d/X restart`), or its stop and start commands one after the other when it has only
 * those. A stopped service is simply started. Verified like a start; the rate limit counts it
 * with starts, so a service that keeps dying is handed to a person instead of restarted forever.
 */
import { z } from 'zod';
import { clearStalePidFile, commandsFor, describeCommands, runFirst, type Ran } from './service-commands.ts';
import { observeService, waitUntil } from './service-observe.ts';
import { verifyService } from './service-verify.ts';
import { said } from '../core/said.ts';
import { defineAction, resultLine, Steps, targetOf, type ActionContext } from './types.ts';

export const schema = z.strictObject({});

/** The restart command, or stop then start. */
async function plan(ctx: ActionContext): Promise<{ restart: string[][] } | { stop: string[][]; start: string[][] }> {
  const restart = await commandsFor(ctx.executor, ctx.service, 'restart');
  if (restart.length) return { restart };
  return { stop: await commandsFor(ctx.executor, ctx.service, 'stop'), start: await commandsFor(ctx.executor, ctx.service, 'start') };
}

function planText(p: Awaited<ReturnType<typeof plan>>): string {
  return 'restart' in p ? describeCommands(p.restart) : `${describeCommands(p.stop)}, then ${describeCommands(p.start)}`;
}

export default defineAction({
  type: 'restart-service',
  summary: 'restart a service (stop and start), then verify it listens and answers',
  schema,
  rateWords: 'was restarted',
  risk: 'service',
  rateGroup: 'restart',
  async describe(ctx) {
    const p = await plan(ctx);
    return {
      text: `restart ${ctx.service.name} on ${targetOf(ctx)} (${planText(p)})`,
      say: said(`restart ${ctx.service.name} on ${targetOf(ctx)}`, `${targetOf(ctx)} の ${ctx.service.name} の再起動`),
      plan: { commands: 'restart' in p ? [{ step: 'restart', candidates: p.restart }] : [{ step: 'stop', candidates: p.stop }, { step: 'start', candidates: p.start }], changes: [] },
    };
  },
  doing: (ctx) => said(`mamoru is restarting ${ctx.service.name} on ${targetOf(ctx)}.`, `${targetOf(ctx)} の ${ctx.service.name} を再起動しています。`),
  async run(ctx) {
    const svc = ctx.service;
    const steps = new Steps(ctx.log, ctx.clock);
    const before = await observeService(ctx.executor, svc);
    steps.evidence(before.summary, { master: before.master.master?.pid, listening: before.listening, notListening: before.notListening });
    const p = await plan(ctx);
    const where = targetOf(ctx);
    if (!('restart' in p) && (p.start.length === 0 || (p.stop.length === 0 && before.master.master))) {
      return steps.outcome(
        'failed',
        `cannot restart ${svc.name}: no ${p.start.length === 0 ? 'start' : 'stop'} command`,
        said(`Could not restart ${svc.name} on ${where}: no restart command (nor stop and start) is configured.`, `${where} の ${svc.name} を再起動できませんでした。再起動コマンド（または停止と起動のコマンド）が設定されていません。`),
        `configure restart, or stop and start, for ${svc.name}`,
        said('No restart command is configured: the operator must add one.', '再起動コマンドが未設定のため、運用担当者による設定が必要です。'),
      );
    }
    if (ctx.dryRun) {
      steps.action(`would run: ${planText(p)}`);
      return steps.outcome('dry-run', `would restart ${svc.name} on ${where} (${planText(p)})`, said(`Would restart ${svc.name} on ${where} (trial mode: nothing was done).`, `${where} の ${svc.name} を再起動する予定です（試行モードのため実行していません）。`));
    }
    const ran: Ran[] = [];
    const record = (r: Ran) => {
      ran.push(r);
      steps.action(`ran ${r.argv.join(' ')}: ${resultLine(r.result)}`, { argv: r.argv, exitCode: r.result.code, output: (r.result.stdout + r.result.stderr).slice(-2000) });
    };
    if ('restart' in p) record((await runFirst(ctx.executor, p.restart, svc.command_timeout, ctx.signal, 'restart'))!);
    else {
      if (before.master.master) {
        record((await runFirst(ctx.executor, p.stop, svc.command_timeout, ctx.signal))!);
        const gone = await waitUntil(svc.start_timeout, () => observeService(ctx.executor, svc), (v) => v.down, ctx.signal);
        steps.evidence(gone.down ? `${svc.name} stopped: ${gone.summary}` : `${svc.name} did not stop within ${Math.round(svc.start_timeout / 1000)} s: ${gone.summary}`);
        if (!gone.down) return steps.outcome('escalate', `tried to restart ${svc.name} on ${where}, but it would not stop`, said(`Tried to restart ${svc.name} on ${where}, but it would not stop: a person must look.`, `${where} の ${svc.name} の再起動を試みましたが停止しませんでした。担当者の確認が必要です。`), gone.summary, said(`${svc.name} does not stop when asked.`, `${svc.name} が停止の指示に応じません。`));
      }
      if (svc.pid_file) {
        const stale = await clearStalePidFile(ctx.executor, svc.pid_file, false);
        if (stale) steps.action(stale.text, { pidFile: svc.pid_file });
      }
      record((await runFirst(ctx.executor, p.start, svc.command_timeout, ctx.signal, 'start'))!);
    }
    const check = await verifyService(ctx);
    steps.evidence(check.text, check.data);
    if (check.ok) return steps.outcome('done', `restarted ${svc.name} on ${where}; verified: ${check.answers.map((a) => a.text).join('; ') || check.view.summary}`, said(`Restarted ${svc.name} on ${where}; it runs and answers again.`, `${where} の ${svc.name} を再起動しました。稼働と応答を確認済みです。`));
    const failed = ran.find((r) => r.result.code !== 0);
    return steps.outcome(
      'escalate',
      `restarted ${svc.name} on ${where}, but it is not answering`,
      said(`Restarted ${svc.name} on ${where}, but it does not answer: a person must look.`, `${where} の ${svc.name} を再起動しましたが応答がありません。担当者の確認が必要です。`),
      failed ? `${failed.argv.join(' ')} failed (${resultLine(failed.result)}); ${check.text}` : check.text,
      said(`${svc.name} does not come up after the restart${failed ? ' (a command failed)' : ''}.`, `再起動後も ${svc.name} が立ち上がりません${failed ? '（コマンドが失敗しました）' : ''}。`),
    );
  },
});
