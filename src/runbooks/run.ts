/**
 * respond(): what mamoru does with one triaged alert. Run the runbook triage chose, record its
 * evidence and verdict, then hand each proposed action to the guard policy (dry-run, ask, auto,
 * rate limits) and record what came of it, stopping at the first action that did not succeed.
 * Records go to the incident's recorder step by step (the runbook's findings once it has run, each
 * action's records as it ends, an approval's outcome when it comes), each stamped with the time its
 * step happened (not the time it reached the recorder), and come back together with a
 * short summary for the client message: what was found, what was done, what is needed from them.
 */
import { actions, type ActionType } from '../actions/index.ts';
import { modeOf, runGuarded, type Approval, type ActionMode, type Guard } from '../actions/policy.ts';
import type { ActionContext, ActionOutcome, TimelineRecord } from '../actions/types.ts';
import { said, type Said } from '../core/said.ts';
import type { Triage } from '../triage/types.ts';
import { runbooks } from './index.ts';
import { targetName, type ActionRequest, type AttackEvidence, type Evidence, type RunbookContext, type RunbookResult } from './types.ts';

export interface IncidentContext extends RunbookContext {
  guard: Guard;
  /** Wait for `ask` approvals (or their timeout) before returning. @defaultValue false */
  waitForApprovals?: boolean | undefined;
}

export interface ActionResult {
  request: ActionRequest;
  mode: ActionMode;
  /** The outcome when respond() returned (`pending` while an approval is awaited). */
  outcome: ActionOutcome;
  approval?: Approval | undefined;
  /** The final outcome (after the approval, if one was asked); its records also go to the recorder. */
  settled: Promise<ActionOutcome>;
}

export interface ResponseSummary {
  /** The verdict first, then each finding. */
  findings: string[];
  /** The same, for the message, in each language (a finding without words of its own is left out). */
  findingsSay: Said[];
  /** What was done (or would be, or waits for approval), one line each. */
  actions: string[];
  /** The same lines for the message, in each language. */
  actionsSay: Said[];
  /** What only the client can do, or undefined. */
  neededFromClient?: string | undefined;
  /** `neededFromClient` in each language. */
  neededSay?: Said | undefined;
  /** Why a person at the operator's side must look, when mamoru could not finish. */
  escalation?: string | undefined;
  /** `escalation` in each language. */
  escalationSay?: Said | undefined;
}

export interface Response {
  runbook: string | null;
  verdict: string;
  verdictSay: Said;
  evidence: Evidence[];
  proposed: ActionRequest[];
  attack?: AttackEvidence | undefined;
  actions: ActionResult[];
  /** Every timeline record made so far, in order. */
  records: TimelineRecord[];
  summary: ResponseSummary;
}

const SUCCEEDED = new Set(['done', 'no-op', 'dry-run']);

/**
 * The records of one action as they reach the timeline: every one names the action (`data.type`)
 * and its status (`data.status`: `step` for a step on the way, else what the action set: `pending`,
 * `approved`), then one final record with the outcome's status and `say` (none while pending).
 */
function actionRecords(type: string, outcome: ActionOutcome): TimelineRecord[] {
  const steps = outcome.records.map((r) => (r.kind === 'action' ? { ...r, data: { ...r.data, type, status: typeof r.data?.status === 'string' ? r.data.status : 'step' } } : r));
  if (outcome.status === 'pending') return steps;
  const data: Record<string, unknown> = { type, status: outcome.status, say: outcome.say };
  if (outcome.why) data.why = outcome.why;
  if (outcome.whySay) data.whySay = outcome.whySay;
  if (outcome.instead) data.instead = outcome.instead;
  return [...steps, { kind: 'action', text: outcome.text, data }];
}

/** Runs the runbook for a triage result and carries out (or asks for) what it proposes. */
export async function respond(ictx: IncidentContext, triage: Triage): Promise<Response> {
  const records: TimelineRecord[] = [];
  // Each record keeps the time its step happened; one made here happens now.
  const record = async (made: TimelineRecord) => {
    const r = made.at === undefined ? { ...made, at: ictx.clock.now() } : made;
    records.push(r);
    try {
      await ictx.recorder?.record(r);
    } catch (e) {
      ictx.log?.warn({ err: e }, 'could not record a timeline entry');
    }
  };
  const where = targetName(ictx);

  if (!triage.runbook) {
    const verdict = `no runbook for this alert on ${where}: ${triage.reason}`;
    const verdictSay = said(`mamoru has no runbook for this alert on ${where}, so it does not act on it by itself.`, `${where} のこのアラートには対応手順がないため、mamoru は自動では対処しません。`);
    await record({ kind: 'evidence', text: verdict, data: { kind: triage.kind, service: triage.service, say: verdictSay } });
    const escalation = triage.kind === 'ok' ? undefined : triage.reason;
    return {
      runbook: null,
      verdict,
      verdictSay,
      evidence: [],
      proposed: [],
      actions: [],
      records,
      summary: { findings: [verdict], findingsSay: [verdictSay], actions: [], actionsSay: [], escalation, escalationSay: escalation ? said('A person must look at this alert: mamoru has no runbook for it.', 'このアラートには対応手順がないため、担当者の確認が必要です。') : undefined },
    };
  }

  const runbook = runbooks[triage.runbook];
  // The first message may go out while the runbook still looks: it says so. The verdict closes this line.
  await record({ kind: 'action', text: `looking into it: the ${triage.runbook} runbook`, data: { type: 'investigate', status: 'started', say: said(`Looking into the cause on ${where} now.`, `現在、${where} で原因を調査しております。`) } });
  let result: RunbookResult;
  try {
    result = await runbook.run(ictx);
  } catch (e) {
    result = {
      verdict: `the ${triage.runbook} runbook could not finish on ${where}: ${(e as Error).message}`,
      verdictSay: said(`mamoru could not finish looking into ${where} (the ${triage.runbook} runbook stopped with an error): a person should look.`, `${where} の調査（${triage.runbook}）をエラーのため完了できませんでした。担当者の確認が必要です。`),
      evidence: [],
      proposed: [],
    };
  }
  for (const ev of result.evidence) await record({ kind: 'evidence', text: ev.summary, data: { what: ev.what, ...ev.data, ...(ev.say ? { say: ev.say } : {}) }, at: ev.at });
  await record({ kind: 'evidence', text: `verdict: ${result.verdict}`, data: { runbook: triage.runbook, say: result.verdictSay, proposed: result.proposed, ...(result.attack ? { attack: result.attack } : {}) } });
  let neededFromClient = result.neededFromClient;
  let neededSay = result.neededSay;
  const recordNeeded = async (text: string, say: Said | undefined) => record({ kind: 'evidence', text: `needed from the client: ${text}`, data: { needed: text, ...(say ? { neededSay: say } : {}) } });
  // What the client must do goes out with the first message: recorded with the verdict, before any action runs.
  if (neededFromClient) await recordNeeded(neededFromClient, neededSay);

  const actx: ActionContext = { executor: ictx.executor, address: ictx.address, target: ictx.target, service: ictx.service, clock: ictx.clock, log: ictx.log, signal: ictx.signal };
  const done: ActionResult[] = [];
  let escalation: string | undefined;
  let escalationSay: Said | undefined;
  const queue = [...result.proposed];
  for (let i = 0; i < queue.length; i++) {
    const request = queue[i]!;
    const def = actions[request.type];
    const mode = modeOf(ictx.guard.policy, def);
    // Said before it starts, so a message sent meanwhile tells what is being done (ask: the policy's own record says what waits).
    if (mode === 'auto') await record({ kind: 'action', text: `started: ${request.type} (${request.why})`, data: { type: request.type, status: 'started', say: (def.doing as (c: ActionContext, p: unknown) => Said)(actx, request.params ?? {}), why: request.why, params: request.params } });
    const run = await runGuarded(ictx.guard, def, actx, request.params ?? {});
    for (const r of actionRecords(request.type, run.outcome)) await record(r);
    const settled = run.outcome.status === 'pending'
      ? run.settled.then(async (final) => {
          for (const r of actionRecords(request.type, final)) await record(r);
          if (final.needed) await recordNeeded(final.needed.text, final.needed.say);
          return final;
        })
      : run.settled;
    const entry: ActionResult = { request, mode: run.mode, outcome: run.outcome, approval: run.approval, settled };
    if (run.outcome.status === 'pending' && ictx.waitForApprovals) entry.outcome = await settled;
    done.push(entry);
    const out = entry.outcome;
    if (out.needed && run.outcome.status !== 'pending') {
      neededFromClient = out.needed.text;
      neededSay = out.needed.say;
      await recordNeeded(out.needed.text, out.needed.say);
    }
    if (SUCCEEDED.has(out.status)) continue;
    // Declined for a reason another action gets past (ServerLimit: the raise with a restart): that one, not a person.
    const next = out.instead && (out.instead.type as ActionType) in actions && !queue.some((q) => q.type === out.instead!.type) ? out.instead : undefined;
    if (next && out.status !== 'pending') {
      queue.push({ type: next.type as ActionType, why: next.why });
      continue;
    }
    if (out.status !== 'pending') {
      escalation = out.why ?? out.text;
      escalationSay = out.whySay ?? out.say;
    }
    break;
  }

  return {
    runbook: triage.runbook,
    verdict: result.verdict,
    verdictSay: result.verdictSay,
    evidence: result.evidence,
    proposed: result.proposed,
    attack: result.attack,
    actions: done,
    records,
    summary: {
      findings: [result.verdict, ...result.evidence.map((e) => e.summary)],
      findingsSay: [result.verdictSay, ...result.evidence.flatMap((e) => (e.say ? [e.say] : []))],
      actions: done.map((a) => a.outcome.text),
      actionsSay: done.map((a) => a.outcome.say),
      neededFromClient,
      neededSay,
      escalation,
      escalationSay,
    },
  };
}
