/**
 * What the console's incident, guard and notification pages get from the daemon (daemon-web.ts
 * hands these over with the rest of WebDeps): incidents with every timeline record and its facts,
 * the bans with who the address is and the log line that earned them, the allow list in force,
 * every delivery (the timeline's `notified`/`notify-failed` and the outbox's messages in flight),
 * and a test message per contact like `mamoru notify test`. Unfiltered: scoping is the routes' job.
 */
import type { Config } from './config/schema.ts';
import { systemClock } from './core/clock.ts';
import type { IncidentRecord } from './core/incident.ts';
import type { Logger } from './core/log.ts';
import { formatCidr } from './guard/address.ts';
import { AllowList } from './guard/allow.ts';
import { channelLabel, type ChannelConfig } from './notify/contacts.ts';
import { Dispatcher } from './notify/dispatch.ts';
import type { Store } from './store/types.ts';
import type { WebDeps } from './web/deps.ts';
import { banOrder } from './web/console-guard.tsx';
import type { DeliveryView, GuardBan, IncidentRow } from './web/types.ts';

export interface ConsoleParts {
  config(): Config;
  secret(name: string): string;
  store: Store;
  log: Logger;
  /**
   * Moves whenever an incident, ban or delivery is written (web/live.ts LiveHub.revision): the
   * guard view is built again only then (or when a ban in it ends, or after GUARD_VIEW_MAX_MS).
   * Without it the view is built for every request.
   */
  revision?: () => number;
}

/** The parts of WebDeps built here. */
export type ConsoleDeps = Pick<WebDeps, 'incidentStory' | 'guardView' | 'banRefusal' | 'deliveries' | 'contacts' | 'testContact'>;

// Deliveries and bans are read from the timelines of this many newest incidents.
const RECENT_INCIDENTS = 200;
const ATTACKS_READ = 60;
// The guard view reads this many attack timelines between two turns of the event loop.
const YIELD_EVERY = 15;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
// A kept guard view is built again after this long even when nothing was written through the
// store the daemon holds (the store's own pruning of old bans is not news).
const GUARD_VIEW_MAX_MS = 30_000;

const rowOf = (i: IncidentRecord): IncidentRow => ({ id: i.id, target: i.target, kind: i.kind ?? 'outage', status: i.status, severity: i.severity, title: i.title, openedAt: i.openedAt, resolvedAt: i.resolvedAt });
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

export function consoleDeps(p: ConsoleParts): ConsoleDeps {
  const { store } = p;
  const allowList = () => new AllowList({ allow: p.config().guard.allow, allow_ssh_session: p.config().guard.allow_ssh_session });

  type GuardView = Awaited<ReturnType<ConsoleDeps['guardView']>>;
  let kept: { rev: number; cfg: Config; view: GuardView; validUntil: number } | undefined;
  let building: { rev: number | undefined; cfg: Config; view: Promise<GuardView> } | undefined;

  // The guard view as built from the store: the newest attacks' bans with their lines, then every
  // stored ban (which tells whether it is in force), sorted as the page lists them.
  async function buildGuardView(now: number): Promise<GuardView> {
    const byKey = new Map<string, GuardBan>();
    const keyOf = (address: string, port: number | null | undefined) => `${address}|${port ?? ''}`;
    const attacks = (await store.incidentPage({ kind: 'attack', limit: ATTACKS_READ })).items;
    // Oldest attack first, so a later ban of the same address tells its latest facts.
    for (const [n, inc] of attacks.reverse().entries()) {
      // The store answers synchronously: give the scheduler's due timers a turn now and then.
      if (n % YIELD_EVERY === YIELD_EVERY - 1) await nextTurn();
      const lines = new Map<string, string[]>();
      for (const e of await store.incidentEvents(inc.id)) {
        const d = e.data ?? {};
        if (e.kind !== 'ban' || typeof d.address !== 'string' || typeof d.line !== 'string') continue;
        const k = keyOf(d.address, typeof d.port === 'number' ? d.port : null);
        // The lines that counted toward the ban (d.lines, the last few), else the one that tipped it.
        const earned = Array.isArray(d.lines) && d.lines.every((l) => typeof l === 'string') ? (d.lines as string[]) : [d.line];
        lines.set(k, [...(lines.get(k) ?? []), ...earned].slice(-5));
      }
      for (const b of inc.attack?.bans ?? []) {
        const k = keyOf(b.address, b.port);
        const was = byKey.get(k);
        byKey.set(k, {
          address: b.address,
          port: b.port ?? null,
          proto: b.port === undefined ? null : 'tcp',
          jail: b.jail,
          reason: was?.reason ?? `${b.failures ?? '?'} failures (${b.tried})`,
          active: false,
          firstSeen: Math.min(was?.firstSeen ?? b.at, b.at),
          lastSeen: Math.max(was?.lastSeen ?? b.at, b.at),
          until: b.until ?? null,
          banCount: (was?.banCount ?? 0) + 1,
          country: b.country ?? was?.country ?? null,
          countryName: b.countryName ?? was?.countryName ?? null,
          owner: b.owner ?? was?.owner ?? null,
          network: b.network ?? was?.network ?? null,
          target: inc.target,
          incident: inc.id,
          lines: [...(was?.lines ?? []), ...(lines.get(k) ?? [])].slice(-5),
        });
      }
    }
    await nextTurn();
    for (const b of await store.bans()) {
      const k = keyOf(b.address, b.port);
      const was = byKey.get(k);
      const e = b.enrichment ?? {};
      byKey.set(k, {
        address: b.address,
        port: b.port ?? null,
        proto: b.port === undefined ? null : (b.proto ?? 'tcp'),
        jail: b.jail,
        reason: b.reason,
        active: b.until === undefined || b.until > now,
        firstSeen: Math.min(was?.firstSeen ?? b.createdAt, b.createdAt),
        lastSeen: Math.max(was?.lastSeen ?? b.createdAt, b.createdAt),
        until: b.until ?? null,
        banCount: Math.max(b.banCount, was?.banCount ?? 0),
        country: str(e.country) ?? was?.country ?? null,
        countryName: str(e.countryName) ?? was?.countryName ?? null,
        owner: str(e.owner) ?? str(e.netName) ?? was?.owner ?? null,
        network: str(e.network) ?? was?.network ?? null,
        target: was?.target ?? null,
        incident: was?.incident ?? null,
        lines: was?.lines ?? [],
      });
    }
    // Every ban (the stored ones and those of the newest attacks): the page shows ~100 at a time
    // (console-guard.tsx guardSlice) and counts over all of them.
    await nextTurn();
    const bans = [...byKey.values()].sort(banOrder);
    return { bans, allow: allowList().entries().map((e) => ({ cidr: formatCidr(e.cidr), why: e.why })) };
  }

  return {
    incidentStory: async (id) => {
      const i = await store.incident(id);
      if (!i) return undefined;
      const records = (await store.incidentEvents(id)).map((e) => ({ at: e.at, kind: e.kind, text: e.text, data: e.data }));
      return {
        ...rowOf(i),
        members: i.members.map((m) => ({ key: m.key, kind: m.kind, probe: m.probe, label: m.label, state: m.state, text: m.text, since: m.since, recoveredAt: m.recoveredAt })),
        links: (i.links ?? []).map((l) => ({ incident: l.incident, relation: l.relation, why: l.why })),
        records,
      };
    },

    guardView: async () => {
      // The view reads 60 timelines and every ban (tens of ms of synchronous SQLite at 2,000 bans,
      // the longest block of the console's pages while the scheduler waits): built once and
      // shared while no incident or ban was written, no ban in it has ended and the config (its
      // allow list) is the same. Requests that come while it is being built wait for that build.
      const now = Date.now();
      const rev = p.revision?.();
      const cfg = p.config();
      if (kept && rev !== undefined && kept.rev === rev && kept.cfg === cfg && now < kept.validUntil) return kept.view;
      if (building && building.rev === rev && building.cfg === cfg) return building.view;
      const view = buildGuardView(now);
      building = { rev, cfg, view };
      try {
        const v = await view;
        // Valid until the first ban in force ends (it then shows as ended), at most GUARD_VIEW_MAX_MS.
        const ends = v.bans.reduce((m, b) => (b.active && b.until !== null && b.until < m ? b.until : m), now + GUARD_VIEW_MAX_MS);
        if (rev !== undefined) kept = { rev, cfg, view: v, validUntil: ends };
        return v;
      } finally {
        if (building?.view === view) building = undefined;
      }
    },

    banRefusal: (address) => allowList().refusal(address),

    deliveries: async ({ limit }) => {
      const out: DeliveryView[] = [];
      const targets = new Map<number, string>();
      for (const inc of await store.incidents({ limit: RECENT_INCIDENTS })) {
        targets.set(inc.id, inc.target);
        for (const e of await store.incidentEvents(inc.id)) {
          if (e.kind !== 'notified' && e.kind !== 'notify-failed') continue;
          const d = e.data ?? {};
          const attempts = Array.isArray(d.attempts) ? (d.attempts as Record<string, unknown>[]).slice(0, 20).map((a) => ({ at: Number(a.at), ok: a.ok === true, status: typeof a.status === 'number' ? a.status : undefined, error: str(a.error) ?? undefined })) : [];
          out.push({
            incident: inc.id,
            target: inc.target,
            at: e.at,
            status: e.kind === 'notified' ? 'delivered' : 'failed',
            contact: str(d.contact) ?? '?',
            channel: str(d.channel) ?? '?',
            subject: str(d.subject) ?? e.text,
            attempts,
            error: e.kind === 'notify-failed' ? ([...attempts].reverse().find((a) => a.error)?.error ?? e.text) : null,
          });
        }
      }
      // What is being sent right now (written before it left, not final yet).
      const pending = await store.pendingOutbox(200);
      const contacts = new Map(p.config().contacts.map((c) => [c.name, c]));
      for (const d of pending.deliveries) {
        if (d.status !== 'sending') continue;
        const news = pending.news.find((n) => n.id === d.newsId);
        if (!news) continue;
        const target = targets.get(news.incidentId) ?? (await store.incident(news.incidentId))?.target ?? '?';
        const ch = contacts.get(d.contact)?.channels[d.channel] as ChannelConfig | undefined;
        out.push({ incident: news.incidentId, target, at: d.at, status: 'sending', contact: d.contact, channel: ch ? channelLabel(ch) : `#${d.channel + 1}`, subject: news.event, attempts: [], error: null });
      }
      return out.sort((a, b) => b.at - a.at).slice(0, limit);
    },

    contacts: () => p.config().contacts.map((c) => ({ name: c.name, language: c.language, channels: c.channels.map((ch) => channelLabel(ch as ChannelConfig)), targets: [...c.targets], tags: [...c.tags] })),

    testContact: async (name) => {
      const cfg = p.config();
      if (!cfg.contacts.some((c) => c.name === name)) return undefined;
      // As `mamoru notify test` does: a dispatcher of its own, one attempt per channel, nothing recorded.
      const dispatcher = new Dispatcher({
        contacts: cfg.contacts,
        templates: cfg.templates,
        settleMs: 0,
        delivery: { attempts: 1, baseDelayMs: 1000 },
        secret: (s) => p.secret(s),
        log: p.log.child({ room: 'notify-test' }),
        clock: systemClock,
        target: () => undefined,
        record: async () => {},
      });
      try {
        const results = await dispatcher.test(name);
        return results.map((r) => ({ channel: r.channel, ok: r.record.ok, attempts: r.record.attempts.length, error: r.record.ok ? null : (r.record.error ?? 'failed') }));
      } finally {
        await dispatcher.stop(0);
      }
    },
  };
}
