/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The console's incident, guard and notification pages and their forms, each route declared in
 * the route table where it is registered. A viewer's scope applies to every list, and anything
 * outside it by id is "not found". A form answers 303 back to its page with a fixed note; every
 * write is audited. The admin pages are pages-console-admin.tsx.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { formatCidr, parseCidr } from '../guard/address.ts';
import { type RouteTable, type WebEnv } from './access.ts';
import { GUARD_PAGE, GuardPage, guardSlice } from './console-guard.tsx';
import { IncidentPage } from './console-incident.tsx';
import { incidentListData, IncidentsPage } from './console-incidents.tsx';
import { NotificationsPage } from './console-notify.tsx';
import type { WebDeps } from './deps.ts';
import { registerAdminPages } from './pages-console-admin.tsx';
import { back, fields, idOf, notFound, page, words, type C } from './pages-console-kit.tsx';
import { readerOf } from './reader.ts';
import { actingName, audit, targetFilter, who } from './scope.ts';

const PAGE_RULE = { api: false } as const;

export function registerConsolePages(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps): void {
  /** The incident when the asker may see it. */
  const story = async (c: C, id: number | undefined) => {
    if (id === undefined) return undefined;
    const s = await deps.incidentStory(id);
    return s && targetFilter(c, deps)(s.target) ? s : undefined;
  };

  table.add({ method: 'GET', path: '/incidents', role: 'viewer', ...PAGE_RULE, summary: 'Incidents (HTML): open first, then newest; filters status and kind; cursor' });
  app.get('/incidents', async (c) => {
    const r = readerOf(c);
    const d = await incidentListData(deps, c.req.query(), who(c).scope !== null ? targetFilter(c, deps) : undefined);
    return page(c, 'incidents', words(r.lang)('Incidents', 'インシデント'), <IncidentsPage r={r} {...d} />);
  });

  table.add({ method: 'GET', path: '/incidents/:id', role: 'viewer', ...PAGE_RULE, summary: 'One incident told as a story, with its approvals, deliveries and timeline (HTML)' });
  app.get('/incidents/:id', async (c) => {
    const s = await story(c, idOf(c.req.param('id')));
    if (!s) return notFound(c, 'incident');
    const r = readerOf(c);
    return page(c, 'incidents', `#${s.id} ${s.title}`, <IncidentPage c={c} s={s} approvals={deps.approvals()} r={r} />);
  });

  table.add({ method: 'POST', path: '/incidents/:id/ack', role: 'operator', body: 'form-or-json', ...PAGE_RULE, summary: 'Acknowledge with a comment (form; 303 to the incident)' });
  app.post('/incidents/:id/ack', async (c) => {
    const s = await story(c, idOf(c.req.param('id')));
    if (!s) return notFound(c, 'incident');
    const f = await fields(c);
    const comment = (f.comment ?? '').trim().slice(0, 500);
    const out = deps.acknowledge(s.id, actingName(c, f.by), comment);
    if (!out.ok) return back(c, `/incidents/${s.id}`, 'ack-refused');
    await audit(c, deps, 'ack', `incident:${s.id}`, comment);
    return back(c, `/incidents/${s.id}`, 'acked');
  });

  table.add({ method: 'POST', path: '/incidents/:id/notes', role: 'operator', body: 'form-or-json', ...PAGE_RULE, summary: 'Add a note to the timeline (form; 303 to the incident)' });
  app.post('/incidents/:id/notes', async (c) => {
    const s = await story(c, idOf(c.req.param('id')));
    if (!s) return notFound(c, 'incident');
    const text = ((await fields(c)).text ?? '').trim().slice(0, 2000);
    if (!text) return back(c, `/incidents/${s.id}`, 'note-empty');
    if (!(await deps.comment(s.id, who(c).name, text))) return notFound(c, 'incident');
    await audit(c, deps, 'comment', `incident:${s.id}`, text);
    return back(c, `/incidents/${s.id}`, 'noted');
  });

  for (const decision of ['approve', 'deny'] as const) {
    const path = `/incidents/:id/approvals/:approval/${decision}`;
    table.add({ method: 'POST', path, role: 'operator', body: 'form-or-json', ...PAGE_RULE, summary: decision === 'approve' ? 'Approve a waiting action of the incident: it runs (form; 303)' : 'Deny a waiting action of the incident (form; 303)' });
    app.post(path, async (c) => {
      const s = await story(c, idOf(c.req.param('id')));
      if (!s) return notFound(c, 'incident');
      const id = c.req.param('approval');
      const a = deps.approvals().find((x) => x.id === id);
      const ofIncident = s.records.some((x) => x.data?.approvalId === id);
      if (!a || !ofIncident || !targetFilter(c, deps)(a.target) || !deps.decide(a.id, decision === 'approve', actingName(c, undefined))) return back(c, `/incidents/${s.id}`, 'approval-gone');
      await audit(c, deps, decision, `approval:${a.id}`, `${a.action} on ${a.target} (incident ${s.id}): ${a.text}`);
      return back(c, `/incidents/${s.id}`, decision === 'approve' ? 'approved' : 'denied');
    });
  }

  table.add({ method: 'GET', path: '/guard', role: 'viewer', ...PAGE_RULE, summary: 'The guard (HTML): bans with country and owner, counts per country and jail, the allow list' });
  app.get('/guard', async (c) => {
    const r = readerOf(c);
    const view = await deps.guardView();
    const whole = who(c).scope === null;
    const see = targetFilter(c, deps);
    // A ban blocks an address for every client: one limited to some targets sees only the bans its own jails made.
    const bans = whole ? view.bans : view.bans.filter((b) => b.target !== null && see(b.target));
    const slice = guardSlice(bans, c.req.query('cursor'), GUARD_PAGE, r.lang);
    return page(c, 'guard', words(r.lang)('Guard', 'ガード'), <GuardPage c={c} r={r} slice={slice} allow={whole ? view.allow : []} manage={whole} />);
  });

  table.add({ method: 'POST', path: '/guard/bans', role: 'operator', body: 'form-or-json', ...PAGE_RULE, summary: 'Ban an address or network by hand (form; 303 to /guard)' });
  app.post('/guard/bans', async (c) => {
    if (who(c).scope !== null) return notFound(c, 'guard for your scope');
    const f = await fields(c);
    const cidr = parseCidr((f.address ?? '').trim());
    const port = f.port ? Number(f.port) : undefined;
    const hours = f.hours ? Number(f.hours) : undefined;
    if (!cidr || (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) || (hours !== undefined && !(hours > 0 && hours <= 24 * 365))) return back(c, '/guard', 'ban-refused');
    const address = formatCidr(cidr);
    if (deps.banRefusal(address)) return back(c, '/guard', 'ban-refused');
    const proto = port === undefined ? undefined : f.proto === 'udp' ? 'udp' : 'tcp';
    const untilMs = hours === undefined ? undefined : Date.now() + hours * 3_600_000;
    const reason = (f.reason ?? '').trim().slice(0, 200) || `banned by ${who(c).name} from the console`;
    await deps.ban({ address, port, proto, untilMs, reason });
    await audit(c, deps, 'ban', `ban:${address}`, `${port ? `port ${proto}/${port} ` : ''}${untilMs ? `until ${new Date(untilMs).toISOString()}` : 'no end'}: ${reason}`);
    return back(c, '/guard', 'banned');
  });

  table.add({ method: 'POST', path: '/guard/unban', role: 'operator', body: 'form-or-json', ...PAGE_RULE, summary: 'Lift every ban of an address or network (form; 303 to /guard)' });
  app.post('/guard/unban', async (c) => {
    if (who(c).scope !== null) return notFound(c, 'guard for your scope');
    const cidr = parseCidr(((await fields(c)).address ?? '').trim());
    if (!cidr) return back(c, '/guard', 'unban-none');
    const address = formatCidr(cidr);
    const removed = await deps.unban(address);
    await audit(c, deps, 'unban', `ban:${address}`, `${removed} stored`);
    return back(c, '/guard', removed ? 'unbanned' : 'unban-none');
  });

  table.add({ method: 'GET', path: '/notifications', role: 'viewer', ...PAGE_RULE, summary: 'Every message sent, to whom, by which channel, delivered or failed with its retries; the contacts (HTML)' });
  app.get('/notifications', async (c) => {
    const r = readerOf(c);
    const see = targetFilter(c, deps);
    const whole = who(c).scope === null;
    const list = (await deps.deliveries({ limit: 2000 })).filter((d) => see(d.target)).slice(0, 300);
    return page(c, 'notifications', words(r.lang)('Notifications', '通知'), <NotificationsPage c={c} r={r} deliveries={list} contacts={whole ? deps.contacts() : []} />);
  });

  table.add({ method: 'POST', path: '/notifications/test', role: 'operator', body: 'form-or-json', ...PAGE_RULE, summary: 'Send a test message to a contact through each of its channels (form; 303 to /notifications)' });
  app.post('/notifications/test', async (c) => {
    if (who(c).scope !== null) return notFound(c, 'contact');
    const name = ((await fields(c)).contact ?? '').slice(0, 100);
    const out = await deps.testContact(name);
    if (!out) return notFound(c, 'contact');
    await audit(c, deps, 'notify-test', `contact:${name}`, out.map((o) => `${o.channel}: ${o.ok ? 'delivered' : `failed: ${o.error}`}`).join('; '));
    return back(c, '/notifications', out.every((o) => o.ok) ? 'test-ok' : 'test-failed');
  });

  registerAdminPages(app, table, deps);
}
