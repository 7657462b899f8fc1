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
import { said } from '../core/said.ts';
import { defineAction, firstLine, resultLine, Steps, targetOf } from './types.ts';

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
    const reloads = await commandsFor(ctx.executor, ctx.service, 'reload');
    const reload = describeCommands(reloads);
    return {
      text: `reload ${ctx.service.name} on ${targetOf(ctx)} (${test.length ? `${describeCommands(test)}, then ` : ''}${reload})`,
      say: said(`reload ${ctx.service.name} on ${targetOf(ctx)}`, `${targetOf(ctx)} の ${ctx.service.name} の設定再読み込み`),
      plan: { commands: [...(test.length ? [{ step: 'config test', candidates: test }] : []), { step: 'reload', candidates: reloads }], changes: [] },
    };
  },
  doing: (ctx) => said(`mamoru is reloading ${ctx.service.name} on ${targetOf(ctx)}.`, `${targetOf(ctx)} の ${ctx.service.name} に設定を再読み込みさせています。`),
  async run(ctx, params) {
    const svc = ctx.service;
    const steps = new Steps(ctx.log, ctx.clock);
    const before = await observeService(ctx.executor, svc);
    steps.evidence(before.summary, { master: before.master.master?.pid });
    const where = targetOf(ctx);
    if (!before.master.master) return steps.outcome('failed', `did not reload ${svc.name}: it is not running`, said(`Did not reload ${svc.name} on ${where}: it is not running, and a reload would not start it.`, `${where} の ${svc.name} は稼働していないため、再読み込みはしていません（再読み込みでは起動しません）。`), `${svc.name} is not running on ${where}; a reload would not start it`, said(`${svc.name} is not running.`, `${svc.name} が稼働していません。`));
    const reload = await commandsFor(ctx.executor, svc, 'reload');
    if (reload.length === 0) return steps.outcome('failed', `cannot reload ${svc.name}: no reload command`, said(`Could not reload ${svc.name} on ${where}: no reload command is configured.`, `${where} の ${svc.name} を再読み込みできませんでした。再読み込みのコマンドが設定されていません。`), `configure reload for ${svc.name}`, said('No reload command is configured: the operator must add one.', '再読み込みのコマンドが未設定のため、運用担当者による設定が必要です。'));
    const test = params.config_test ? await commandsFor(ctx.executor, svc, 'config_test') : [];
    if (ctx.dryRun) {
      steps.action(`would run: ${test.length ? `${describeCommands(test)}, then ` : ''}${describeCommands(reload)}`);
      return steps.outcome('dry-run', `would reload ${svc.name} on ${where}`, said(`Would reload ${svc.name} on ${where} (trial mode: nothing was done).`, `${where} の ${svc.name} に設定を再読み込みさせる予定です（試行モードのため実行していません）。`));
    }
    if (test.length) {
      const t = (await runFirst(ctx.executor, test, svc.command_timeout, ctx.signal))!;
      steps.evidence(`config test ${t.argv.join(' ')}: ${resultLine(t.result)}`, { argv: t.argv, exitCode: t.result.code, output: (t.result.stdout + t.result.stderr).slice(-4000) });
      if (t.result.code !== 0) {
        const first = firstLine(t.result);
        return steps.outcome(
          'escalate',
          `did not reload ${svc.name}: its config test fails`,
          said(
            `Did not reload ${svc.name} on ${where}: its configuration is broken (the config test says "${first}"). Nothing was changed; ${svc.name} will not start at its next restart until a person fixes it.`,
            `${where} の ${svc.name} の設定に誤りがあるため、再読み込みはしていません（設定テストの結果:「${first}」）。何も変更していませんが、担当者が修正するまで次回の再起動で ${svc.name} は起動しません。`,
          ),
          `${t.argv.join(' ')}: ${resultLine(t.result)}`,
          said(`The configuration is broken: "${first}". A person must fix it before the next restart.`, `設定に誤りがあります:「${first}」。次回の再起動までに担当者が修正する必要があります。`),
        );
      }
    }
    const r = (await runFirst(ctx.executor, reload, svc.command_timeout, ctx.signal, 'reload'))!;
    steps.action(`ran ${r.argv.join(' ')}: ${resultLine(r.result)}`, { argv: r.argv, exitCode: r.result.code });
    const check = await verifyService(ctx);
    steps.evidence(check.text, check.data);
    if (r.result.code === 0 && check.ok) return steps.outcome('done', `reloaded ${svc.name} on ${where}; verified: ${check.answers.map((a) => a.text).join('; ') || check.view.summary}`, said(`Reloaded ${svc.name} on ${where}; it answers.`, `${where} の ${svc.name} に設定を再読み込みさせました。応答を確認済みです。`));
    return steps.outcome(
      'escalate',
      `reloaded ${svc.name} on ${where}, but it is not answering`,
      said(`Reloaded ${svc.name} on ${where}, but it does not answer: a person must look.`, `${where} の ${svc.name} に設定を再読み込みさせましたが応答がありません。担当者の確認が必要です。`),
      r.result.code !== 0 ? `${r.argv.join(' ')}: ${resultLine(r.result)}; ${check.text}` : check.text,
      said(`${svc.name} does not answer after the reload.`, `再読み込み後、${svc.name} が応答しません。`),
    );
  },
});
