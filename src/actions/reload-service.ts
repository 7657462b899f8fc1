/**
 * reload-service: have a running service read its configuration again without dropping clients:
 * for Apache a graceful restart (`apache2ctl graceful`, `apachectl -k graceful`, or the configured
 * reload), else `systemctl reload X`, `/etc/init.d/X reload` or the configured command. A config
 * test runs first where there is one: a graceful restart into a broken config makes Apache exit.
 * A stopped service is not reloaded (that would not start it). Verified like a start.
 */
import { z } from 'zod';
import { commandsFor, describeCommands, runFirst } from './service-commands.ts';
import { observeService } from './service-observe.ts';
import { verifyService } from './service-verify.ts';
import { defineAction, resultLine, Steps, targetOf } from './types.ts';

export const schema = z.strictObject({
  config_test: z.boolean().default(true).meta({ description: 'run the config test first, and reload only if it passes' }),
});

export default defineAction({
  type: 'reload-service',
  summary: 'reload a running service gracefully (config test first), then verify it answers',
  schema,
  rateWords: 'was reloaded',
  risk: 'service',
  async describe(ctx, params) {
    const test = params.config_test ? await commandsFor(ctx.executor, ctx.service, 'config_test') : [];
    const reload = describeCommands(await commandsFor(ctx.executor, ctx.service, 'reload'));
    return `reload ${ctx.service.name} on ${targetOf(ctx)} (${test.length ? `${describeCommands(test)}, then ` : ''}${reload})`;
  },
  async run(ctx, params) {
    const svc = ctx.service;
    const steps = new Steps(ctx.log, ctx.clock);
    const before = await observeService(ctx.executor, svc);
    steps.evidence(before.summary, { master: before.master.master?.pid });
    if (!before.master.master) return steps.outcome('failed', `did not reload ${svc.name}: it is not running`, `${svc.name} is not running on ${targetOf(ctx)}; a reload would not start it`);
    const reload = await commandsFor(ctx.executor, svc, 'reload');
    if (reload.length === 0) return steps.outcome('failed', `cannot reload ${svc.name}: no reload command`, `configure reload for ${svc.name}`);
    const test = params.config_test ? await commandsFor(ctx.executor, svc, 'config_test') : [];
    if (ctx.dryRun) {
      steps.action(`would run: ${test.length ? `${describeCommands(test)}, then ` : ''}${describeCommands(reload)}`);
      return steps.outcome('dry-run', `would reload ${svc.name} on ${targetOf(ctx)}`);
    }
    if (test.length) {
      const t = (await runFirst(ctx.executor, test, svc.command_timeout, ctx.signal))!;
      steps.evidence(`config test ${t.argv.join(' ')}: ${resultLine(t.result)}`, { argv: t.argv, exitCode: t.result.code, output: (t.result.stdout + t.result.stderr).slice(-4000) });
      if (t.result.code !== 0) return steps.outcome('escalate', `did not reload ${svc.name}: its config test fails`, `${t.argv.join(' ')}: ${resultLine(t.result)}`);
    }
    const r = (await runFirst(ctx.executor, reload, svc.command_timeout, ctx.signal, 'reload'))!;
    steps.action(`ran ${r.argv.join(' ')}: ${resultLine(r.result)}`, { argv: r.argv, exitCode: r.result.code });
    const check = await verifyService(ctx);
    steps.evidence(check.text, check.data);
    if (r.result.code === 0 && check.ok) return steps.outcome('done', `reloaded ${svc.name} on ${targetOf(ctx)}; verified: ${check.answers.map((a) => a.text).join('; ') || check.view.summary}`);
    return steps.outcome('escalate', `reloaded ${svc.name} on ${targetOf(ctx)}, but it is not answering`, r.result.code !== 0 ? `${r.argv.join(' ')}: ${resultLine(r.result)}; ${check.text}` : check.text);
  },
});
