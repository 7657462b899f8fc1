/**
 * What both worker-limit raises say, in each language, where the same thing happens to both: the
 * config test run before anything is touched (a config already broken is the urgent news: Apache
 * will not start at its next restart), a refusal with its reason, and a rollback with how it
 * ended. Kept apart from the doing so the two actions cannot drift in what they tell people.
 */
import { said, type Said } from '../core/said.ts';
import { runFirst } from './service-commands.ts';
import type { ServiceConfig } from './service-config.ts';
import { firstLine, resultLine, type ActionOutcome, type Steps } from './types.ts';
import type { Executor } from '../executors/types.ts';

/** `MaxRequestWorkers` with what it means, for the Japanese reader. */
export const jaLimit = (directive: string) => `${directive}（同時処理数の上限）`;

/**
 * Runs the config test before anything is changed. Undefined when it passes; else the escalation
 * that says the file was broken already, that nothing was changed, and that Apache will not
 * start at its next restart until a person fixes it (the test's own first error line quoted).
 */
export async function testBefore(ex: Executor, tests: string[][], svc: ServiceConfig, where: string, directive: string, steps: Steps, signal?: AbortSignal): Promise<ActionOutcome | undefined> {
  const t = (await runFirst(ex, tests, svc.command_timeout, signal))!;
  steps.evidence(`config test before any change ${t.argv.join(' ')}: ${resultLine(t.result)}`, { argv: t.argv, exitCode: t.result.code, before: true, output: (t.result.stdout + t.result.stderr).slice(-4000) });
  if (t.result.code === 0) return undefined;
  const first = firstLine(t.result) || resultLine(t.result);
  const say = said(
    `Did not raise ${directive} on ${where}: Apache's configuration was already broken before mamoru touched it (the config test says "${first}"). Nothing was changed. The running Apache goes on serving, but it will not start at its next restart until a person fixes the configuration.`,
    `${where} の ${jaLimit(directive)}は引き上げていません。Apache の設定は mamoru が触れる前からすでに壊れていました（設定テストの結果:「${first}」）。何も変更していません。現在の Apache は動き続けていますが、担当者が設定を修正するまで、次回の再起動で起動しません。`,
  );
  const out = steps.outcome(
    'escalate',
    `did not raise the worker limit on ${where}: the config was already broken before mamoru touched it; nothing was changed`,
    say,
    `the config test failed before any change (${resultLine(t.result)}): the config was already broken before mamoru touched it; nothing was changed, and Apache will not start at its next restart until a person fixes it: "${first}"`,
    said(`Apache's configuration is already broken ("${first}"): a person must fix it, or Apache will not start at its next restart.`, `Apache の設定がすでに壊れています（「${first}」）。担当者が修正しないと、次回の再起動で Apache が起動しません。`),
  );
  return { ...out, needed: brokenNeeded(where, first) };
}

/** The needed-from-client line for a config found broken: whoever edits it fixes it. */
export function brokenNeeded(where: string, first: string): { text: string; say: Said } {
  return {
    text: `Apache's configuration on ${where} is broken (the config test says "${first}"): please have whoever changed it last fix it now; until then Apache will not start at its next restart.`,
    say: said(
      `Apache's configuration on ${where} is broken (the config test says "${first}"): please have whoever changed it last fix it now; until then Apache will not start at its next restart.`,
      `${where} の Apache の設定に誤りがあります（設定テストの結果:「${first}」）。最後に設定を変更された方に、至急修正をお願いします。修正されるまで、次回の再起動で Apache が起動しません。`,
    ),
  };
}

/** Why a raise is not made, in each language. */
export interface Refusal {
  refuse: string;
  say: Said;
  /** The action that gets past it (ServerLimit: the raise with a full restart). */
  instead?: { type: string; why: string } | undefined;
}

/**
 * The outcome of a refusal: nothing was changed, and why. `failed` when another action gets past
 * it (respond() asks for that one: no person is needed for this), else `escalate`.
 */
export function refused(steps: Steps, where: string, directive: string, r: Refusal): ActionOutcome {
  const out = steps.outcome(
    r.instead ? 'failed' : 'escalate',
    `did not raise the worker limit on ${where}`,
    said(`Did not raise ${directive} on ${where}; nothing was changed: ${r.say.en}`, `${where} の ${jaLimit(directive)}は引き上げていません（変更はしていません）。${r.say.ja}`),
    r.refuse,
    r.say,
  );
  return r.instead ? { ...out, instead: r.instead } : out;
}

/** How a rollback ended, for the message: the reason the change was undone, then where things stand. */
export type RollbackEnd = 'not-changed' | 'restore-failed' | 'as-it-was' | 'restored-untested' | 'answers-old' | 'not-answering';

export function rollbackSay(end: RollbackEnd, where: string, directive: string, reason: Said, opts: { backup?: string | undefined; applied: 'reloaded' | 'restarted' }): Said {
  const en = `Tried to raise ${directive} on ${where}, but ${reason.en}`;
  const ja = `${where} の ${jaLimit(directive)}の引き上げを試みましたが、${reason.ja}`;
  const applyEn = opts.applied === 'reloaded' ? 'reloaded' : 'restarted';
  const applyJa = opts.applied === 'reloaded' ? '再読み込み' : '再起動';
  switch (end) {
    case 'not-changed':
      return said(`${en}. Nothing was changed.`, `${ja}。何も変更していません。`);
    case 'restore-failed':
      return said(
        `${en}, and the backup could not be put back: a person must restore ${opts.backup ?? 'the backup'} now.`,
        `${ja}。さらにバックアップを戻せませんでした。担当者が至急「${opts.backup ?? 'バックアップ'}」を戻す必要があります。`,
      );
    case 'as-it-was':
      return said(`${en}, so the change was rolled back: the configuration is as it was and Apache was not ${applyEn}.`, `${ja}、変更は元に戻しました。設定は変更前のままで、Apache の${applyJa}はしていません。`);
    case 'restored-untested':
      return said(
        `${en}; the change was rolled back, but the restored configuration does not pass the config test, so Apache was not ${applyEn} onto it: a person must look.`,
        `${ja}、変更は元に戻しました。ただし戻した設定も設定テストに通らないため、Apache の${applyJa}はしていません。担当者の確認が必要です。`,
      );
    case 'answers-old':
      return said(`${en}, so the change was rolled back; Apache answers on the old configuration.`, `${ja}、変更は元に戻しました。Apache は変更前の設定で応答しています。`);
    case 'not-answering':
      return said(`${en}, so the change was rolled back, but Apache is not answering: a person must look now.`, `${ja}、変更は元に戻しましたが、Apache が応答していません。担当者の至急の確認が必要です。`);
  }
}
