/**
 * Incidents from the state engine's events: one incident per target outage. It opens on the
 * first confirmed problem, gathers every related change (the host, its services, the hosts
 * behind it that became unreachable), keeps the append-only timeline in the Store, resolves
 * when everything in it recovered, and reopens (instead of starting a new one) when a problem
 * comes back within the cool-down, so a flapping service is one story, not ten.
 *
 * It returns news (what people should hear about); the notify room decides who and how.
 */
import type { Logger } from 'pino';
import type { IncidentEventKind, IncidentMember, IncidentRecord, IncidentSeverity } from '../core/incident.ts';
import type { EngineEvent, Subject } from '../state/engine.ts';
import type { Store } from '../store/types.ts';
import { BanDigest, describeBans, type BanDigestLimits } from './ban-digest.ts';

export type IncidentStore = Pick<Store, 'createIncident' | 'updateIncident' | 'appendIncidentEvent' | 'incidents' | 'incident' | 'incidentEvents'>;

export type NewsEvent = 'open' | 'update' | 'recovered' | 'reminder' | 'escalation' | 'acknowledged';

/** Something people should hear about one incident. */
export interface IncidentNews {
  incident: IncidentRecord;
  event: NewsEvent;
  /** What changed, one line each, for update messages. */
  changes: string[];
  level: number;
  by?: string;
  comment?: string;
}

export interface IncidentManagerOptions {
  store: IncidentStore;
  coolDownMs: number;
  log: Logger;
  /** How bans are aggregated (ban-digest.ts); the defaults suit every deployment so far. */
  bans?: Partial<BanDigestLimits> | undefined;
}

const severityRank: Record<IncidentSeverity, number> = { ok: 0, unknown: 1, warning: 2, critical: 3, down: 4 };

function memberKey(target: string, s: Subject): string {
  return s.kind === 'host' ? `host:${target}` : s.checkId;
}

function severityOf(m: IncidentMember): IncidentSeverity {
  if (m.recoveredAt !== undefined) return 'ok';
  if (m.kind !== 'service') return m.kind === 'host' ? 'down' : 'ok';
  return m.state === 'CRITICAL' ? 'critical' : m.state === 'WARNING' ? 'warning' : m.state === 'UNKNOWN' ? 'unknown' : 'ok';
}

/** Members that keep an incident open: the host and its services (folded hosts only ride along). */
const open = (m: IncidentMember) => m.kind !== 'folded-host' && m.recoveredAt === undefined;

export class IncidentManager {
  /** The current incident of each target: open, or resolved and still within its cool-down. */
  private byTarget = new Map<string, IncidentRecord>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Bans per incident: the first recorded one by one, the rest counted (ban-digest.ts). */
  private readonly bans: BanDigest<IncidentRecord>;
  /** The latest incident of blocked attacks per target, which further bans of the same attack join. */
  private readonly blocked = new Map<string, IncidentRecord>();

  constructor(private readonly opts: IncidentManagerOptions) {
    this.bans = new BanDigest(opts.bans);
  }

  /** Loads open incidents and those resolved within the cool-down (after a restart). */
  async load(now: number): Promise<void> {
    const recent = await this.opts.store.incidents({ limit: 500 });
    for (const inc of recent.reverse()) {
      if (inc.status === 'open' || (inc.resolvedAt !== null && now - inc.resolvedAt < this.opts.coolDownMs)) this.byTarget.set(inc.target, inc);
    }
  }

  /** Member keys of the problems people were told about and that are still open. */
  told(): Set<string> {
    const out = new Set<string>();
    for (const inc of this.byTarget.values()) if (inc.status === 'open') for (const m of inc.members) if (open(m)) out.add(m.key);
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
   * A ban by the guard: into the target's open incident (the attack explains the outage, and the
   * contacts hear of it), or else into an incident of its own, recorded but already resolved (an
   * attack that was blocked before it hurt anything is news for the timeline, not for a phone),
   * which the attack's further bans join while they keep coming. The first bans get a timeline
   * record (and contacts an update) each; later ones are counted and written once a window by
   * flushBans. `individual` says which this was (only an individual ban's enrichment is recorded).
   */
  noteBan(target: string, text: string, data: { address: string; jail: string } & Record<string, unknown>, now: number): Promise<{ incidentId: number; news: IncidentNews[]; individual: boolean }> {
    const run = this.queue.then(async () => {
      const ban = { address: data.address, jail: data.jail };
      const inc = this.openFor(target) ?? this.blockedAttack(target, now);
      if (inc) {
        if (this.bans.add(inc, ban, now) === 'aggregated') return { incidentId: inc.id, news: [], individual: false };
        await this.event(inc, 'ban', text, now, data);
        return { incidentId: inc.id, news: inc.status === 'open' ? [{ incident: inc, event: 'update' as const, changes: [text], level: 0 }] : [], individual: true };
      }
      const created = await this.opts.store.createIncident({ target, status: 'resolved', severity: 'warning', title: `${target}: attack blocked - ${text}`.slice(0, 300), openedAt: now, resolvedAt: now, updatedAt: now, members: [] });
      this.bans.add(created, ban, now);
      this.blocked.set(target, created);
      await this.event(created, 'ban', text, now, data);
      // A problem on the target within the cool-down reopens this one: the attack is its cause.
      if (!this.byTarget.has(target) || this.byTarget.get(target)!.status !== 'open') this.byTarget.set(target, created);
      return { incidentId: created.id, news: [], individual: true };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Writes the ban windows due at `now` (every open one when `all`, at stop): one timeline record
   * each, and one update for the contacts of an incident that is still open.
   */
  flushBans(now: number, all = false): Promise<IncidentNews[]> {
    const run = this.queue.then(async () => {
      const news: IncidentNews[] = [];
      for (const { key: inc, ...counts } of this.bans.take(now, all)) {
        const text = describeBans(counts);
        try {
          await this.event(inc, 'ban', text, now, { aggregate: true, ...counts });
        } catch (err) {
          this.opts.log.error({ err, incident: inc.id }, 'could not record aggregated bans');
          continue;
        }
        if (inc.status === 'open') news.push({ incident: inc, event: 'update', changes: [text], level: 0 });
      }
      return news;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** When the next window of counted bans is due, ms (undefined: none open). */
  nextBanFlush(): number | undefined {
    return this.bans.nextDue();
  }

  /** The country of a counted ban's address, known once enrichment finishes: into its incident's window. */
  noteBanCountry(incidentId: number, country: string): void {
    for (const inc of this.bans.keys()) if (inc.id === incidentId) this.bans.country(inc, country);
  }

  /** The target's incident of a blocked attack whose bans are still coming, if any. */
  private blockedAttack(target: string, now: number): IncidentRecord | undefined {
    const inc = this.blocked.get(target);
    if (inc && inc.status === 'resolved' && inc.members.length === 0 && this.bans.active(inc, now)) return inc;
    this.blocked.delete(target);
    return undefined;
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
    for (const inc of this.byTarget.values()) if (inc.status === 'open' && inc.members.some((m) => m.key === `host:${target}` && m.kind === 'folded-host')) return inc;
    return undefined;
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
    news.push({ incident: inc, event: 'update', changes: [`${who}: ${text}`], level: 0 });
  }

  private async recovery(target: string, subject: Subject, text: string, now: number, news: IncidentNews[]): Promise<void> {
    const inc = this.openFor(target);
    const key = memberKey(target, subject);
    const m = inc?.members.find((x) => x.key === key && x.recoveredAt === undefined);
    if (!inc || !m) return; // never announced (came and went while suppressed): nothing to close
    m.recoveredAt = now;
    m.state = subject.kind === 'host' ? 'UP' : 'OK';
    m.text = text;
    const who = subject.kind === 'host' ? `host ${target}` : subject.name;
    await this.event(inc, 'recovered', `${who} recovered after ${Math.round((now - m.since) / 1000)} s: ${text}`, now);
    if (inc.members.some(open)) {
      await this.save(inc, now);
      news.push({ incident: inc, event: 'update', changes: [`${who} recovered: ${text}`], level: 0 });
      return;
    }
    inc.status = 'resolved';
    inc.resolvedAt = now;
    for (const f of inc.members) if (f.recoveredAt === undefined) f.recoveredAt = now;
    await this.event(inc, 'resolved', `resolved: everything recovered after ${Math.round((now - inc.openedAt) / 1000)} s`, now);
    await this.save(inc, now);
    this.opts.log.info({ incident: inc.id, target }, `incident #${inc.id} resolved`);
    news.push({ incident: inc, event: 'recovered', changes: [], level: 0 });
  }
}
