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
    return `restart ${ctx.service.name} on ${targetOf(ctx)} (${planText(await plan(ctx))})`;
  },
  async run(ctx) {
    const svc = ctx.service;
    const steps = new Steps(ctx.log, ctx.clock);
    const before = await observeService(ctx.executor, svc);
    steps.evidence(before.summary, { master: before.master.master?.pid, listening: before.listening, notListening: before.notListening });
    const p = await plan(ctx);
    if (!('restart' in p) && (p.start.length === 0 || (p.stop.length === 0 && before.master.master))) {
      return steps.outcome('failed', `cannot restart ${svc.name}: no ${p.start.length === 0 ? 'start' : 'stop'} command`, `configure restart, or stop and start, for ${svc.name}`);
    }
    if (ctx.dryRun) {
      steps.action(`would run: ${planText(p)}`);
      return steps.outcome('dry-run', `would restart ${svc.name} on ${targetOf(ctx)} (${planText(p)})`);
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
        if (!gone.down) return steps.outcome('escalate', `tried to restart ${svc.name} on ${targetOf(ctx)}, but it would not stop`, gone.summary);
      }
      if (svc.pid_file) {
        const stale = await clearStalePidFile(ctx.executor, svc.pid_file, false);
        if (stale) steps.action(stale.text, { pidFile: svc.pid_file });
      }
      record((await runFirst(ctx.executor, p.start, svc.command_timeout, ctx.signal, 'start'))!);
    }
    const check = await verifyService(ctx);
    steps.evidence(check.text, check.data);
    if (check.ok) return steps.outcome('done', `restarted ${svc.name} on ${targetOf(ctx)}; verified: ${check.answers.map((a) => a.text).join('; ') || check.view.summary}`);
    const failed = ran.find((r) => r.result.code !== 0);
    return steps.outcome('escalate', `restarted ${svc.name} on ${targetOf(ctx)}, but it is not answering`, failed ? `${failed.argv.join(' ')} failed (${resultLine(failed.result)}); ${check.text}` : check.text);
  },
});
