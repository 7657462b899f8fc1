/** Store contract, incidents part: records come back field for field, the timeline is append-only and ordered. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IncidentRecord } from '../../src/core/incident.ts';
import { T0, cannotReopen, withStores, type HarnessFactory } from './contract.ts';

export function runIncidentsContract(factory: HarnessFactory): void {
  test('incidents: created with increasing ids, updated in place, listed newest first and by status', (t) =>
    withStores(factory, async (open, h) => {
      const store = await open();
      const base: Omit<IncidentRecord, 'id'> = {
        target: 'web1',
        status: 'open',
        severity: 'critical',
        title: 'web1: HTTP CRITICAL - Connection refused',
        openedAt: T0,
        resolvedAt: null,
        updatedAt: T0,
        members: [{ key: 'web1/http', kind: 'service', probe: 'http', label: 'http', state: 'CRITICAL', text: 'connect to address 10.0.0.1 and port 80: Connection refused', since: T0 }],
      };
      const a = await store.createIncident(base);
      const b = await store.createIncident({ ...base, target: 'db1', title: 'db1: MYSQL CRITICAL', members: [] });
      assert.ok(b.id > a.id);
      assert.deepEqual(await store.incident(a.id), a);
      const resolved: IncidentRecord = { ...a, status: 'resolved', severity: 'ok', resolvedAt: T0 + 90_000, updatedAt: T0 + 90_000, members: [{ ...a.members[0]!, state: 'OK', recoveredAt: T0 + 90_000 }] };
      await store.updateIncident(resolved);
      assert.deepEqual(await store.incident(a.id), resolved);
      assert.deepEqual(await store.incidents(), [b, resolved]);
      assert.deepEqual(await store.incidents({ status: 'open' }), [b]);
      assert.deepEqual(await store.incidents({ limit: 1 }), [b]);
      assert.equal(await store.incident(b.id + 100), undefined);
      await assert.rejects(store.updateIncident({ ...b, id: b.id + 100 }), /no incident/);

      const e1 = await store.appendIncidentEvent({ incidentId: a.id, at: T0, kind: 'opened', text: 'HTTP CRITICAL - Connection refused' });
      const e2 = await store.appendIncidentEvent({ incidentId: a.id, at: T0 + 1_000, kind: 'notified', text: 'ops by email: 250 Ok', data: { attempts: [{ at: T0 + 1_000, ok: true }] } });
      await store.appendIncidentEvent({ incidentId: b.id, at: T0, kind: 'opened', text: 'other incident' });
      assert.deepEqual(await store.incidentEvents(a.id), [e1, e2]);
      assert.equal(e1.data, undefined);

      if (cannotReopen(t, h)) return;
      await store.close();
      const again = await open();
      assert.deepEqual(await again.incidentEvents(a.id), [e1, e2], 'the timeline survives a restart');
      assert.deepEqual(await again.incidents({ status: 'open' }), [b]);
    }));

  test('incidents: an attack incident keeps its kind, its bans and its links to the outage it explains', (t) =>
    withStores(factory, async (open, h) => {
      const store = await open();
      const outage = await store.createIncident({ target: 'acc-srv', status: 'open', severity: 'critical', title: 'acc-srv: pop3 CRITICAL', openedAt: T0, resolvedAt: null, updatedAt: T0, members: [] });
      const ban = { address: '10.233.0.3', jail: 'pop3', tried: 'pop3', failures: 5, windowMs: 600_000, port: 110, until: T0 + 600_000, at: T0 + 1_000, country: 'CN' };
      const attack = await store.createIncident({ target: 'acc-srv', status: 'resolved', severity: 'warning', title: 'acc-srv: attack blocked', openedAt: T0 + 1_000, resolvedAt: T0 + 1_000, updatedAt: T0 + 1_000, members: [], kind: 'attack', attack: { bans: [ban], total: 1 } });
      assert.deepEqual(await store.incident(attack.id), attack);
      const linked = { ...attack, links: [{ incident: outage.id, relation: 'explains' as const, at: T0 + 2_000, why: '10.233.0.3 banned on port 110', check: { probe: 'pop3', label: 'pop3' } }] };
      await store.updateIncident(linked);
      const explained = { ...outage, links: [{ incident: attack.id, relation: 'explained-by' as const, at: T0 + 2_000, why: '10.233.0.3 banned on port 110' }] };
      await store.updateIncident(explained);
      assert.deepEqual(await store.incident(attack.id), linked);
      assert.deepEqual(await store.incident(outage.id), explained);
      assert.equal((await store.incident(outage.id))!.kind, undefined, 'an outage reads back without a kind (absent means outage)');
      if (cannotReopen(t, h)) return;
      await store.close();
      const again = await open();
      assert.deepEqual(await again.incidents(), [linked, explained], 'kind, bans and links survive a restart');
    }));
}

export function runBansContract(factory: HarnessFactory): void {
  test('bans: saved by address, port and protocol, replaced, listed, expired and removed', (t) =>
    withStores(factory, async (open, h) => {
      const store = await open();
      const attacker = { address: '178.216.51.67', port: 110, proto: 'tcp' as const, jail: 'pop3', reason: '5 failures (vpopmail) in 10m', createdAt: T0, until: T0 + 600_000, banCount: 1, enrichment: { country: 'RU', owner: 'Example Net' } };
      const net6 = { address: '2001:db8:1:2::/64', jail: 'ssh', reason: '3 failures (sshd) in 10m', createdAt: T0 + 1, banCount: 2 };
      await store.saveBan(attacker);
      await store.saveBan(net6);
      await store.saveBan({ ...attacker, port: undefined, proto: undefined, until: T0 + 60_000, reason: 'all ports' });
      // Same start time: ordered by address, then port.
      assert.deepEqual(await store.bans(), [{ address: '178.216.51.67', jail: 'pop3', reason: 'all ports', createdAt: T0, until: T0 + 60_000, banCount: 1, enrichment: { country: 'RU', owner: 'Example Net' } }, attacker, net6]);
      const longer = { ...attacker, until: T0 + 1_200_000, banCount: 2 };
      await store.saveBan(longer);
      assert.deepEqual((await store.bans({ activeAt: T0 + 120_000 })).map((b) => [b.address, b.port, b.until]), [['178.216.51.67', 110, T0 + 1_200_000], ['2001:db8:1:2::/64', undefined, undefined]]);
      assert.equal(await store.expireBans(T0 + 120_000), 1, 'the all-ports ban ended');
      if (!cannotReopen(t, h)) {
        await store.close();
        const again = await open();
        assert.deepEqual((await again.bans()).map((b) => b.address), ['178.216.51.67', '2001:db8:1:2::/64'], 'bans survive a restart');
        assert.equal(await again.removeBans('178.216.51.67'), 1);
        assert.deepEqual((await again.bans()).map((b) => b.address), ['2001:db8:1:2::/64']);
      }
    }));
}
