/**
 * Attacks as incidents of their own (issue 13): every ban the guard makes goes to the target's
 * current attack incident (one per attack: its further bans join it while they keep coming),
 * never into an outage. When the attack explains an outage of the same target (a ban on the port
 * of a failing check, or an address a runbook named as the attacker), the two incidents are
 * linked both ways, in their records and in both timelines, and the contacts hear of the attack
 * as its own message, the outage as an update that its cause was found and blocked. An attack
 * that explains nothing stays in the console unless `notifications.attacks` says `all`.
 *
 * Bans are digested (ban-digest.ts): the first ones recorded one by one, then counted into one
 * record a window. The manager runs every method here on its queue (store writes never interleave).
 */
import type { Logger } from 'pino';
import type { AttackBan, IncidentLink, IncidentMember, IncidentRecord } from '../core/incident.ts';
import { said, type Said } from '../core/said.ts';
import { BanDigest, describeBans, type BanDigestLimits } from './ban-digest.ts';
import type { IncidentNews, IncidentStore } from './manager.ts';

/** Which blocked attacks the contacts hear of (`notifications.attacks`). */
export type AttackPolicy = 'linked' | 'all' | 'none';

/** One ban as the guard reports it (daemon-guard.ts). */
export type BanReport = Omit<AttackBan, 'at'> & Record<string, unknown>;

export interface AttacksOptions {
  store: IncidentStore;
  log: Logger;
  bans?: Partial<BanDigestLimits> | undefined;
  /** The target's open outage, if any. */
  outage(target: string): IncidentRecord | undefined;
  /** A check's effective port (config/check-port.ts), by check id. */
  checkPort(checkId: string): number | undefined;
  policy(): AttackPolicy;
}

// Bans of one attack kept in full in its record; the rest are counted (the bans table has them all).
const KEPT_BANS = 20;
// Attack incidents per target that an outage starting now may still be explained by.
const KEPT_ATTACKS = 20;
// Outages whose runbook named attackers, remembered at most.
const KEPT_NAMED = 200;

const portWords = (b: Pick<AttackBan, 'port'>) => (b.port === undefined ? 'on every port' : `on port ${b.port}`);

/** In force at `now`: no end, or an end still ahead. */
const inForce = (b: Pick<AttackBan, 'until'>, now: number) => b.until === undefined || b.until > now;

/**
 * What an address tried, from the filter that found the failure and the part of the log line the
 * daemon wrote before any client text (a user name may say "imap": it is never read).
 */
export function triedOf(filter: string, raw: string, port?: number): string {
  if (filter === 'connections') return 'connections';
  const head = raw.slice(0, 300).split(/user=|rip=|[<(]/)[0]!.toLowerCase();
  const mail = (): string => {
    if (/\bpop3/.test(head) || /pop3d/.test(head)) return 'pop3';
    if (/\bimap/.test(head) || /imapd/.test(head)) return 'imap';
    if (/submission|smtp/.test(head)) return 'smtp';
    if (port === 110 || port === 995) return 'pop3';
    if (port === 143 || port === 993) return 'imap';
    return 'mail';
  };
  switch (filter) {
    case 'dovecot':
    case 'courier':
    case 'vpopmail':
      return mail();
    case 'postfix-sasl':
      return 'smtp';
    case 'sshd':
      return 'ssh';
    case 'vsftpd':
    case 'proftpd':
    case 'pure-ftpd':
      return 'ftp';
    case 'apache-auth':
    case 'nginx-auth':
      return 'http';
    default:
      return 'logins';
  }
}

/** The failing service members of an outage, with their effective ports. */
function failingPorts(outage: IncidentRecord, checkPort: (id: string) => number | undefined): { member: IncidentMember; port: number }[] {
  const out: { member: IncidentMember; port: number }[] = [];
  for (const m of outage.members) {
    if (m.kind !== 'service' || m.recoveredAt !== undefined) continue;
    const port = checkPort(m.key);
    if (port !== undefined) out.push({ member: m, port });
  }
  return out;
}

export class Attacks {
  private readonly digest: BanDigest<IncidentRecord>;
  /** The attack incident of each target whose bans are still coming (further bans join it). */
  private readonly current = new Map<string, IncidentRecord>();
  /** Attack incidents per target with a ban that may still be in force, oldest first (bounded). */
  private readonly recent = new Map<string, IncidentRecord[]>();
  /** Addresses a runbook named as attackers, per outage id, with the runbook's name. */
  private readonly named = new Map<number, Map<string, string>>();
  /** Attack incidents the contacts were told of. */
  private readonly told = new Set<number>();

  constructor(private readonly o: AttacksOptions) {
    this.digest = new BanDigest(o.bans);
  }

  /** An attack incident from the store (after a restart): an outage may still be explained by it. */
  restore(inc: IncidentRecord, now: number): void {
    if (inc.attack?.bans.some((b) => inForce(b, now))) this.remember(inc, now);
    if (inc.links?.length) this.told.add(inc.id);
  }

  /**
   * One ban: into the target's current attack incident, or a new one. Returns the news for the
   * contacts (the attack's own message when it explains an outage or the policy says `all`, the
   * outage's update) and whether the ban was recorded on its own (`individual`) or counted.
   */
  async ban(target: string, text: string, report: BanReport, now: number): Promise<{ incidentId: number; news: IncidentNews[]; individual: boolean }> {
    const ban: AttackBan = { address: report.address, jail: report.jail, tried: report.tried, failures: report.failures, windowMs: report.windowMs, port: report.port, until: report.until, at: now };
    let inc = this.currentAttack(target, now);
    const fresh = !inc;
    if (!inc) {
      inc = await this.o.store.createIncident({
        target,
        kind: 'attack',
        status: 'resolved',
        severity: 'warning',
        title: `${target}: attack blocked - ${text}`.slice(0, 300),
        openedAt: now,
        resolvedAt: now,
        updatedAt: now,
        members: [],
        attack: { bans: [], total: 0 },
        links: [],
      });
      this.current.set(target, inc);
      this.o.log.warn({ incident: inc.id, target }, `attack incident #${inc.id} opened: ${text}`);
    }
    this.remember(inc, now);
    const facts = inc.attack!;
    const individual = this.digest.add(inc, { address: ban.address, jail: ban.jail }, now) === 'individual';
    const news: IncidentNews[] = [];
    if (individual) {
      facts.total++;
      if (facts.bans.length < KEPT_BANS) facts.bans.push(ban);
      inc.resolvedAt = now;
      inc.updatedAt = now;
      await this.o.store.updateIncident(inc);
      const say = said(`${ban.address} was blocked ${portWords(ban)}.`, `${ban.address} を${ban.port === undefined ? 'すべてのポート' : `ポート ${ban.port}`}で遮断しました。`);
      await this.o.store.appendIncidentEvent({ incidentId: inc.id, at: now, kind: 'ban', text, data: { ...report, say } });
      if (this.told.has(inc.id)) news.push({ incident: inc, event: 'update', changes: [text], level: 0 });
    }
    news.push(...(await this.explainBy(inc, ban, now)));
    if (fresh && !this.told.has(inc.id) && this.o.policy() === 'all') {
      this.told.add(inc.id);
      news.push({ incident: inc, event: 'open', changes: [], level: 0 });
    }
    return { incidentId: inc.id, news, individual };
  }

  /** Who the address is, once enrichment answered: into the ban kept in its attack incident. */
  async enriched(incidentId: number, e: { address: string; country?: string | undefined; countryName?: string | undefined; owner?: string | undefined; network?: string | undefined }): Promise<void> {
    const inc = this.find(incidentId);
    const ban = inc?.attack?.bans.find((b) => b.address === e.address);
    if (!inc || !ban) return;
    Object.assign(ban, { country: e.country, countryName: e.countryName, owner: e.owner, network: e.network });
    await this.o.store.updateIncident(inc);
  }

  /** The country of a counted ban's address: into its attack's window. */
  country(incidentId: number, country: string): void {
    for (const inc of this.digest.keys()) if (inc.id === incidentId) this.digest.country(inc, country);
  }

  /** When the next window of counted bans is due, ms. */
  nextFlush(): number | undefined {
    return this.digest.nextDue();
  }

  /** Writes the ban windows due at `now` (all when `all`): one record each, an update where the attack was told. */
  async flush(now: number, all: boolean): Promise<IncidentNews[]> {
    const news: IncidentNews[] = [];
    for (const { key: inc, ...counts } of this.digest.take(now, all)) {
      const text = describeBans(counts);
      try {
        inc.attack!.total += counts.bans;
        inc.resolvedAt = counts.to;
        inc.updatedAt = now;
        await this.o.store.updateIncident(inc);
        const say = said(`${counts.addresses} more addresses were blocked (${counts.bans} bans).`, `さらに ${counts.addresses} 件の送信元を遮断しました（遮断 ${counts.bans} 件）。`);
        await this.o.store.appendIncidentEvent({ incidentId: inc.id, at: now, kind: 'ban', text, data: { aggregate: true, ...counts, say } });
      } catch (err) {
        this.o.log.error({ err, incident: inc.id }, 'could not record aggregated bans');
        continue;
      }
      if (this.told.has(inc.id)) news.push({ incident: inc, event: 'update', changes: [text], level: 0 });
    }
    return news;
  }

  /**
   * An outage got a new problem: the attacks of its target with a ban in force on the port of a
   * failing check, or banning an address its runbook named, explain it.
   */
  async explain(outage: IncidentRecord, now: number): Promise<IncidentNews[]> {
    const news: IncidentNews[] = [];
    for (const inc of this.live(outage.target, now)) for (const ban of inc.attack!.bans) if (inForce(ban, now)) news.push(...(await this.link(inc, outage, ban, now)));
    return news;
  }

  /** A runbook of an outage named these addresses as attackers: a ban of one of them explains it. */
  async attackers(outage: IncidentRecord, addresses: readonly string[], by: string, now: number): Promise<IncidentNews[]> {
    const named = this.named.get(outage.id) ?? new Map<string, string>();
    for (const a of addresses.slice(0, 100)) named.set(a, by);
    this.named.delete(outage.id);
    this.named.set(outage.id, named);
    while (this.named.size > KEPT_NAMED) this.named.delete(this.named.keys().next().value!);
    return this.explain(outage, now);
  }

  /** Whether an attack incident known here holds a ban of this address still in force. */
  knows(target: string, address: string, now: number): boolean {
    return this.live(target, now).some((inc) => inc.attack!.bans.some((b) => b.address === address && inForce(b, now)));
  }

  /** The attack incident (known here) with this id. */
  find(id: number): IncidentRecord | undefined {
    for (const list of this.recent.values()) for (const inc of list) if (inc.id === id) return inc;
    for (const inc of this.current.values()) if (inc.id === id) return inc;
    return undefined;
  }

  /** Links a new ban to the target's open outage when it explains it. */
  private async explainBy(inc: IncidentRecord, ban: AttackBan, now: number): Promise<IncidentNews[]> {
    const outage = this.o.outage(inc.target);
    return outage ? this.link(inc, outage, ban, now) : [];
  }

  /** Links `attack` and `outage` when `ban` explains the outage; nothing when it does not or they are linked already. */
  private async link(attack: IncidentRecord, outage: IncidentRecord, ban: AttackBan, now: number): Promise<IncidentNews[]> {
    if (attack.links?.some((l) => l.incident === outage.id)) return [];
    const byPort = ban.port === undefined ? undefined : failingPorts(outage, this.o.checkPort).find((f) => f.port === ban.port);
    const runbook = this.named.get(outage.id)?.get(ban.address);
    if (!byPort && !runbook) return [];
    const why = byPort ? `${ban.address} banned on port ${ban.port}` : `${ban.address} banned ${portWords(ban)}, named by ${runbook}`;
    const member = byPort?.member ?? outage.members.find((m) => m.kind === 'service' && m.recoveredAt === undefined) ?? outage.members.find((m) => m.kind === 'service');
    const check = member ? { probe: member.probe, label: member.label } : undefined;
    const what = member ? `${member.label} ${member.state}${member.text ? `: ${member.text}` : ''}` : outage.title;
    const toAttack: IncidentLink = { incident: outage.id, relation: 'explains', at: now, why, ...(check ? { check } : {}) };
    const toOutage: IncidentLink = { incident: attack.id, relation: 'explained-by', at: now, why };
    (attack.links ??= []).push(toAttack);
    (outage.links ??= []).push(toOutage);
    await this.o.store.updateIncident(attack);
    await this.o.store.updateIncident(outage);
    const found: Said = said(
      `The cause was found and blocked: an attack from ${ban.address} (attack incident #${attack.id}).`,
      `原因を特定し、遮断しました: ${ban.address} からの攻撃です（インシデント番号 #${attack.id}）。`,
    );
    const explains: Said = said(`This attack explains incident #${outage.id}.`, `この攻撃がインシデント #${outage.id} の原因です。`);
    await this.o.store.appendIncidentEvent({ incidentId: outage.id, at: now, kind: 'linked', text: `explained by attack incident #${attack.id}: ${why}`, data: { incident: attack.id, relation: 'explained-by', address: ban.address, port: ban.port ?? null, say: found } });
    await this.o.store.appendIncidentEvent({ incidentId: attack.id, at: now, kind: 'linked', text: `explains incident #${outage.id}: ${what}`.slice(0, 500), data: { incident: outage.id, relation: 'explains', address: ban.address, port: ban.port ?? null, say: explains } });
    this.o.log.warn({ incident: outage.id, attack: attack.id, target: outage.target }, `incident #${outage.id} is explained by attack incident #${attack.id}: ${why}`);
    // An outage that recovered meanwhile was told its recovery already: the link stays in its timeline.
    const news: IncidentNews[] = outage.status === 'open' ? [{ incident: outage, event: 'update', changes: [found], level: 0 }] : [];
    const policy = this.o.policy();
    if (policy !== 'none') {
      news.push({ incident: attack, event: this.told.has(attack.id) ? 'update' : 'open', changes: [explains], level: 0 });
      this.told.add(attack.id);
    }
    return news;
  }

  /** The target's attack incident whose bans are still coming, if any. */
  private currentAttack(target: string, now: number): IncidentRecord | undefined {
    const inc = this.current.get(target);
    if (inc && this.digest.active(inc, now)) return inc;
    this.current.delete(target);
    return undefined;
  }

  /** Keeps an attack incident where an outage starting later finds it (bounded, ended ones dropped). */
  private remember(inc: IncidentRecord, now: number): void {
    const list = this.live(inc.target, now).filter((x) => x.id !== inc.id);
    list.push(inc);
    while (list.length > KEPT_ATTACKS) {
      const gone = list.shift()!;
      this.told.delete(gone.id);
    }
    this.recent.set(inc.target, list);
  }

  /** The target's attack incidents with a ban that may still be in force. */
  private live(target: string, now: number): IncidentRecord[] {
    const list: IncidentRecord[] = [];
    for (const inc of this.recent.get(target) ?? []) {
      if (inc === this.current.get(target) || inc.attack!.bans.some((b) => inForce(b, now))) list.push(inc);
      else this.told.delete(inc.id);
    }
    this.recent.set(target, list);
    return list;
  }
}
