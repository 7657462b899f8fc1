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
    return `start ${ctx.service.name} on ${targetOf(ctx)} (${describeCommands(await commandsFor(ctx.executor, ctx.service, 'start'))})`;
  },
  async run(ctx) {
    const svc = ctx.service;
    const steps = new Steps(ctx.log, ctx.clock);
    const before = await observeService(ctx.executor, svc);
    steps.evidence(before.summary, { master: before.master.master?.pid, listening: before.listening, notListening: before.notListening, udpOpen: before.udpOpen, udpClosed: before.udpClosed });
    if (before.up) return steps.outcome('no-op', `${svc.name} is already running on ${targetOf(ctx)}: nothing to start`);
    if (before.master.master) {
      const why = `${svc.name} runs (pid ${before.master.master.pid}) but ${[...before.notListening.map((p) => `TCP ${p}`), ...before.udpClosed.map((p) => `UDP ${p}`)].join(', ')} do not listen: a start would not change that; it needs a restart or a person`;
      return steps.outcome('failed', `did not start ${svc.name}: it is already running, half-way`, why);
    }
    const candidates = await commandsFor(ctx.executor, svc, 'start');
    if (candidates.length === 0) {
      return steps.outcome('failed', `cannot start ${svc.name}: no start command`, `${svc.name} is controlled by its own commands (manager: command) but none is configured for start`);
    }
    if (svc.pid_file) {
      const stale = await clearStalePidFile(ctx.executor, svc.pid_file, ctx.dryRun === true);
      if (stale?.removed || (stale && ctx.dryRun)) steps.action(stale.text, { pidFile: svc.pid_file, pid: stale.pid });
      else if (stale) steps.evidence(stale.text, { pidFile: svc.pid_file, pid: stale.pid });
    }
    if (ctx.dryRun) {
      steps.action(`would run: ${describeCommands(candidates)}`, { argv: candidates[0] });
      return steps.outcome('dry-run', `would start ${svc.name} on ${targetOf(ctx)} (${describeCommands(candidates)})`);
    }
    const ran = (await runFirst(ctx.executor, candidates, svc.command_timeout, ctx.signal, 'start'))!;
    steps.action(`ran ${ran.argv.join(' ')}: ${resultLine(ran.result)}`, { argv: ran.argv, exitCode: ran.result.code, output: (ran.result.stdout + ran.result.stderr).slice(-2000) });
    const check = await verifyService(ctx);
    steps.evidence(check.text, check.data);
    if (check.ok) return steps.outcome('done', `started ${svc.name} on ${targetOf(ctx)}; verified: ${check.answers.length ? check.answers.map((a) => a.text).join('; ') : check.view.summary}`);
    const why = ran.result.code !== 0 ? `the start command failed (${resultLine(ran.result)}) and ${check.text}` : check.text;
    return steps.outcome('escalate', `tried to start ${svc.name} on ${targetOf(ctx)}, but it is not answering`, why);
  },
});
