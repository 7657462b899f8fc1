/**
 * The daemon's alerting half (daemon.ts holds the rest; together they are the wiring layer, the
 * only code that knows every room): results go into the state engine, its events into incidents,
 * the incidents' news to the dispatcher; the engine's requests (re-run a check, wake me at) are
 * carried out here. Policies come from the config and are rebuilt on reload.
 */
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from './core/clock.ts';
import type { CheckResult } from './core/result.ts';
import { agentCause } from './notify/templates/cause.ts';
import { NagiosState, stateByName } from './core/nagios.ts';
import type { SecretLookup } from './core/secrets.ts';
import type { PlannedCheck } from './config/checks.ts';
import type { Config } from './config/schema.ts';
import { IncidentManager, type IncidentNews } from './incidents/manager.ts';
import { Dispatcher } from './notify/dispatch.ts';
import type { CheckState } from './state/check-state.ts';
import { StateEngine, type EngineEvent, type Subject } from './state/engine.ts';
import type { ExternalAlert } from './incidents/ingest.ts';
import type { Store } from './store/types.ts';
import { createGuard as createActionGuard, type Guard as ActionGuard } from './actions/policy.ts';
import { executors, type Executor } from './executors/index.ts';
import { respond } from './runbooks/run.ts';
import { classify } from './triage/index.ts';
import { effectivePort } from './config/check-port.ts';
import { serviceForProblem, unremediated, type ProblemRef, type TargetServiceConfig } from './config/remediation.ts';
import type { ProblemEvent } from './state/engine.ts';

/** This machine's addresses: connections from them are mamoru's own checks, not clients. */
function ownAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

export interface AlertingDeps {
  store: Store;
  log: Logger;
  clock: Clock;
  secret: SecretLookup;
  /** Runs a check now (a re-check the engine asked for). */
  runNow(checkId: string): void;
  /** Throws when this brain no longer leads (cluster fencing, daemon/leader.ts): checked before every message and action. */
  fence?: () => Promise<void>;
}

import { engineChecks } from './daemon-engine-checks.ts';
import { incidentDetails, withLimits } from './daemon-details.ts';
export { downtimeOf, engineChecks, hostCheckName } from './daemon-engine-checks.ts';

/** How long a fix that worked has to show in its check (run again at once) before its update is sent anyway. */
const FIX_SHOWS_MS = 3_000;


export class Alerting {
  readonly engine = new StateEngine();
  readonly incidents: IncidentManager;
  private dispatcher: Dispatcher;
  private cfg: Config;
  private wakes = new Map<string, ReturnType<Clock['setTimeout']>>();
  private planned = new Map<string, PlannedCheck>();
  /** One executor per target (an SSH connection is reused), made when first needed. */
  private executors = new Map<string, { key: string; executor: Executor }>();
  private actionGuard: ActionGuard;
  private remediating = new Set<Promise<unknown>>();
  private stopped = false;
  /** `incident check` pairs already told why nothing is done (noteUnremediated). */
  private unremediatedNoted = new Set<string>();
  /** `incident check` pairs a runbook has been started for (a reload starts the others'). */
  private remediated = new Set<string>();
  /** Updates waiting to see whether a fix shows (cleared on stop). */
  private laters = new Set<ReturnType<Clock['setTimeout']>>();
  /** An ingested alert's check command and labels by subject: remediate() triages with them as ingest() did. */
  private ingestedContext = new Map<string, Pick<ExternalAlert, 'command' | 'labels'>>();

  constructor(
    cfg: Config,
    private readonly deps: AlertingDeps,
  ) {
    this.cfg = cfg;
    this.incidents = new IncidentManager({
      store: deps.store,
      coolDownMs: cfg.notifications.cool_down,
      log: deps.log.child({ room: 'incidents' }),
      // A ban on the port of a failing check explains it; which attacks are told follows the config (reloads too).
      checkPort: (id) => {
        const c = this.planned.get(id);
        return c ? effectivePort(c) : undefined;
      },
      attacks: () => this.cfg.notifications.attacks,
      cause: agentCause,
    });
    this.dispatcher = this.makeDispatcher(cfg);
    // Approvals are kept in the store: a restart does not forget a question to a person.
    this.actionGuard = createActionGuard(cfg.remediation.policy, deps.clock, deps.store, (err) => deps.log.error({ err }, 'could not keep an approval in the store'));
    this.actionGuard.fence = deps.fence;
  }

  private makeDispatcher(cfg: Config): Dispatcher {
    const n = cfg.notifications;
    return new Dispatcher({
      contacts: cfg.contacts,
      templates: cfg.templates,
      settleMs: n.settle,
      holdMs: cfg.remediation.wait,
      delivery: { attempts: n.delivery.attempts, baseDelayMs: n.delivery.base_delay, maxDelayMs: n.delivery.max_delay, maxTotalMs: n.delivery.max_total },
      secret: this.deps.secret,
      log: this.deps.log.child({ room: 'notify' }),
      clock: this.deps.clock,
      target: (name) => this.cfg.targets.find((t) => t.name === name),
      record: (id, kind, text, data) => this.incidents.record(id, kind, text, data, this.deps.clock.now()),
      details: (id) => incidentDetails(this.deps.store, this.actionGuard.approvals, this.deps.clock, id),
      // Every message goes through the durable outbox (notify/outbox.ts).
      outbox: this.deps.store,
      fence: this.deps.fence,
    });
  }

  /** Installs the checks of a config (at start and on reload); known states are kept. */
  configure(cfg: Config, planned: readonly PlannedCheck[]): void {
    const old = this.dispatcher;
    // A new policy keeps the approvals people may be answering right now.
    if (this.cfg.remediation.policy !== cfg.remediation.policy) this.actionGuard = { ...createActionGuard(cfg.remediation.policy, this.deps.clock), approvals: this.actionGuard.approvals, fence: this.deps.fence };
    this.cfg = cfg;
    this.planned = new Map(planned.map((c) => [c.id, c]));
    this.engine.configure(engineChecks(cfg, planned), Object.fromEntries(cfg.targets.map((t) => [t.name, t.parents])), this.deps.clock.now());
    if (old) {
      this.dispatcher = this.makeDispatcher(cfg);
      // Messages already gathered still go out, through the channels they were meant for.
      void old.drain();
      this.remediateOpen();
    }
  }

  /**
   * After a reload: an open problem that no runbook has looked at (its target had no executor, or
   * no service for it, until now) gets its runbook, as a new problem would.
   */
  private remediateOpen(targets?: ReadonlySet<string>): void {
    for (const inc of this.incidents.openIncidents()) {
      if (targets && !targets.has(inc.target)) continue;
      for (const m of inc.members) {
        if (m.kind !== 'service' || m.recoveredAt !== undefined || this.remediated.has(`${inc.id} ${m.key}`)) continue;
        const check = this.planned.get(m.key);
        if (!check || check.target.name !== inc.target) continue;
        this.remediate({ type: 'problem', target: inc.target, subject: { kind: 'service', checkId: m.key, name: check.name, probe: check.type }, state: m.state, text: m.text, level: 0 }, this.dispatcher);
      }
    }
  }

  /** After a restart: what the store says about checks and what people were told (open incidents). */
  async restore(states: ReadonlyMap<string, CheckState>): Promise<void> {
    await this.incidents.load(this.deps.clock.now());
    this.engine.restore(states, this.incidents.told(), await this.incidents.acknowledgements());
    // Messages owed from before the restart (a kill during settle or a send) go out now.
    await this.dispatcher.resume();
    // Questions to a person from before the restart are listed again; the runbook of each
    // still-open incident runs again and asks them with the same id (or gets the answer given meanwhile).
    const asked = await this.actionGuard.approvals.load().catch((err) => (this.deps.log.error({ err }, 'could not read the stored approvals'), []));
    if (asked.length) this.remediateOpen(new Set(asked.map((a) => a.target)));
  }

  /** The checks whose problem a person has acknowledged, restored after a restart too. */
  acknowledgedChecks(): string[] {
    return this.engine.acknowledgedChecks();
  }

  onResult(checkId: string, result: CheckResult): void {
    if (this.stopped) return;
    this.apply(this.engine.onResult(checkId, withLimits(this.planned.get(checkId)?.type, result), this.deps.clock.now()));
  }

  /**
   * A person takes an open incident: its failing services are acknowledged (no reminders or
   * escalations until they recover), and the timeline says who and why.
   */
  acknowledge(incidentId: number, by: string, comment: string): { ok: true } | { ok: false; status: 404 | 409; error: string } {
    const inc = this.incidents.openIncidents().find((i) => i.id === incidentId);
    if (!inc) {
      const known = this.incidents.current(this.incidents.targetOf(incidentId) ?? '');
      return known ? { ok: false, status: 409, error: `incident #${incidentId} is not open` } : { ok: false, status: 404, error: `no open incident #${incidentId}` };
    }
    const events = this.engine.acknowledge(inc.target, by, comment, this.deps.clock.now());
    // A host outage has no service to acknowledge: the timeline still records who took it.
    if (!events.some((e) => e.type === 'acknowledged')) void this.incidents.record(inc.id, 'acknowledged', `acknowledged by ${by}: ${comment}`, { by, comment }, this.deps.clock.now());
    this.apply(events);
    return { ok: true };
  }

  private apply(events: EngineEvent[]): void {
    if (events.length === 0) return;
    const rest: EngineEvent[] = [];
    for (const e of events) {
      if (e.type === 'recheck') for (const id of e.checkIds) this.deps.runNow(id);
      else if (e.type === 'wake') this.wake(e.checkId, e.at);
      else rest.push(e);
    }
    if (rest.length === 0) return;
    // A check that recovers may be what its target's other problems hung on (the SNMP agent, the
    // database behind the site): those are looked at again at once, not at their next interval.
    for (const e of rest) {
      if (e.type !== 'recovery' || e.subject.kind !== 'service') continue;
      const inc = this.incidents.current(e.target);
      const recovered = e.subject.checkId;
      for (const m of inc?.status === 'open' ? inc.members : []) if (m.kind === 'service' && m.recoveredAt === undefined && m.key !== recovered && this.planned.has(m.key)) this.deps.runNow(m.key);
    }
    const dispatcher = this.dispatcher;
    void this.incidents.handle(rest, this.deps.clock.now()).then((news) => {
      for (const e of rest) if (e.type === 'problem') this.remediate(e, dispatcher);
      for (const n of news) dispatcher.enqueue(n);
    });
  }

  /** Actions waiting for a person's approval (the API and `mamoru approve` answer them). */
  get approvals(): ActionGuard['approvals'] {
    return this.actionGuard.approvals;
  }

  /**
   * An update to an incident's contacts about what mamoru did after its first message: the
   * records written since `since` (verdicts, each action's outcome, what is needed), worded by
   * compose in each contact's language with their tense. An incident that recovered meanwhile
   * (an approved start brings the service back before the start has verified its work) is still
   * told how the action ended: its recovery went out while the action was under way.
   */
  private tellLater(incidentId: number, since: number): void {
    const target = this.incidents.targetOf(incidentId);
    const inc = this.incidents.openIncidents().find((i) => i.id === incidentId) ?? (target === undefined ? undefined : this.incidents.current(target));
    if (!inc || inc.id !== incidentId || this.stopped) return;
    const dispatcher = this.dispatcher;
    void incidentDetails(this.deps.store, this.actionGuard.approvals, this.deps.clock, incidentId)
      .then(({ records }) => {
        const changes = records.filter((r) => (r.at ?? 0) >= since);
        if (changes.length && !this.stopped) dispatcher.enqueue({ incident: inc, event: 'update', changes, level: 0 });
      })
      .catch((err) => this.deps.log.error({ err, incident: incidentId }, 'could not read the timeline for an update'));
  }

  /** News from another room (a ban in an open incident) for the contacts. */
  tell(news: IncidentNews): void {
    if (!this.stopped) this.dispatcher.enqueue(news);
  }

  /**
   * An alert from Nagios, Icinga or Alertmanager: triaged like the text of any plugin, it opens,
   * updates or resolves the incident of its host as mamoru's own checks do (those systems only
   * notify confirmed states), and starts the same runbooks where mamoru can reach the host.
   */
  async ingest(alert: ExternalAlert): Promise<{ incident?: number; triage: ReturnType<typeof classify> }> {
    const triage = classify({ text: alert.text, service: alert.service, command: alert.command, labels: alert.labels, state: alert.state as never });
    const type = (alert.type ?? '').toUpperCase();
    if (this.stopped || /ACKNOWLEDGEMENT|FLAPPING|DOWNTIME|CUSTOM/.test(type)) return { triage };
    const target = this.cfg.targets.find((t) => t.name === alert.host || t.address === alert.host)?.name ?? alert.host;
    const subject: Subject = alert.service ? { kind: 'service', checkId: `${alert.source}:${target}/${alert.service}`, name: alert.service, probe: triage.service ?? 'nagios-plugin' } : { kind: 'host' };
    if (subject.kind === 'service') {
      if (this.ingestedContext.size >= 10_000) this.ingestedContext.clear();
      this.ingestedContext.set(subject.checkId, { command: alert.command, labels: alert.labels });
    }
    const ok = alert.state === 'OK' || alert.state === 'UP';
    const event: EngineEvent = ok ? { type: 'recovery', target, subject, state: alert.state, text: alert.text, level: 0 } : { type: 'problem', target, subject, state: alert.state === 'UNREACHABLE' ? 'DOWN' : alert.state, text: alert.text, level: 0 };
    const dispatcher = this.dispatcher;
    const news = await this.incidents.handle([event], this.deps.clock.now());
    const inc = this.incidents.current(target);
    if (!ok && inc) {
      await this.incidents.record(inc.id, 'evidence', `${alert.source} alert${alert.service ? ` ${alert.service}` : ''}: triage says ${triage.kind}${triage.service ? ` (${triage.service})` : ''}${triage.runbook ? `, runbook ${triage.runbook}` : ''}: ${triage.reason}`, { source: alert.source, kind: triage.kind, runbook: triage.runbook }, this.deps.clock.now());
      if (event.type === 'problem') this.remediate(event, dispatcher);
    }
    for (const n of news) dispatcher.enqueue(n);
    return { incident: inc?.id, triage };
  }

  private wake(checkId: string, at: number): void {
    const old = this.wakes.get(checkId);
    if (old) this.deps.clock.clearTimeout(old);
    const t = this.deps.clock.setTimeout(() => {
      this.wakes.delete(checkId);
      if (!this.stopped) this.apply(this.engine.tick(checkId, this.deps.clock.now()));
    }, Math.max(0, at - this.deps.clock.now()));
    this.wakes.set(checkId, t);
  }

  private executorFor(target: Config['targets'][number]): Executor | undefined {
    if (!target.executor) return undefined;
    const key = JSON.stringify(target.executor);
    const known = this.executors.get(target.name);
    if (known?.key === key) return known.executor;
    if (known) void known.executor.close();
    const def = executors[target.executor.type as keyof typeof executors];
    const executor = def.create(target.executor as never, { secret: this.deps.secret, log: this.deps.log.child({ room: 'executor', target: target.name }) });
    this.executors.set(target.name, { key, executor });
    return executor;
  }

  /**
   * A new problem on a service mamoru can reach: triage it, run its runbook and the actions the
   * policy allows, all into the incident's timeline; the incident's message waits for it (up to
   * remediation.wait). After an action the check is run again at once, so a fix shows quickly.
   */
  private remediate(e: ProblemEvent, dispatcher: Dispatcher): void {
    if (!this.cfg.remediation.enabled || e.subject.kind !== 'service') return;
    const target = this.cfg.targets.find((t) => t.name === e.target || t.address === e.target);
    const inc = this.incidents.current(e.target);
    if (!target || !inc || inc.status !== 'open') return;
    const check = this.planned.get(e.subject.checkId);
    const triage = check
      ? classify({ probeType: e.subject.probe, state: stateByName(e.state) ?? NagiosState.CRITICAL, text: e.text, check: e.subject.name, options: check.options })
      : classify({ text: e.text, service: e.subject.name, state: e.state as never, ...this.ingestedContext.get(e.subject.checkId) });
    const ref: ProblemRef = { check: e.subject.name, port: check ? effectivePort(check) : undefined, triage };
    const service = serviceForProblem(target.services, ref);
    const executor = service && this.executorFor(target);
    if (!service || !executor) return this.noteUnremediated(inc.id, e.subject.checkId, target, service, ref);
    const key = `${inc.id} ${e.subject.checkId}`;
    const open = new Set(this.incidents.openIncidents().map((i) => String(i.id)));
    for (const k of this.remediated) if (!open.has(k.slice(0, k.indexOf(' ')))) this.remediated.delete(k);
    this.remediated.add(key);
    const now = this.deps.clock.now();
    const log = this.deps.log.child({ room: 'runbooks', target: target.name, incident: inc.id });
    const record = (kind: 'evidence' | 'action', text: string, data?: Record<string, unknown>, at = this.deps.clock.now()) => this.incidents.record(inc.id, kind, text, data, at);
    const work = respond(
      { executor, address: target.address, target: target.name, service, clock: this.deps.clock, guard: this.actionGuard, recorder: { record: (r) => record(r.kind, r.text, r.data, r.at) }, log, alert: { text: e.text, at: now }, ignoreSources: ownAddresses(), bans: () => this.deps.store.bans({ activeAt: this.deps.clock.now() }) },
      triage,
    ).then(async (r) => {
      log.info({ runbook: r.runbook, actions: r.actions.map((a) => `${a.request.type}: ${a.outcome.status}`) }, `${r.runbook ?? 'no runbook'}: ${r.verdict}`);
      // Attackers the runbook named: a ban of one of them, now or later, explains this incident.
      if (r.attack?.sources.length) for (const n of await this.incidents.noteAttackers(inc.id, r.attack.sources.map((x) => x.address), r.runbook ?? 'the runbook', this.deps.clock.now())) dispatcher.enqueue(n);
      // What the client must do is recorded by respond() itself (data.needed, data.neededSay), with the verdict.
      // mamoru could not finish (a start that failed, a config test that failed and was rolled back).
      if (r.summary.escalation) await this.incidents.record(inc.id, 'escalated', `needs a person: ${r.summary.escalation}`, { runbook: r.runbook, ...(r.summary.escalationSay ? { say: r.summary.escalationSay } : {}) }, this.deps.clock.now());
      // Finished after the first message went out: the contacts hear what was done in an update.
      // A diagnosis alone is news too while the problem lasts (a recovery message carries it otherwise).
      const late = this.deps.clock.now() - now > this.cfg.remediation.wait;
      const isOpen = () => this.incidents.openIncidents().some((i) => i.id === inc.id);
      if (late && (r.summary.actions.length || r.summary.escalation || (r.runbook && isOpen()))) {
        // A fix that worked shows in a moment (its check runs again at once): the recovery message
        // then tells what was found and done, and an update just before it would say it twice.
        // So does a diagnosis that needs no one: told only if the problem outlasts the wait.
        // An attack found is news now (it goes out with the link to the attack, in one update).
        const settled = r.summary.escalation === undefined && !r.attack?.sources.length && r.actions.every((a) => a.outcome.status === 'done' || a.outcome.status === 'no-op');
        if (settled) {
          const timer = this.deps.clock.setTimeout(() => {
            this.laters.delete(timer);
            if (isOpen()) this.tellLater(inc.id, now);
          }, FIX_SHOWS_MS + this.cfg.notifications.settle);
          this.laters.add(timer);
        } else this.tellLater(inc.id, now);
      }
      for (const a of r.actions) {
        const pending = a.outcome.status === 'pending';
        const asked = this.deps.clock.now();
        void a.settled
          .then((o) => {
            // A fix (now, or once a person approved it) is checked again at once.
            if (o.status === 'done' && check) this.deps.runNow(check.id);
            if (pending) this.tellLater(inc.id, asked);
          })
          .catch(() => undefined);
      }
      return r;
    });
    const tracked = work.catch((err) => log.error({ err }, 'the runbook failed'));
    this.remediating.add(tracked);
    void tracked.finally(() => this.remediating.delete(tracked));
    dispatcher.hold(inc.id, work);
  }

  /**
   * Why nothing will be done about a problem on a target set up for remediation (an executor or
   * services), and what to configure: once per check and incident in the timeline and the log.
   * A target with neither is watched only, by choice, and stays quiet.
   */
  private noteUnremediated(incidentId: number, checkId: string, target: Config['targets'][number], service: TargetServiceConfig | undefined, ref: ProblemRef): void {
    if (!target.executor && target.services.length === 0) return;
    const key = `${incidentId} ${checkId}`;
    if (this.unremediatedNoted.has(key)) return;
    const open = new Set(this.incidents.openIncidents().map((i) => String(i.id)));
    for (const k of this.unremediatedNoted) if (!open.has(k.slice(0, k.indexOf(' ')))) this.unremediatedNoted.delete(k);
    this.unremediatedNoted.add(key);
    const note = unremediated(target, service, ref);
    this.deps.log.warn({ room: 'runbooks', target: target.name, incident: incidentId, check: checkId, reason: note.reason }, note.text);
    void this.incidents.record(incidentId, 'evidence', note.text, { unremediated: note.reason, check: checkId }, this.deps.clock.now());
  }

  /** Sends what is gathered, waits for deliveries in flight (bounded by their own retry limits). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.wakes.values()) this.deps.clock.clearTimeout(t);
    this.wakes.clear();
    for (const t of this.laters) this.deps.clock.clearTimeout(t);
    this.laters.clear();
    await this.incidents.handle([], this.deps.clock.now());
    while (this.remediating.size) await Promise.allSettled([...this.remediating]);
    await this.dispatcher.stop();
    for (const { executor } of this.executors.values()) await executor.close();
  }
}
