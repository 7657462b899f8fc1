/**
 * Triage on live output: the plugins (check_http, check_pop, check_tcp, check_ping) and mamoru's
 * own checks run now against the lab's daemons under three faults (daemons stopped, the host
 * dropping everything, a delaying proxy), their output classified as it comes. The commands and
 * the expectations are the fixtures' (record.ts, alert-fixtures.ts): what was recorded once must
 * still be what the tools say and what triage makes of it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { classify } from '../../src/triage/index.ts';
import { conditions, runCommand, startRig, type Condition, type Rig } from '../fixtures/alerts/record.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';
import { checkCommandOf, expected, type AlertFixture } from './alert-fixtures.ts';

const PREREQ = {
  root: true,
  commands: ['ip', 'nft', 'nsenter', 'mount', 'apache2', 'dovecot', 'vsftpd', 'mariadbd', 'mariadb-install-db', 'postfix', 'postqueue', 'snmpd', 'snmpget', '/usr/sbin/sshd', 'ssh-keygen', 'dnsmasq', 'openssl', 'ping'].concat(
    ['check_http', 'check_pop', 'check_tcp', 'check_ping'].map((c) => `${PLUGINS}/${c}`),
  ),
};

/** The faults and, for each, the commands run live (at least three plugins per fault). */
const live: Record<string, string[]> = {
  stopped: ['check_http', 'check_pop', 'check_tcp', 'mamoru-http', 'mamoru-pop3'],
  'host-down': ['check_ping', 'check_http', 'check_pop', 'check_tcp', 'mamoru-ping', 'mamoru-http'],
  slow: ['check_http', 'check_pop', 'check_tcp', 'mamoru-http', 'mamoru-pop3'],
};

describe('triage: live plugin output from the lab', () => {
  let rig: Rig | undefined;

  before(async () => {
    if (missing(PREREQ)) return;
    rig = await startRig();
  });
  after(async () => {
    await rig?.lab.destroy();
  });

  for (const [name, commandNames] of Object.entries(live)) {
    test(`${name}: ${commandNames.join(', ')}`, async (t) => {
      if (needs(t, PREREQ)) return;
      const cond: Condition = conditions.find((c) => c.name === name)!;
      const commands = cond.commands(rig!).filter((c) => commandNames.includes(c.name));
      assert.equal(commands.length, commandNames.length, `record.ts lost some of ${commandNames.join(', ')} under ${name}`);
      await cond.inject(rig!);
      let results: { name: string; argv: string[]; code: number | null; output: string }[];
      try {
        results = await Promise.all(commands.map(async (c) => ({ name: `${name}.${c.name}`, argv: c.argv, ...(await runCommand(c)) })));
      } finally {
        await cond.undo(rig!);
      }
      for (const r of results) {
        const x = expected[r.name];
        assert.ok(x, `no expectation for ${r.name}`);
        const fixture: AlertFixture = { name: r.name, condition: cond.says, argv: r.argv, exit: r.code ?? undefined, output: r.output };
        assert.ok(r.code !== null && r.code >= 0 && r.code <= 3, `${r.name}: exit ${r.code}: ${r.output}`);
        const got = classify({ text: r.output, service: x.hint ?? checkCommandOf(fixture), state: r.code as 0 | 1 | 2 | 3 });
        const what = `${r.name}: ${r.output.trim()}\n got ${JSON.stringify({ ...got, steps: undefined })}`;
        assert.ok((Array.isArray(x.kind) ? x.kind : [x.kind]).includes(got.kind), what);
        assert.equal(got.service, x.service, what);
        assert.equal(got.runbook, x.runbook, what);
      }
    });
  }
});
