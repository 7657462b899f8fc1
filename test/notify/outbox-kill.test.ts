/**
 * The durable outbox under SIGKILL (issue 16, points 3 and "a crash never loses a message"): the
 * real daemon as a child process (`node bin/mamoru.js start -c FILE`) watches a TCP service on
 * loopback and tells one contact by e-mail (a real SMTP sink) and by webhook (a local HTTP
 * receiver), with `settle: 3s`. The service is stopped and started again phase by phase; in each
 * phase the daemon is killed at a chosen instant (the news in the outbox and the settle running;
 * the message arriving at a receiver, before mamoru can note it; every delivery noted; at half the
 * settle and again during the settle after the restart), restarted on the same config and store,
 * and each receiver must have the phase's message exactly once. A message that arrived before
 * mamoru could note it may come again, but only with the same idempotency key (webhook
 * `idempotency_key`, e-mail `Message-ID`), which a receiver drops: counted as one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { SMTPServer } from 'smtp-server';
import { mamoruProcess } from '../helpers/cli.ts';
import { until } from '../helpers/wait.ts';
import { parseMail } from './mail.ts';

const SETTLE_MS = 3_000;

/** One message as a receiver got it: which channel, the event, its idempotency key. */
interface Arrival {
  via: 'email' | 'webhook';
  event: string;
  key: string;
  incident: string;
}

let dir: string;
const arrivals: Arrival[] = [];
/** Called as a message arrives, before the receiver answers (a kill here: delivered, not noted). */
let onArrival: ((a: Arrival) => void) | undefined;
let smtp: SMTPServer;
let smtpPort: number;
let hook: http.Server;
let hookPort: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-outbox-kill-'));
  smtp = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const { headers } = parseMail(Buffer.concat(chunks).toString('utf8'));
        const a: Arrival = { via: 'email', event: headers['x-mamoru-event'] ?? '?', key: /^<([^@>]+)@mamoru>$/.exec(headers['message-id'] ?? '')?.[1] ?? `(no key: ${headers['message-id']})`, incident: headers['x-mamoru-incident'] ?? '?' };
        arrivals.push(a);
        onArrival?.(a);
        cb();
      });
    },
  });
  smtp.on('error', () => {});
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  hook = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event: string; idempotency_key?: string; incident_id: string };
      const a: Arrival = { via: 'webhook', event: body.event, key: body.idempotency_key ?? '(no key)', incident: body.incident_id };
      arrivals.push(a);
      onArrival?.(a);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookPort = (hook.address() as AddressInfo).port;
});

after(async () => {
  hook.closeAllConnections();
  await new Promise<void>((r) => hook.close(() => r()));
  await new Promise<void>((r) => smtp.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

/** A TCP service that can be stopped and started again on the same port. */
async function service(): Promise<{ port: number; stop(): Promise<void>; start(): Promise<void> }> {
  let server: net.Server | undefined;
  let port = 0;
  const start = async () => {
    server = net.createServer((s) => {
      s.on('error', () => {});
      s.end();
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  };
  await start();
  return { port, start, stop: () => new Promise<void>((r) => server!.close(() => r())) };
}

interface OutboxRow {
  id: number;
  event: string;
  done: number | null;
}
interface DeliveryRow {
  newsId: number;
  channel: number;
  key: string;
  status: string;
}

/** The outbox as the daemon left it, read from the SQLite file read-only (nothing while it is not made yet). */
function outbox(db: string): { news: OutboxRow[]; deliveries: DeliveryRow[] } {
  let d: BetterSqlite3.Database | undefined;
  try {
    d = new BetterSqlite3(db, { readonly: true, fileMustExist: true });
    return {
      news: d.prepare('select id, event, done_at as done from outbox order by id').all() as OutboxRow[],
      deliveries: d.prepare('select outbox_id as newsId, channel, key, status from outbox_deliveries order by outbox_id, channel').all() as DeliveryRow[],
    };
  } catch {
    return { news: [], deliveries: [] };
  } finally {
    d?.close();
  }
}

test('SIGKILL at every dangerous instant of a message: each receiver gets it exactly once (a repeat only with the same key), recoveries included', { timeout: 600_000 }, async (t) => {
  const web = await service();
  const db = join(dir, 'mamoru.db');
  const file = join(dir, 'mamoru.yaml');
  writeFileSync(
    file,
    `defaults: { interval: 500ms, retry_interval: 250ms, max_attempts: 2, timeout: 1s }
store: { type: sqlite, path: ${db} }
web: { enabled: false }
notifications: { settle: ${SETTLE_MS}ms, delivery: { attempts: 3, base_delay: 200ms } }
targets:
  - name: web1
    address: 127.0.0.1
    checks:
      - { type: tcp, name: http, port: ${web.port} }
contacts:
  - name: ops
    language: en
    channels:
      - { type: email, host: 127.0.0.1, port: ${smtpPort}, tls: none, from: mamoru@example.jp, to: [ops@example.jp] }
      - { type: webhook, url: 'http://127.0.0.1:${hookPort}/hook' }
`,
  );

  let proc: ReturnType<typeof mamoruProcess> | undefined;
  let logs = '';
  const startDaemon = async () => {
    proc = mamoruProcess(['start', '-c', file], { env: { MAMORU_LOG_FORMAT: 'json' } });
    await proc.waitFor(/watching 1 target/, 60_000);
  };
  const kill = async (why: string) => {
    const p = proc!;
    p.child.kill('SIGKILL');
    await p.exited;
    logs += p.output();
    kills.push(why);
  };
  const kills: string[] = [];
  const lastNews = () => outbox(db).news.at(-1)?.id ?? 0;
  /** The phase's news, once it is in the outbox (its settle is running). */
  const newsAfter = (seen: number, event: string) => until(`"${event}" news in the outbox`, () => outbox(db).news.find((n) => n.id > seen && n.event === event), 30_000, 20);
  /** Waits until the outbox owes nothing, then a little longer for a late repeat. */
  const settled = async () => {
    await until('every outbox news done', () => {
      const o = outbox(db);
      return o.news.length > 0 && o.news.every((n) => n.done !== null);
    }, 30_000);
    await new Promise((r) => setTimeout(r, 700));
  };
  /**
   * The phase's messages at each receiver: all of the expected event, one idempotency key per
   * receiver; exactly one message unless a repeat was possible (killed between arrival and note).
   */
  const check = (phase: string, from: number, event: 'open' | 'recovered', repeatAllowed: boolean) => {
    const got = arrivals.slice(from);
    const counts: Record<string, number> = {};
    for (const via of ['email', 'webhook'] as const) {
      const mine = got.filter((a) => a.via === via);
      assert.ok(mine.length >= 1, `${phase}: nothing arrived by ${via}; arrivals: ${JSON.stringify(got)}\n${logs.slice(-3000)}`);
      assert.deepEqual([...new Set(mine.map((a) => a.event))], [event], `${phase}: ${via} got ${JSON.stringify(mine)}`);
      const keys = new Set(mine.map((a) => a.key));
      assert.equal(keys.size, 1, `${phase}: ${via} got ${keys.size} different messages: ${JSON.stringify(mine)}`);
      assert.match([...keys][0]!, /^[0-9a-f]{32}$/, `${phase}: ${via} carries the idempotency key`);
      if (!repeatAllowed) assert.equal(mine.length, 1, `${phase}: ${via} got a repeat: ${JSON.stringify(mine)}`);
      counts[via] = mine.length;
    }
    const emailKey = got.find((a) => a.via === 'email')!.key;
    const hookKey = got.find((a) => a.via === 'webhook')!.key;
    assert.notEqual(emailKey, hookKey, 'each channel its own key');
    t.diagnostic(`${phase}: email ${counts.email} arrival(s), webhook ${counts.webhook} (1 message each)`);
  };

  try {
    await startDaemon();

    // A: the problem's news is in the outbox, the settle is running: killed.
    let from = arrivals.length;
    let seen = lastNews();
    await web.stop();
    await newsAfter(seen, 'open');
    await kill('A: open news kept, during settle');
    assert.equal(arrivals.length, from, 'nothing was sent before the kill');
    await startDaemon();
    await settled();
    check('A (open, killed during settle)', from, 'open', false);

    // B: the recovery's news, killed during its settle (issue 16, point 3).
    from = arrivals.length;
    seen = lastNews();
    await web.start();
    await newsAfter(seen, 'recovered');
    await kill('B: recovered news kept, during settle');
    assert.equal(arrivals.length, from);
    await startDaemon();
    await settled();
    check('B (recovered, killed during settle)', from, 'recovered', false);

    // C: killed the moment the first receiver has the message, before it answers: delivered, not noted.
    from = arrivals.length;
    seen = lastNews();
    let armed = true;
    onArrival = () => {
      if (!armed) return;
      armed = false;
      proc!.child.kill('SIGKILL');
    };
    await web.stop();
    await until('the message arriving', () => !armed, 30_000, 10);
    onArrival = undefined;
    await kill('C: open message arriving, not yet noted');
    await startDaemon();
    await settled();
    check('C (open, killed between arrival and note)', from, 'open', true);

    // D: every delivery noted: killed before the news is marked done (or just after).
    from = arrivals.length;
    seen = lastNews();
    await web.start();
    const d = await newsAfter(seen, 'recovered');
    await until('both deliveries noted', () => outbox(db).deliveries.filter((x) => x.newsId === d.id && x.status === 'delivered').length === 2 || undefined, 30_000, 5);
    await kill('D: recovered message delivered and noted');
    await startDaemon();
    await settled();
    check('D (recovered, killed after delivery was noted)', from, 'recovered', false);

    // E: killed at half the settle, then again during the settle the restart began.
    from = arrivals.length;
    seen = lastNews();
    await web.stop();
    await newsAfter(seen, 'open');
    await new Promise((r) => setTimeout(r, SETTLE_MS / 2));
    await kill('E1: open news kept, half the settle gone');
    await startDaemon();
    await new Promise((r) => setTimeout(r, SETTLE_MS / 3));
    assert.equal(arrivals.length, from, 'the restored news waits for its settle');
    await kill('E2: during the settle after the restart');
    await startDaemon();
    await settled();
    check('E (open, killed twice during settle)', from, 'open', false);

    // F: the recovery, killed when the e-mail arrives (the webhook may or may not have it by then).
    from = arrivals.length;
    seen = lastNews();
    armed = true;
    onArrival = (a) => {
      if (!armed || a.via !== 'email') return;
      armed = false;
      proc!.child.kill('SIGKILL');
    };
    await web.start();
    await until('the e-mail arriving', () => !armed, 30_000, 10);
    onArrival = undefined;
    await kill('F: recovered e-mail arriving, not yet noted');
    await startDaemon();
    await settled();
    check('F (recovered, killed as the e-mail arrived)', from, 'recovered', true);

    // Everything told, nothing owed, and no delivery left as unknown.
    const o = outbox(db);
    assert.ok(o.news.every((n) => n.done !== null));
    assert.ok(o.deliveries.every((x) => x.status === 'delivered'), JSON.stringify(o.deliveries));
    assert.ok(kills.length >= 5);
    t.diagnostic(`${kills.length} kills: ${kills.join('; ')}`);
    t.diagnostic(`${arrivals.length} arrivals, ${new Set(arrivals.map((a) => a.key)).size} distinct messages`);
  } finally {
    onArrival = undefined;
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
    await web.stop().catch(() => {});
  }
});
