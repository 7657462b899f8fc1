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
}
