/**
 * Every timeline record carries the time its step happened (issue 13, item 8): a runbook and the
 * start it proposes, run by respond() on this machine with the local executor, on a fake clock
 * that moves one second with every command the server runs (a slow server), recorded into the
 * real IncidentManager on a real SQLite file the way the daemon does. An action's records reach
 * the timeline only once it has ended; they must not all read as that one moment.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createGuard, policySchema } from '../../src/actions/policy.ts';
import { serviceSchema } from '../../src/actions/service-config.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/log.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { createLocalExecutor } from '../../src/executors/local.ts';
import type { Executor } from '../../src/executors/types.ts';
import { IncidentManager } from '../../src/incidents/manager.ts';
import { respond } from '../../src/runbooks/run.ts';
import { stores } from '../../src/store/index.ts';
import { classify } from '../../src/triage/index.ts';
import { freePort } from '../helpers/nginx.ts';

const root = mkdtempSync(join(tmpdir(), 'mamoru-timeline-times-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A port nothing listens on (the service is down). */

/** This machine, where every command and every file read takes one second of the fake clock. */
function slowServer(clock: FakeClock): Executor {
  const local = createLocalExecutor();
  return {
    name: local.name,
    run: async (argv, opts) => {
      const r = await local.run(argv, opts);
      await clock.advance(1000);
      return r;
    },
    readFile: async (path, opts) => {
      try {
        return await local.readFile(path, opts);
      } finally {
        await clock.advance(1000);
      }
    },
    close: () => local.close(),
  };
}

test('a runbook and its start: every stored timeline record has the time its step happened, distinct and increasing, not the time it was written', async () => {
  const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path: join(root, 'mamoru.db') }), { log: silentLogger });
  try {
    const clock = new FakeClock();
    const incidents = new IncidentManager({ store, coolDownMs: 300_000, log: silentLogger });
    const port = await freePort();
    const errorLog = join(root, 'smtp-error.log');
    writeFileSync(errorLog, 'fatal: cannot bind port: Address already in use\n');
    // Down, with a start command that does not bring it back: the action looks, starts, verifies and escalates.
    const service = serviceSchema.parse({ name: 'mamoru-timeline-smtp', manager: 'command', ports: [port], start: ['true'], error_log: errorLog, page_timeout: '1s', start_timeout: '1s' });
    const [opened] = await incidents.handle([{ type: 'problem', target: 'local', subject: { kind: 'service', checkId: 'local/smtp', name: 'smtp', probe: 'smtp' }, state: 'CRITICAL', text: 'Connection refused', level: 0 }], clock.now());
    const inc = opened!.incident;
    const t0 = clock.now();
    const triage = classify({ probeType: 'smtp', state: NagiosState.CRITICAL, text: `connect to address 127.0.0.1 and port ${port}: Connection refused`, check: 'smtp' });
    assert.equal(triage.runbook, 'service-down');

    const res = await respond(
      {
        executor: slowServer(clock),
        address: '127.0.0.1',
        target: 'local',
        service,
        clock,
        guard: createGuard(policySchema.parse({ mode: 'auto' }), clock),
        // As the daemon records them (daemon-alerts.ts): each record with its own time.
        recorder: { record: (r) => incidents.record(inc.id, r.kind, r.text, r.data, r.at ?? clock.now()) },
      },
      triage,
    );
    assert.equal(res.actions[0]?.request.type, 'start-service');
    assert.equal(res.actions[0]?.outcome.status, 'escalate', JSON.stringify(res.actions[0]?.outcome, null, 1));

    const stored = (await store.incidentEvents(inc.id)).filter((e) => e.kind === 'evidence' || e.kind === 'action');
    assert.deepEqual(
      stored.map((e) => e.text),
      res.records.map((r) => r.text),
      'every record reached the timeline, in order',
    );
    const lines = stored.map((e) => `${e.at - t0} ms ${e.kind}: ${e.text}`).join('\n');
    const at = stored.map((e) => e.at);
    for (let i = 1; i < at.length; i++) assert.ok(at[i]! >= at[i - 1]!, `times go back at record ${i}:\n${lines}`);
    assert.equal(at[0], t0, `the first look (from the monitor) happened at once:\n${lines}`);
    assert.ok(at.at(-1)! > t0 + 5_000, `the last step happened seconds later:\n${lines}`);

    // The runbook's findings, each when it was found (a connection, then the processes and ports, then the log).
    const found = (what: string) => stored.find((e) => e.data?.what === what)!.at;
    assert.ok(found('connect') < found('service') && found('service') < found('error-log'), lines);
    // The start's own records, written when it ended, keep their own times: look, run, verify.
    const proposed = stored.findIndex((e) => /^started: start-service/.test(e.text) && e.data?.status === 'started');
    const action = stored.slice(proposed + 1);
    const look = action.find((e) => /^no mamoru-timeline-smtp master process/.test(e.text))!;
    const ran = action.find((e) => /^ran true: exit 0/.test(e.text))!;
    const verified = action.find((e) => /did not come up within 1 s/.test(e.text))!;
    assert.ok(stored[proposed]!.at < look.at && look.at < ran.at && ran.at < verified.at, lines);
    assert.ok((verified.data!.tries as number) >= 1);
    assert.ok(new Set(at).size >= 6, `distinct times: ${new Set(at).size}\n${lines}`);
  } finally {
    await store.close();
  }
});
