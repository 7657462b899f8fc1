/**
 * A dead SNMP agent is one piece of news (issue 13, item 2): the readings it serves (disk, mail
 * queue) that fail with it join its incident quietly, and its return is told once, with them,
 * not as an update while they are still to be read again. On the real IncidentManager and SQLite.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { IncidentManager } from '../../src/incidents/manager.ts';
import { agentCause } from '../../src/notify/templates/cause.ts';
import type { EngineEvent, Subject } from '../../src/state/engine.ts';
import { stores } from '../../src/store/index.ts';

const root = mkdtempSync(join(tmpdir(), 'mamoru-agent-quiet-'));
after(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 0, 19, 12);
const silent = 'Timeout: No Response from 10.0.0.10:161 after 2 seconds';
const agent: Subject = { kind: 'service', checkId: 'srv/snmpd', name: 'snmpd', probe: 'snmp' };
const disk: Subject = { kind: 'service', checkId: 'srv/disk-snmp', name: 'disk-snmp', probe: 'disk-snmp' };
const problem = (subject: Subject, state: string, text: string): EngineEvent => ({ type: 'problem', target: 'srv', subject, state, text, level: 0 });
const recovery = (subject: Subject, text: string): EngineEvent => ({ type: 'recovery', target: 'srv', subject, state: 'OK', text, level: 0 });

for (const quiet of [true, false]) {
  test(`agent dead, disk unreadable with it, agent back, disk back: ${quiet ? 'open + recovered only' : 'without the rule, two updates more'}`, async () => {
    const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path: join(root, `${quiet}.db`) }), { log: silentLogger });
    try {
      const m = new IncidentManager({ store, coolDownMs: 60_000, log: silentLogger, ...(quiet ? { cause: agentCause } : {}) });
      const news: string[] = [];
      const step = async (e: EngineEvent, at: number) => news.push(...(await m.handle([e], T0 + at)).map((n) => n.event));
      await step(problem(agent, 'UNKNOWN', `SNMP UNKNOWN - ${silent}`), 0);
      await step(problem(disk, 'UNKNOWN', `DISK UNKNOWN - ${silent}`), 1_000);
      await step(recovery(agent, 'SNMP OK - 18'), 5_000);
      await step(recovery(disk, 'DISK OK [Disk use 9% /]'), 6_000);
      assert.deepEqual(news, quiet ? ['open', 'recovered'] : ['open', 'update', 'update', 'recovered']);
      const inc = m.current('srv')!;
      assert.deepEqual(inc.members.map((x) => x.key).sort(), ['srv/disk-snmp', 'srv/snmpd'], 'both are in the one incident');
    } finally {
      await store.close();
    }
  });
}

test('a disk really full once the agent is back is news again', async () => {
  const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path: join(root, 'full.db') }), { log: silentLogger });
  try {
    const m = new IncidentManager({ store, coolDownMs: 60_000, log: silentLogger, cause: agentCause });
    await m.handle([problem(agent, 'UNKNOWN', `SNMP UNKNOWN - ${silent}`)], T0);
    await m.handle([problem(disk, 'UNKNOWN', `DISK UNKNOWN - ${silent}`)], T0 + 1_000);
    await m.handle([recovery(agent, 'SNMP OK - 18')], T0 + 5_000);
    const news = await m.handle([problem(disk, 'CRITICAL', 'DISK CRITICAL - [Disk use 97% /]')], T0 + 6_000);
    assert.deepEqual(news.map((n) => n.event), ['update']);
  } finally {
    await store.close();
  }
});
