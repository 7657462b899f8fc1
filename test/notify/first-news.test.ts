/**
 * A problem fixed before its first message went out (opened and recovered in one settle window)
 * is told once, as "stopped working and works again", never as a bare "works again" to a client
 * who never heard it stopped. Through the real Dispatcher, compose and a webhook peer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemClock } from '../../src/core/clock.ts';
import type { IncidentRecord } from '../../src/core/incident.ts';
import { silentLogger } from '../../src/core/log.ts';
import { contactSchema } from '../../src/notify/contacts.ts';
import { Dispatcher } from '../../src/notify/dispatch.ts';
import { until } from '../helpers/wait.ts';
import { recordingServer } from './peers.ts';

const T0 = Date.now();
const member = (recoveredAt?: number) => ({ key: 'web1/http', kind: 'service' as const, probe: 'http', label: 'http', state: recoveredAt ? 'OK' : 'CRITICAL', text: recoveredAt ? 'HTTP OK' : 'connect to address 10.0.0.10 and port 80: Connection refused', since: T0, ...(recoveredAt ? { recoveredAt } : {}) });

test('opened and recovered before anyone was told: one message, "stopped and works again"', async () => {
  const peer = await recordingServer();
  try {
    const contact = contactSchema.parse({ name: 'client', language: 'ja', time_zone: 'Asia/Tokyo', channels: [{ type: 'webhook', url: peer.url }] });
    const d = new Dispatcher({ contacts: [contact], templates: {}, settleMs: 200, secret: () => undefined, log: silentLogger, clock: systemClock, target: () => undefined, record: async () => {}, details: async () => ({ records: [] }) } as never);
    const open: IncidentRecord = { id: 7, target: 'web1', status: 'open', severity: 'critical', title: 'web1: http CRITICAL', openedAt: T0, resolvedAt: null, updatedAt: T0, members: [member()] };
    d.enqueue({ incident: open, event: 'open', changes: [], level: 0 });
    // The incidents room updates its record in place (one object per incident), as here.
    Object.assign(open, { status: 'resolved', resolvedAt: T0 + 100, members: [member(T0 + 100)] });
    d.enqueue({ incident: open, event: 'recovered', changes: [], level: 0 });
    await until('the message', () => peer.requests.length > 0);
    await new Promise((r) => setTimeout(r, 500));
    await d.stop();
    assert.equal(peer.requests.length, 1, 'one message');
    const body = JSON.parse(peer.requests[0]!.body) as { subject: string; text: string };
    assert.match(body.subject, /^【復旧】web1: web1 のウェブサイト（HTTP）が停止していましたが、復旧しました$/, body.subject);
    assert.doesNotMatch(body.text, /^web1 のウェブサイト（HTTP）は復旧しました。$/m, 'never a bare "works again"');
  } finally {
    await peer.close();
  }
});
