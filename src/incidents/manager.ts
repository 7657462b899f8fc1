/**
 * Incidents from the state engine's events: one incident per target outage. It opens on the
 * first confirmed problem, gathers every related change (the host, its services, the hosts
 * behind it that became unreachable), keeps the append-only timeline in the Store, resolves
 * when everything in it recovered, and reopens (instead of starting a new one) when a problem
 * comes back within the cool-down, so a flapping service is one story, not ten.
 *
 * It returns news (what people should hear about); the notify room decides who and how.
 */
import type { IncidentEventKind, IncidentMember, IncidentRecord } from '../core/incident.ts';
import type { EngineEvent, Subject } from '../state/engine.ts';
import { Attacks, triedOf, type BanReport } from './attacks.ts';
import { memberKey, open, PORT_SERVICE, severityOf, severityRank, type IncidentManagerOptions, type IncidentNews } from './manager-types.ts';

export type { IncidentManagerOptions, IncidentNews, IncidentStore, NewsEvent } from './manager-types.ts';

export class IncidentManager {
  /** The current incident of each target: open, or resolved and still within its cool-down. */
  private byTarget = new Map<string, IncidentRecord>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Attack incidents: the guard's bans, digested, linked to the outages they explain (attacks.ts). */
  private readonly attacks: Attacks;

  constructor(private readonly opts: IncidentManagerOptions) {
    this.attacks = new Attacks({
      store: opts.store,
      log: opts.log,
      bans: opts.bans,
      outage: (target) => this.openFor(target),
      checkPort: (id) => opts.checkPort?.(id),
      policy: () => opts.attacks?.() ?? 'linked',
    });
  }

  /** Loads open incidents and those resolved within the cool-down (after a restart). */
  async load(now: number): Promise<void> {
    const recent = await this.opts.store.incidents({ limit: 500 });
    for (const inc of recent.reverse()) {
      // An attack is never a target's outage: it may still explain one that starts now.
      if (inc.kind === 'attack') {
        this.attacks.restore(inc, now);
        continue;
      }
      if (inc.status === 'open' || (inc.resolvedAt !== null && now - inc.resolvedAt < this.opts.coolDownMs)) this.byTarget.set(inc.target, inc);
    }
  }

  /** Member keys of the problems people were told about and that are still open. */
  told(): Set<string> {
    const out = new Set<string>();
    for (const inc of this.byTarget.values()) if (inc.status === 'open') for (const m of inc.members) if (open(m)) out.add(m.key);
    return out;
  }

  /**
   * The problems a person acknowledged in each open incident (its last `acknowledged` record):
   * the open service members that were already failing then, keyed by check id.
   */
  async acknowledgements(): Promise<Map<string, { by: string; comment: string; at: number }>> {
    const out = new Map<string, { by: string; comment: string; at: number }>();
    for (const inc of this.openIncidents()) {
      const acked = (await this.opts.store.incidentEvents(inc.id)).filter((e) => e.kind === 'acknowledged').at(-1);
      if (!acked) continue;
      const ack = { by: String(acked.data?.by ?? ''), comment: String(acked.data?.comment ?? ''), at: acked.at };
      for (const m of inc.members) if ((m.kind === 'service' || m.kind === 'twin') && open(m) && m.since <= acked.at) out.set(m.key, ack);
    }
    return out;
  }

  openIncidents(): IncidentRecord[] {
    return [...this.byTarget.values()].filter((i) => i.status === 'open');
  }

  /** The target of a known incident (open or in its cool-down). */
  targetOf(id: number): string | undefined {
    for (const inc of this.byTarget.values()) if (inc.id === id) return inc.target;
    return undefined;
  }

  /** The current incident of a target (open or in its cool-down). */
  current(target: string): IncidentRecord | undefined {
    return this.byTarget.get(target);
  }

  /** Handles events in order, one batch at a time (store writes never interleave). */
  handle(events: readonly EngineEvent[], now: number): Promise<IncidentNews[]> {
    const run = this.queue.then(() => this.apply(events, now));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Appends to a timeline (deliveries, evidence, actions from other rooms). */
  record(incidentId: number, kind: IncidentEventKind, text: string, data?: Record<string, unknown>, at = Date.now()): Promise<void> {
    const run = this.queue.then(() => this.opts.store.appendIncidentEvent({ incidentId, at, kind, text, ...(data ? { data } : {}) }));
    this.queue = run.catch(() => undefined);
    return run.then(() => undefined);
  }

  /**
   * A ban by the guard: into the target's attack incident (attacks.ts), never into an outage;
   * linked to the target's open outage when it explains it. The first bans get a timeline record
   * each; later ones are counted and written once a window by flushBans. `individual` says which
   * this was (only an individual ban's enrichment is recorded).
   */
  noteBan(target: string, text: string, report: BanReport, now: number): Promise<{ incidentId: number; news: IncidentNews[]; individual: boolean }> {
    return this.enqueue(() => this.attacks.ban(target, text, report, now));
  }

  /** Writes the ban windows due at `now` (every open one when `all`, at stop): one record each, an update where the attack was told. */
  flushBans(now: number, all = false): Promise<IncidentNews[]> {
    return this.enqueue(() => this.attacks.flush(now, all));
  }

  /** When the next window of counted bans is due, ms (undefined: none open). */
  nextBanFlush(): number | undefined {
    return this.attacks.nextFlush();
  }

  /** The country of a counted ban's address, known once enrichment finishes: into its attack's window. */
  noteBanCountry(incidentId: number, country: string): void {
    this.attacks.country(incidentId, country);
  }

  /** Who a banned address is (enrichment), into its attack incident for the message. */
  noteBanEnrichment(incidentId: number, e: Parameters<Attacks['enriched']>[1]): Promise<void> {
    return this.enqueue(() => this.attacks.enriched(incidentId, e));
  }

  /**
   * A runbook of outage `incidentId` named these addresses as attackers (`by`: the runbook): the
   * attack incident that bans one of them, now or later, is linked to the outage.
   */
  noteAttackers(incidentId: number, addresses: readonly string[], by: string, now: number): Promise<IncidentNews[]> {
    return this.enqueue(async () => {
      // Recovered meanwhile (a runbook may finish after the fix): the attack still explains it.
      const outage = [...this.byTarget.values()].find((i) => i.id === incidentId);
      if (!outage) return [];
      const adopted = await this.adoptBans(outage.target, addresses, now);
      return [...adopted, ...(await this.attacks.attackers(outage, addresses, by, now))];
    });
  }

  /**
   * Bans of named addresses that the store holds but no attack incident here knows: another mamoru
   * banned them (the guard on the server, this one watching from outside, one store). They become
   * this side's attack incident, so the outage they explain is linked and its contacts are told.
   */
  private async adoptBans(target: string, addresses: readonly string[], now: number): Promise<IncidentNews[]> {
    if (!this.opts.store.bans) return [];
    const wanted = new Set(addresses.filter((a) => !this.attacks.knows(target, a, now)));
    if (wanted.size === 0) return [];
    // The other side's attack incident, when it is in this store too: taken up, not made twice.
    // (Both sides then write its record; the timeline keeps every link either way.)
    for (const inc of await this.opts.store.incidents({ limit: 200 })) {
      if (inc.kind !== 'attack' || inc.target !== target) continue;
      if (!inc.attack?.bans.some((b) => wanted.has(b.address) && (b.until === undefined || b.until > now))) continue;
      this.attacks.restore(inc, now);
      for (const b of inc.attack.bans) wanted.delete(b.address);
    }
    if (wanted.size === 0) return [];
    const rows = (await this.opts.store.bans({ activeAt: now })).filter((r) => wanted.has(r.address)).slice(0, 20);
    const news: IncidentNews[] = [];
    for (const r of rows) {
      const text = `banned ${r.address}${r.port ? ` on port ${r.port}` : ''} (by the guard of another mamoru, jail ${r.jail}): ${r.reason}`.slice(0, 500);
      // What was tried: the filter the ban's reason names (`5 failures in 1m (dovecot)`), else the port's service.
      const words = `${r.jail} ${r.reason}`.toLowerCase();
      const filter = ['dovecot', 'courier', 'vpopmail', 'postfix-sasl', 'sshd', 'vsftpd', 'proftpd', 'pure-ftpd', 'apache-auth', 'nginx-auth'].find((f) => words.includes(f));
      const tried = filter ? triedOf(filter, '', r.port) : (r.port !== undefined ? PORT_SERVICE[r.port] : undefined) ?? 'logins';
      const report = { address: r.address, jail: r.jail, tried, port: r.port, until: r.until, banCount: r.banCount, adopted: true };
      news.push(...(await this.attacks.ban(target, text, report, now)).news);
    }
    return news;
  }

  /** The attack incident with this id while it is known here (recent bans). */
  attack(id: number): IncidentRecord | undefined {
    return this.attacks.find(id);
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(events: readonly EngineEvent[], now: number): Promise<IncidentNews[]> {
    const news: IncidentNews[] = [];
    for (const e of events) {
      try {
        await this.one(e, now, news);
      } catch (err) {
        this.opts.log.error({ err, event: e.type }, 'could not record an incident change');
      }
    }
    // A new problem may be explained by an attack blocked a moment ago (a ban on its port).
    for (const target of new Set(events.filter((e) => e.type === 'problem').map((e) => e.target))) {
      const inc = this.openFor(target);
      if (inc) news.push(...(await this.attacks.explain(inc, now).catch((err) => (this.opts.log.error({ err, incident: inc.id }, 'could not link an attack'), []))));
    }
    return news;
  }

  private async event(inc: IncidentRecord, kind: IncidentEventKind, text: string, now: number, data?: Record<string, unknown>): Promise<void> {
    await this.opts.store.appendIncidentEvent({ incidentId: inc.id, at: now, kind, text, ...(data ? { data } : {}) });
  }

  private async save(inc: IncidentRecord, now: number): Promise<void> {
    inc.updatedAt = now;
    const live = inc.members.filter(open);
    const worst = live.reduce<IncidentMember | undefined>((w, m) => (!w || severityRank[severityOf(m)] > severityRank[severityOf(w)] ? m : w), undefined);
    inc.severity = worst ? severityOf(worst) : 'ok';
    if (worst) inc.title = `${inc.target}: ${worst.kind === 'host' ? 'host DOWN' : `${worst.label} ${worst.state}`} - ${worst.text}`.slice(0, 300);
    await this.opts.store.updateIncident(inc);
  }

  private async one(e: EngineEvent, now: number, news: IncidentNews[]): Promise<void> {
    switch (e.type) {
      case 'problem':
        return this.problem(e.target, e.subject, e.state, e.text, now, news);
      case 'recovery':
        return this.recovery(e.target, e.subject, e.text, now, news);
      case 'reminder':
      case 'escalation':
      case 'acknowledged': {
        const inc = this.openFor(e.target);
        if (!inc) return;
        const who = e.subject.kind === 'host' ? 'host' : e.subject.name;
        if (e.type === 'reminder') {
          await this.event(inc, 'reminder', `reminder: ${who} still ${e.state}`, now);
          news.push({ incident: inc, event: 'reminder', changes: [], level: e.level });
        } else if (e.type === 'escalation') {
          await this.event(inc, 'escalated', `escalated to level ${e.level}: ${who} ${e.state} and not acknowledged`, now, { level: e.level });
          news.push({ incident: inc, event: 'escalation', changes: [], level: e.level });
        } else if (e.type === 'acknowledged') {
          await this.event(inc, 'acknowledged', `acknowledged by ${e.by}: ${e.comment}`, now, { by: e.by, comment: e.comment });
          news.push({ incident: inc, event: 'acknowledged', changes: [], level: 0, by: e.by, comment: e.comment });
        }
        return;
      }
      case 'folded': {
        for (const parent of e.into) {
          const inc = this.openFor(parent);
          if (!inc) continue;
          const key = `host:${e.target}`;
          if (!inc.members.some((m) => m.key === key)) inc.members.push({ key, kind: 'folded-host', label: e.target, state: 'UNREACHABLE', text: e.text, since: now });
          await this.event(inc, 'suppressed', `${e.target} is unreachable behind ${parent}: folded into this incident, not announced on its own`, now);
          await this.save(inc, now);
          news.push({ incident: inc, event: 'update', changes: [`${e.target} is unreachable behind ${parent}`], level: 0 });
        }
        return;
      }
      case 'folded-service':
        return this.foldService(e, now, news);
      case 'unfolded':
        for (const inc of this.openIncidents()) {
          const m = inc.members.find((x) => x.key === e.key && x.kind === (e.how === 'twin' ? 'twin' : 'folded-target') && x.recoveredAt === undefined);
          if (!m) continue;
          m.state = e.how === 'twin' ? 'OK' : 'UP';
          await this.close(inc, m, e.how === 'twin' ? `${e.key} (twin)` : `${e.target} (behind)`, e.text, now, news);
        }
        return;
      case 'suppressed': {
        const inc = this.openFor(e.target) ?? this.foldingIncident(e.target);
        if (!inc) return;
        const who = e.subject.kind === 'host' ? `host ${e.target}` : e.subject.checkId;
        await this.event(inc, 'suppressed', `${who} ${e.state} not announced (${e.reason})${e.text ? `: ${e.text}` : ''}`, now, { reason: e.reason });
        return;
      }
      case 'flapping':
      case 'downtime': {
        const inc = this.openFor(e.target);
        if (!inc) return;
        const who = e.subject.kind === 'host' ? 'host' : e.subject.name;
        const text = e.type === 'flapping' ? `${who} ${e.started ? 'started' : 'stopped'} flapping (${e.percent.toFixed(1)}% state change)` : `${who}: downtime ${e.started ? 'started' : 'ended'}`;
        await this.event(inc, e.type, text, now);
        return;
      }
      case 'recheck':
      case 'wake':
        return;
    }
  }

  private openFor(target: string): IncidentRecord | undefined {
    const inc = this.byTarget.get(target);
    return inc?.status === 'open' ? inc : undefined;
  }

  /** The open incident a host was folded into (its parent's), for its services' suppressed changes. */
  private foldingIncident(target: string): IncidentRecord | undefined {
    const folded = (m: IncidentMember) => (m.key === `host:${target}` && m.kind === 'folded-host') || (m.key === `target:${target}` && m.kind === 'folded-target');
    for (const inc of this.byTarget.values()) if (inc.status === 'open' && inc.members.some(folded)) return inc;
    return undefined;
  }

  /**
   * A service problem told inside another target's incident: a target behind this incident's host
   * (one member per target, whatever number of its checks fail) or the twin of a check here. It
   * is a consequence of the incident's cause, so it never sends a message by itself.
   */
  private async foldService(e: Extract<EngineEvent, { type: 'folded-service' }>, now: number, news: IncidentNews[]): Promise<void> {
    const twin = e.how === 'twin';
    const key = twin ? e.subject.checkId : `target:${e.target}`;
    for (const root of e.into) {
      const inc = this.openFor(root);
      if (!inc) continue;
      const line = twin ? `${e.subject.checkId} ${e.state}: the same service as ${e.primary ?? root}` : `${e.target} cannot be reached behind ${root}`;
      await this.event(inc, 'suppressed', `${line}: folded into this incident, not announced on its own${e.text ? ` (${e.text})` : ''}`, now, { reason: twin ? 'twin' : 'unreachable', check: e.subject.checkId });
      const known = inc.members.find((m) => m.key === key && m.recoveredAt === undefined);
      if (known && (!twin || known.state === e.state)) continue;
      const member: IncidentMember = { key, kind: twin ? 'twin' : 'folded-target', probe: twin ? e.subject.probe : undefined, label: e.target, state: twin ? e.state : 'UNREACHABLE', text: e.text, since: known?.since ?? now };
      inc.members = inc.members.filter((m) => m.key !== key).concat(member);
      // No message of its own: a line in the incident's messages (the opening one when it comes in time).
      await this.save(inc, now);
    }
  }

  private async problem(target: string, subject: Subject, state: string, text: string, now: number, news: IncidentNews[]): Promise<void> {
    const key = memberKey(target, subject);
    const member: IncidentMember = {
      key,
      kind: subject.kind === 'host' ? 'host' : 'service',
      probe: subject.kind === 'service' ? subject.probe : undefined,
      label: subject.kind === 'service' ? subject.name : target,
      state,
      text,
      since: now,
    };
    const who = subject.kind === 'host' ? `host ${target} ${state}` : `${subject.name} ${state}`;
    let inc = this.byTarget.get(target);
    if (inc && inc.status === 'resolved' && inc.resolvedAt !== null && now - inc.resolvedAt < this.opts.coolDownMs) {
      const after = Math.round((now - inc.resolvedAt) / 1000);
      inc.status = 'open';
      inc.resolvedAt = null;
      inc.members = inc.members.filter((m) => m.key !== key).concat(member);
      await this.event(inc, 'reopened', `reopened ${after} s after recovery: ${who}: ${text}`, now, { state });
      await this.save(inc, now);
      news.push({ incident: inc, event: 'open', changes: [`${who} again, ${after} s after it recovered`], level: 0 });
      return;
    }
    if (!inc || inc.status !== 'open') {
      inc = await this.opts.store.createIncident({ target, status: 'open', severity: 'critical', title: '', openedAt: now, resolvedAt: null, updatedAt: now, members: [member] });
      this.byTarget.set(target, inc);
      await this.event(inc, 'opened', `${who}: ${text}`, now, { state, check: subject.kind === 'service' ? subject.checkId : null });
      await this.save(inc, now);
      news.push({ incident: inc, event: 'open', changes: [], level: 0 });
      this.opts.log.warn({ incident: inc.id, target }, `incident #${inc.id} opened: ${inc.title}`);
      return;
    }
    const existing = inc.members.find((m) => m.key === key);
    if (existing && existing.recoveredAt === undefined && existing.state === state) return;
    inc.members = inc.members.filter((m) => m.key !== key).concat(existing && existing.recoveredAt === undefined ? { ...member, since: existing.since } : member);
    await this.event(inc, 'problem', `${who}: ${text}`, now, { state });
    await this.save(inc, now);
    const c = this.opts.cause;
    const explained = c !== undefined && c.unreadable(member) && inc.members.some((x) => open(x) && x.key !== key && c.agent(x));
    if (!explained) news.push({ incident: inc, event: 'update', changes: [`${who}: ${text}`], level: 0 });
  }

  private async recovery(target: string, subject: Subject, text: string, now: number, news: IncidentNews[]): Promise<void> {
    const key = memberKey(target, subject);
    const live = (i: IncidentRecord | undefined) => i?.members.find((x) => x.key === key && x.recoveredAt === undefined);
    // A twin's member lives in its primary's incident (found there after a restart too).
    const inc = live(this.openFor(target)) ? this.openFor(target) : subject.kind === 'service' ? this.openIncidents().find((i) => live(i)?.kind === 'twin') : undefined;
    const m = live(inc);
    if (!inc || !m) return; // never announced (came and went while suppressed): nothing to close
    m.state = subject.kind === 'host' ? 'UP' : 'OK';
    return this.close(inc, m, subject.kind === 'host' ? `host ${target}` : m.kind === 'twin' ? `${key} (twin)` : subject.name, text, now, news);
  }

  /** A member recovered; the incident resolves with the last one that kept it open (a folded member's own recovery is not news before that). */
  private async close(inc: IncidentRecord, m: IncidentMember, who: string, text: string, now: number, news: IncidentNews[]): Promise<void> {
    const folded = m.kind === 'twin' || m.kind === 'folded-target';
    m.recoveredAt = now;
    m.text = text;
    await this.event(inc, 'recovered', `${who} recovered after ${Math.round((now - m.since) / 1000)} s: ${text}`, now);
    if (inc.members.some(open)) {
      await this.save(inc, now);
      const c = this.opts.cause;
      // The agent is back and what it serves is about to be read again: that is the news, not this.
      const following = c !== undefined && c.agent(m) && inc.members.filter(open).every((x) => c.unreadable(x));
      if (!folded && !following) news.push({ incident: inc, event: 'update', changes: [`${who} recovered: ${text}`], level: 0 });
      return;
    }
    inc.status = 'resolved';
    inc.resolvedAt = now;
    for (const f of inc.members) if (f.recoveredAt === undefined) f.recoveredAt = now;
    await this.event(inc, 'resolved', `resolved: everything recovered after ${Math.round((now - inc.openedAt) / 1000)} s`, now);
    await this.save(inc, now);
    this.opts.log.info({ incident: inc.id, target: inc.target }, `incident #${inc.id} resolved`);
    news.push({ incident: inc, event: 'recovered', changes: [], level: 0 });
  }
}
