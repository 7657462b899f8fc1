/**
 * GET /api/v1/events on a real daemon: a check's state change, an incident opening and a ban
 * reach the readers who may see them and no one else (a viewer of client-a never hears of
 * client-b's targets, nor of bans, which belong to no target); a principal may hold 16 streams
 * and no more; with 20 streams open the scheduler keeps running checks and every stream still
 * gets the news.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { ADMIN_PASSWORD, login, makeToken, makeUser, withSession, type Console, type Session, startConsole } from './console.ts';

interface Stream {
  status: number;
  events: { type: string; data: Record<string, unknown> }[];
  close(): void;
}

let con: Console;
let admin: Session;
let viewer: Session;
let up: net.Server;
const open: Stream[] = [];

async function stream(headers: Record<string, string>): Promise<Stream> {
  const ac = new AbortController();
  const r = await fetch(`${con.url}/api/v1/events`, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const s: Stream = { status: r.status, events: [], close: () => ac.abort() };
  if (r.status !== 200) return s;
  open.push(s);
  void (async () => {
    let buf = '';
    const dec = new TextDecoder();
    try {
      for await (const chunk of r.body!) {
        buf += dec.decode(chunk as Uint8Array, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const type = /^event: (.+)$/m.exec(frame)?.[1];
          const data = /^data: (.+)$/m.exec(frame)?.[1];
          if (type && data) s.events.push({ type, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    } catch {
      // aborted
    }
  })();
  return s;
}

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const run = async (id: string) => assert.equal((await fetch(`${con.url}/api/v1/checks/${id}/run`, withSession(admin, { method: 'POST', json: {} }))).status, 200);
const checkNews = (s: Stream, id: string) => s.events.filter((e) => e.type === 'check' && e.data.id === id);

before(async () => {
  up = net.createServer((c) => c.end());
  await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
  // Two ports nothing listens on (two: one port on one address would make kappa and zeta twins, one incident).
  const probes = [net.createServer(), net.createServer()];
  for (const p of probes) await new Promise<void>((r) => p.listen(0, '127.0.0.1', r));
  const [deadA, dead] = probes.map((p) => (p.address() as AddressInfo).port);
  for (const p of probes) await new Promise<void>((r) => p.close(() => r()));
  con = await startConsole({
    extraConfig: `  - name: kappa
    address: 127.0.0.1
    tags: [client-a]
    checks:
      - { type: tcp, name: down, port: ${deadA} }
  - name: zeta
    address: 127.0.0.1
    tags: [client-b]
    checks:
      - { type: tcp, name: down, port: ${dead}, max_attempts: 1 }
  - name: fast
    address: 127.0.0.1
    tags: [client-b]
    checks:
      - { type: tcp, name: up, port: ${(up.address() as AddressInfo).port}, interval: 200ms }
guard: { firewall: { type: dry-run } }
`,
  });
  admin = await login(con.url, 'admin', ADMIN_PASSWORD);
  await makeUser(con.url, admin, { name: 'aoi', role: 'viewer', password: 'viewer password long', scope: { targets: [], tags: ['client-a'] } });
  viewer = await login(con.url, 'aoi', 'viewer password long');
});
after(async () => {
  for (const s of open) s.close();
  await con?.stop();
  up?.close();
});

test('a viewer of client-a hears of its targets and never of client-b or bans; the admin hears of all', async (t) => {
  const mine = await stream({ cookie: viewer.cookie });
  const all = await stream({ cookie: admin.cookie });
  t.after(() => {
    mine.close();
    all.close();
  });
  assert.equal(mine.status, 200);
  await until('both streams open', () => mine.events.some((e) => e.type === 'hello') && all.events.some((e) => e.type === 'hello'));
  // Failing checks: every run is news (an OK check that stays OK is not).
  await run('kappa/down');
  await run('zeta/down');
  await until('the admin hears of kappa and zeta', () => ['kappa/down', 'zeta/down'].every((id) => checkNews(all, id).length > 0));
  // zeta fails at its first attempt: its incident opens (perhaps before the streams did, if the
  // scheduler ran zeta first); acknowledging it is news of that incident either way.
  let id: number | undefined;
  for (let i = 0; i < 300 && id === undefined; i++) {
    const open = (await (await fetch(`${con.url}/api/v1/incidents?open=1`, withSession(admin))).json()) as { items: { id: number; target: string }[] };
    id = open.items.find((x) => x.target === 'zeta')?.id;
    if (id === undefined) await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(id !== undefined, 'an open incident for zeta');
  const ack = await fetch(`${con.url}/api/v1/incidents/${id}/ack`, withSession(admin, { method: 'POST', json: { comment: 'on it' } }));
  assert.equal(ack.status, 200);
  await until('the admin hears of zeta\'s incident', () => all.events.some((e) => e.type === 'incident' && e.data.target === 'zeta' && e.data.id === id));
  const r = await fetch(`${con.url}/api/v1/bans`, withSession(admin, { method: 'POST', json: { address: '192.0.2.55', for_seconds: 60 } }));
  assert.equal(r.status, 201);
  await until('the admin hears of the ban', () => all.events.some((e) => e.type === 'ban' && e.data.address === '192.0.2.55'));
  await until('the viewer hears of kappa', () => checkNews(mine, 'kappa/down').length > 0);
  assert.equal(checkNews(all, 'zeta/down')[0]!.data.bucket, 'CRITICAL');
  assert.equal(checkNews(mine, 'kappa/down')[0]!.data.bucket, 'CRITICAL');
  // Everything the viewer got is about client-a's targets (or the stream itself): no zeta, no ban.
  assert.ok(mine.events.filter((e) => e.type !== 'hello').every((e) => e.data.target === 'alpha' || e.data.target === 'kappa'), JSON.stringify(mine.events));
  assert.ok(!mine.events.some((e) => e.type === 'ban'));
  // Acknowledged: the overview shows zeta's problem as handled.
  const html = await (await fetch(`${con.url}/?target=zeta`, { headers: { cookie: admin.cookie } })).text();
  assert.match(html, /data-check="zeta\/down" data-bucket="handled"[\s\S]*?acknowledged/);
  mine.close();
  all.close();
});

test('20 open streams: 16 per principal at most, the scheduler keeps running, every stream gets the news', async () => {
  await until('the streams of the test before are closed', () => con.daemon.live.streams === 0);
  const streams: Stream[] = [];
  for (let i = 0; i < 16; i++) streams.push(await stream({ cookie: admin.cookie }));
  assert.ok(streams.every((s) => s.status === 200));
  const refused = await stream({ cookie: admin.cookie });
  assert.equal(refused.status, 429);
  const token = await makeToken(con.url, admin, { name: 'wall', role: 'viewer' });
  for (let i = 0; i < 4; i++) streams.push(await stream({ authorization: `Bearer ${token}` }));
  assert.equal(streams.filter((s) => s.status === 200).length, 20);
  await until('every stream is open', () => streams.every((s) => s.events.some((e) => e.type === 'hello')));

  const lastCheck = async () => ((await (await fetch(`${con.url}/api/v1/checks/fast/up`, withSession(admin))).json()) as { last_check: string | null }).last_check;
  const seen = new Set<string | null>();
  for (let i = 0; i < 5; i++) {
    await run('zeta/down');
    seen.add(await lastCheck());
    await new Promise((r) => setTimeout(r, 300));
  }
  // The 200 ms check ran again and again while 20 streams were open.
  seen.delete(null);
  assert.ok(seen.size >= 3, `the fast check ran ${seen.size} times`);
  await until('every stream heard of zeta/down several times', () => streams.every((s) => checkNews(s, 'zeta/down').length >= 2));
  for (const s of streams) s.close();
  // Closed streams free their places.
  let again = await stream({ cookie: admin.cookie });
  for (let i = 0; i < 50 && again.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    again = await stream({ cookie: admin.cookie });
  }
  assert.equal(again.status, 200);
});
