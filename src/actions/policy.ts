/**
 * The guard policy every action passes through (the field runbook's "never make things worse"):
 * a mode per action (`dry-run`: say what would be done; `ask`: wait for a person's approval,
 * which the API or CLI gives later, with a timeout; `auto`), a rate limit per target and service
 * (a service that keeps dying is handed to a person after N runs in M minutes, not restarted
 * forever), and a record of every decision for the incident timeline. Defaults: actions that
 * start or reload what is configured run `auto`, config changes `ask`.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { said } from '../core/said.ts';
import { duration } from '../core/schema.ts';
import type { ApprovalPlan, Store } from '../store/types.ts';
import { actions, type ActionType } from './index.ts';
import { targetOf, type ActionContext, type ActionDefinition, type ActionOutcome, type ActionRisk, type Described } from './types.ts';

export const actionModes = ['dry-run', 'ask', 'auto'] as const;
export type ActionMode = (typeof actionModes)[number];

/** The mode of an action nobody configured: by what it risks. */
export const defaultModes: Record<ActionRisk, ActionMode> = { service: 'auto', config: 'ask' };

const actionTypes = Object.keys(actions) as [ActionType, ...ActionType[]];

export const policySchema = z
  .strictObject({
    mode: z.enum(actionModes).optional().meta({ description: 'one mode for every action (e.g. dry-run while trying mamoru out); overrides modes' }),
    modes: z.partialRecord(z.enum(actionTypes), z.enum(actionModes)).default({}).meta({ description: 'mode per action type (default: auto for starting and reloading services, ask for config changes)' }),
    rate_limit: z
      .strictObject({
        max_runs: z.number().int().min(1).default(3).meta({ description: 'runs of one kind on one service allowed within the window' }),
        window: duration('the window the runs are counted in').prefault('10m'),
      })
      .prefault({}),
    ask_timeout: duration('how long an approval is waited for before the action is dropped').prefault('15m'),
  })
  .prefault({});

export type PolicyConfig = z.output<typeof policySchema>;

/** Runs per key within a sliding window, on the injected clock. */
export class RateLimiter {
  private readonly runs = new Map<string, number[]>();
  constructor(
    private readonly clock: Clock,
    readonly maxRuns: number,
    readonly windowMs: number,
  ) {}
  /** Runs of `key` within the window, oldest first. */
  recent(key: string): number[] {
    const since = this.clock.now() - this.windowMs;
    const list = (this.runs.get(key) ?? []).filter((t) => t > since);
    this.runs.set(key, list);
    return list;
  }
  allowed(key: string): boolean {
    return this.recent(key).length < this.maxRuns;
  }
  note(key: string): void {
    this.recent(key).push(this.clock.now());
  }
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

export interface Approval {
  id: string;
  action: string;
  target: string;
  service: string;
  /** What would be done, in one line (the action's own description). */
  text: string;
  /** Exactly what it will run and change, as data (absent on questions stored before it was kept). */
  plan?: ApprovalPlan | undefined;
  requestedAt: number;
  expiresAt: number;
  status: ApprovalStatus;
  /** Who decided (from the API or CLI), when someone did. */
  by?: string | undefined;
  decidedAt?: number | undefined;
}

/** Where approvals are kept across a restart (the store). */
export type ApprovalStore = Pick<Store, 'saveApproval' | 'approvals'>;

interface Entry {
  approval: Approval;
  /** The action waiting for the answer; none for a question read back after a restart until it is asked again. */
  resolve?: ((s: ApprovalStatus) => void) | undefined;
  timer?: TimerHandle | undefined;
  /** Read back after a restart and not yet asked again by a runbook. */
  restored?: boolean | undefined;
}

/**
 * Approvals waiting for a person. `approve(id)` and `deny(id)` are what the API and the CLI call.
 * With a store every question and every answer is written, so a restart does not forget them:
 * `load()` reads the open questions back (listed, answerable, expiring as before), and the
 * runbook that asks the same action on the same service again (re-run for the incident still
 * open) gets the same question, its id and deadline, or the answer given meanwhile.
 */
export class Approvals {
  private readonly all = new Map<string, Entry>();
  private writes: Promise<void> = Promise.resolve();
  constructor(
    private readonly clock: Clock,
    private readonly store?: ApprovalStore | undefined,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Registers a question; the promise settles on approve, deny or the timeout. */
  request(info: Pick<Approval, 'action' | 'target' | 'service' | 'text' | 'plan'>, timeoutMs: number): { approval: Approval; decision: Promise<ApprovalStatus> } {
    const again = [...this.all.values()].find((e) => e.restored && e.approval.status !== 'expired' && e.approval.action === info.action && e.approval.target === info.target && e.approval.service === info.service);
    if (again) {
      // The question asked before the restart: same id and deadline, or the answer it got since.
      again.restored = false;
      const approval = again.approval;
      approval.text = info.text;
      if (info.plan) approval.plan = info.plan;
      if (approval.status !== 'pending') return { approval, decision: Promise.resolve(approval.status) };
      const decision = new Promise<ApprovalStatus>((resolve) => (again.resolve = resolve));
      return { approval, decision };
    }
    const now = this.clock.now();
    const { plan, ...rest } = info;
    const approval: Approval = { id: randomBytes(6).toString('hex'), ...rest, ...(plan ? { plan } : {}), requestedAt: now, expiresAt: now + timeoutMs, status: 'pending' };
    const decision = new Promise<ApprovalStatus>((resolve) => {
      const timer = this.clock.setTimeout(() => this.decide(approval.id, 'expired'), timeoutMs);
      this.all.set(approval.id, { approval, resolve, timer });
    });
    this.save(approval);
    return { approval, decision };
  }

  /**
   * After a restart: the questions still open are read back (listed and answerable, and they
   * expire when they would have); those past their deadline are stored as expired.
   */
  async load(): Promise<Approval[]> {
    if (!this.store) return [];
    const now = this.clock.now();
    const out: Approval[] = [];
    for (const a of await this.store.approvals({ status: 'pending' })) {
      if (this.all.has(a.id)) continue;
      const approval: Approval = { ...a };
      if (a.expiresAt <= now) {
        this.save({ ...approval, status: 'expired', decidedAt: now });
        continue;
      }
      const timer = this.clock.setTimeout(() => this.decide(approval.id, 'expired'), a.expiresAt - now);
      this.all.set(a.id, { approval, timer, restored: true });
      out.push(approval);
    }
    return out;
  }

  /** Resolves once every question and answer so far is written. */
  saved(): Promise<void> {
    return this.writes;
  }

  private save(a: Approval): void {
    const store = this.store;
    if (!store) return;
    const copy = { ...a };
    this.writes = this.writes.then(() => store.saveApproval(copy)).catch(this.onError);
  }

  approve(id: string, by?: string): boolean {
    return this.decide(id, 'approved', by);
  }

  deny(id: string, by?: string): boolean {
    return this.decide(id, 'denied', by);
  }

  /** Pending approvals, oldest first. */
  pending(): Approval[] {
    return [...this.all.values()].map((e) => e.approval).filter((a) => a.status === 'pending');
  }

  get(id: string): Approval | undefined {
    return this.all.get(id)?.approval;
  }

  /** False when the id is unknown or already decided. */
  private decide(id: string, status: Exclude<ApprovalStatus, 'pending'>, by?: string): boolean {
    const e = this.all.get(id);
    if (!e || e.approval.status !== 'pending') return false;
    if (e.timer) this.clock.clearTimeout(e.timer);
    e.approval.status = status;
    e.approval.by = by;
    e.approval.decidedAt = this.clock.now();
    e.resolve?.(status);
    this.save(e.approval);
    // Decided approvals stay readable for a while (the API shows who decided); bounded.
    if (this.all.size > 1000) for (const [k, v] of this.all) if (v.approval.status !== 'pending' && !v.restored && this.all.size > 1000) this.all.delete(k);
    return true;
  }
}

/** The policy, its counters and its approvals: one per daemon. */
export interface Guard {
  policy: PolicyConfig;
  limiter: RateLimiter;
  approvals: Approvals;
  clock: Clock;
  /** Throws when this process may no longer act (a brain that lost the lead, daemon/leader.ts); checked right before an action runs. */
  fence?: (() => Promise<void>) | undefined;
}

/** With `store`, approvals are kept across a restart (Approvals.load). */
export function createGuard(policy: PolicyConfig, clock: Clock, store?: ApprovalStore, onError?: (err: unknown) => void): Guard {
  return { policy, clock, limiter: new RateLimiter(clock, policy.rate_limit.max_runs, policy.rate_limit.window), approvals: new Approvals(clock, store, onError) };
}

export interface GuardedRun {
  mode: ActionMode;
  /** What happened now: the outcome, or `pending` while a person is asked. */
  outcome: ActionOutcome;
  /** The approval waited for (`ask`). */
  approval?: Approval | undefined;
  /** The final outcome: the same as `outcome`, or what came of the approval. */
  settled: Promise<ActionOutcome>;
}

export function modeOf(policy: PolicyConfig, def: Pick<ActionDefinition, 'type' | 'risk'>): ActionMode {
  return policy.mode ?? policy.modes[def.type as ActionType] ?? defaultModes[def.risk];
}

const minutes = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}` : `${Math.round(ms / 1000)} seconds`);
const jaMinutes = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} 分` : `${Math.round(ms / 1000)} 秒`);
/** `start-service` as people read it in Japanese: the name stays, quoted. */
const jaType = (t: string) => `「${t}」`;

/**
 * Runs an action under the policy. Never throws: a bad parameter, an executor that cannot reach
 * the server or an action's own error become a `failed` outcome with the reason.
 */
export async function runGuarded(guard: Guard, def: ActionDefinition<any>, ctx: ActionContext, rawParams: unknown = {}, opts: { mode?: ActionMode } = {}): Promise<GuardedRun> {
  const mode = opts.mode ?? modeOf(guard.policy, def);
  const now = (outcome: ActionOutcome): GuardedRun => ({ mode, outcome, settled: Promise.resolve(outcome) });
  const parsed = def.schema.safeParse(rawParams ?? {});
  if (!parsed.success) {
    const why = parsed.error.issues.map((i: { path: PropertyKey[]; message: string }) => `${i.path.map(String).join('.') || '(params)'}: ${i.message}`).join('; ');
    return now({
      status: 'failed',
      text: `${def.type}: bad parameters`,
      say: said(`Did not run ${def.type}: its parameters in the configuration are wrong.`, `${jaType(def.type)}は設定のパラメーターに誤りがあるため実行しませんでした。`),
      why,
      records: [{ kind: 'action', text: `${def.type} not run: bad parameters: ${why}`, data: { type: def.type, status: 'step' } }],
    });
  }
  const params = parsed.data;
  const key = `${targetOf(ctx)}/${ctx.service.name}/${def.rateGroup ?? def.type}`;
  const limited = async (): Promise<ActionOutcome | undefined> => {
    if (guard.limiter.allowed(key)) return undefined;
    // Nothing to do (a start of a running service) is no run at all: say so rather than refuse.
    const look = await def.run({ ...ctx, dryRun: true }, params).catch(() => undefined);
    if (look?.status === 'no-op') return look;
    const n = guard.limiter.recent(key).length;
    const done = def.rateWords ?? `had ${def.type} run`;
    const text = `${ctx.service.name} on ${targetOf(ctx)} ${done} ${n} times in ${minutes(guard.limiter.windowMs)}, not again`;
    const jaSaid = `${targetOf(ctx)} の ${ctx.service.name} は ${jaMinutes(guard.limiter.windowMs)}以内に ${n} 回対処済みのため、これ以上は自動で対処しません`;
    return {
      status: 'refused',
      text,
      say: said(`${text}: it keeps failing, so a person must find out why.`, `${jaSaid}。繰り返し停止しているため、担当者が原因を調べる必要があります。`),
      why: `${text}: it keeps failing; a person should find out why`,
      whySay: said(`It keeps failing (${n} times in ${minutes(guard.limiter.windowMs)}); a person should find out why.`, `繰り返し停止しています（${jaMinutes(guard.limiter.windowMs)}以内に ${n} 回）。担当者が原因を調べる必要があります。`),
      records: [{ kind: 'action', text: `${def.type} refused: ${text}`, data: { type: def.type, status: 'step', rateKey: key, runs: guard.limiter.recent(key), maxRuns: guard.limiter.maxRuns, windowMs: guard.limiter.windowMs } }],
    };
  };
  const execute = async (): Promise<ActionOutcome> => {
    const refused = await limited();
    if (refused) return refused;
    if (guard.fence) {
      try {
        await guard.fence();
      } catch (e) {
        const why = (e as Error).message;
        return {
          status: 'refused',
          text: `${def.type} on ${targetOf(ctx)} not run: ${why}`,
          say: said(`Did not run ${def.type} on ${targetOf(ctx)}: another mamoru leads now and decides.`, `${targetOf(ctx)} での${jaType(def.type)}は実行しませんでした。現在は別の mamoru が主系として判断します。`),
          why,
          records: [{ kind: 'action', text: `${def.type} not run: ${why}`, data: { type: def.type, status: 'step' } }],
        };
      }
    }
    let out: ActionOutcome;
    try {
      out = await def.run(ctx, params);
    } catch (e) {
      out = {
        status: 'escalate',
        text: `${def.type} on ${targetOf(ctx)} stopped with an error`,
        say: said(`${def.type} on ${targetOf(ctx)} stopped with an error part way; a person must check what state it left.`, `${targetOf(ctx)} での${jaType(def.type)}は途中でエラーにより止まりました。担当者が状態を確認する必要があります。`),
        why: (e as Error).message,
        records: [{ kind: 'action', text: `${def.type} stopped with an error: ${(e as Error).message}`, data: { type: def.type, status: 'step' } }],
      };
    }
    // What changed nothing does not count toward the limit.
    if (out.status !== 'no-op' && out.status !== 'dry-run' && out.status !== 'refused') guard.limiter.note(key);
    return out;
  };

  if (mode === 'dry-run') {
    try {
      const out = await def.run({ ...ctx, dryRun: true }, params);
      return now(out.status === 'dry-run' || out.status === 'no-op' || out.status === 'failed' || out.status === 'escalate' ? out : { ...out, status: 'dry-run' });
    } catch (e) {
      return now({
        status: 'failed',
        text: `${def.type} (dry run) could not look at ${targetOf(ctx)}`,
        say: said(`Could not look at ${targetOf(ctx)} to say what ${def.type} would do.`, `${targetOf(ctx)} を確認できず、${jaType(def.type)}で何をするかを判断できませんでした。`),
        why: (e as Error).message,
        records: [{ kind: 'action', text: `${def.type} (dry run) failed: ${(e as Error).message}`, data: { type: def.type, status: 'step' } }],
      });
    }
  }
  if (mode === 'auto') return now(await execute());

  const refused = await limited();
  if (refused) return now(refused);
  let described: Described;
  try {
    described = await def.describe(ctx, params);
  } catch (e) {
    return now({
      status: 'failed',
      text: `${def.type} on ${targetOf(ctx)}: could not say what it would do`,
      say: said(`Did not ask for approval of ${def.type} on ${targetOf(ctx)}: what it would change could not be worked out.`, `${targetOf(ctx)} での${jaType(def.type)}は、変更内容を確定できなかったため承認を求めていません。`),
      why: (e as Error).message,
      records: [{ kind: 'action', text: `${def.type} not asked: ${(e as Error).message}`, data: { type: def.type, status: 'step' } }],
    });
  }
  const text = described.text;
  const { approval, decision } = guard.approvals.request({ action: def.type, target: targetOf(ctx), service: ctx.service.name, text, plan: described.plan }, guard.policy.ask_timeout);
  // The instant the question lapses stays a number: the notify room words it in the reader's zone.
  const waiting = said(`Waiting for approval to ${described.say.en}.`, `${described.say.ja}について、承認をお待ちしています。`);
  const pending: ActionOutcome = {
    status: 'pending',
    text: `waiting for approval to ${text}`,
    say: waiting,
    records: [{ kind: 'action', text: `asked for approval (id ${approval.id}, within ${minutes(guard.policy.ask_timeout)}): ${text}`, data: { type: def.type, status: 'pending', say: waiting, approvalId: approval.id, action: def.type, expiresAt: approval.expiresAt } }],
  };
  const settled = decision.then(async (status): Promise<ActionOutcome> => {
    if (status === 'approved') {
      const ok = said(`Approved: ${described.say.en}.`, `${described.say.ja}について承認されました。`);
      const first = { kind: 'action' as const, text: `approved${approval.by ? ` by ${approval.by}` : ''}: ${text}`, data: { type: def.type, status: 'approved', say: ok, approvalId: approval.id, ...(approval.by ? { by: approval.by } : {}) }, at: approval.decidedAt };
      const out = await execute();
      return { ...out, records: [first, ...out.records] };
    }
    const why = status === 'denied' ? `denied${approval.by ? ` by ${approval.by}` : ''}` : `no approval within ${minutes(guard.policy.ask_timeout)}`;
    const whySay = status === 'denied' ? said('it was declined', '承認されませんでした') : said(`no approval came within ${minutes(guard.policy.ask_timeout)}`, `${jaMinutes(guard.policy.ask_timeout)}以内に承認がありませんでした`);
    return {
      status: 'refused',
      text: `did not ${text}: ${why}`,
      say: said(`Did not ${described.say.en}: ${whySay.en}.`, `${described.say.ja}は行っていません（${whySay.ja}）。`),
      why,
      whySay,
      records: [{ kind: 'action', text: `not done (${why}): ${text}`, data: { type: def.type, status: 'step', approvalId: approval.id, decision: status }, at: approval.decidedAt }],
    };
  });
  return { mode, outcome: pending, approval, settled };
}
