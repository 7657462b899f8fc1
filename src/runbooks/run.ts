/**
 * respond(): what mamoru does with one triaged alert. Run the runbook triage chose, record its
 * evidence and verdict, then hand each proposed action to the guard policy (dry-run, ask, auto,
 * rate limits) and record what came of it, stopping at the first action that did not succeed.
 * Records go to the incident's recorder step by step (the runbook's findings once it has run, each
 * action's records as it ends, an approval's outcome when it comes), each stamped with the time its
 * step happened (not the time it reached the recorder), and come back together with a
 * short summary for the client message: what was found, what was done, what is needed from them.
 */
import { actions } from '../actions/index.ts';
import { runGuarded, type Approval, type ActionMode, type Guard } from '../actions/policy.ts';
import type { ActionContext, ActionOutcome, TimelineRecord } from '../actions/types.ts';
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
  /** What was done (or would be, or waits for approval), one line each. */
  actions: string[];
  /** What only the client can do, or undefined. */
  neededFromClient?: string | undefined;
  /** Why a person at the operator's side must look, when mamoru could not finish. */
  escalation?: string | undefined;
}

export interface Response {
  runbook: string | null;
  verdict: string;
  evidence: Evidence[];
  proposed: ActionRequest[];
  attack?: AttackEvidence | undefined;
  actions: ActionResult[];
  /** Every timeline record made so far, in order. */
  records: TimelineRecord[];
  summary: ResponseSummary;
}

const SUCCEEDED = new Set(['done', 'no-op', 'dry-run']);

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
    await record({ kind: 'evidence', text: verdict, data: { kind: triage.kind, service: triage.service } });
    return { runbook: null, verdict, evidence: [], proposed: [], actions: [], records, summary: { findings: [verdict], actions: [], escalation: triage.kind === 'ok' ? undefined : triage.reason } };
  }

  const runbook = runbooks[triage.runbook];
  let result: RunbookResult;
  try {
    result = await runbook.run(ictx);
  } catch (e) {
    result = { verdict: `the ${triage.runbook} runbook could not finish on ${where}: ${(e as Error).message}`, evidence: [], proposed: [] };
  }
  for (const ev of result.evidence) await record({ kind: 'evidence', text: ev.summary, data: { what: ev.what, ...ev.data }, at: ev.at });
  await record({ kind: 'evidence', text: `verdict: ${result.verdict}`, data: { runbook: triage.runbook, proposed: result.proposed, ...(result.attack ? { attack: result.attack } : {}) } });

  const actx: ActionContext = { executor: ictx.executor, address: ictx.address, target: ictx.target, service: ictx.service, clock: ictx.clock, log: ictx.log, signal: ictx.signal };
  const done: ActionResult[] = [];
  let escalation: string | undefined;
  for (const request of result.proposed) {
    const def = actions[request.type];
    await record({ kind: 'action', text: `proposed: ${request.type} (${request.why})`, data: { type: request.type, params: request.params } });
    const run = await runGuarded(ictx.guard, def, actx, request.params ?? {});
    for (const r of run.outcome.records) await record(r);
    const settled = run.outcome.status === 'pending'
      ? run.settled.then(async (final) => {
          for (const r of final.records) await record(r);
          return final;
        })
      : run.settled;
    const entry: ActionResult = { request, mode: run.mode, outcome: run.outcome, approval: run.approval, settled };
    if (run.outcome.status === 'pending' && ictx.waitForApprovals) entry.outcome = await settled;
    done.push(entry);
    if (!SUCCEEDED.has(entry.outcome.status)) {
      if (entry.outcome.status !== 'pending') escalation = entry.outcome.why ?? entry.outcome.text;
      break;
    }
  }

  return {
    runbook: triage.runbook,
    verdict: result.verdict,
    evidence: result.evidence,
    proposed: result.proposed,
    attack: result.attack,
    actions: done,
    records,
    summary: {
      findings: [result.verdict, ...result.evidence.map((e) => e.summary)],
      actions: done.map((a) => a.outcome.text),
      neededFromClient: result.neededFromClient,
      escalation,
    },
  };
}
