/**
 * A target's `agent:` in the brain's config: refused without a nats bus (like zones:), refused
 * beside a check of its own called "agent", and planned as the check `agent` of that target only,
 * which the brain's scheduler does not run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planChecks } from '../../src/config/checks.ts';
import { parseConfig } from '../../src/config/load.ts';
import { scheduledHere } from '../../src/daemon/agents.ts';

const parse = (text: string): string => {
  try {
    parseConfig(text, 'agents.yaml');
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

test('agent: needs a nats bus, an agent name, and leaves the name "agent" to its check', () => {
  assert.match(parse('targets: [{ name: w, address: 192.0.2.1, agent: web1, checks: [{ type: ping }] }]\n'), /agents\.yaml:1:\d+: targets\[0\]\.agent: agents are heard over the bus: set bus: \{ type: nats, url: \.\.\. \} or remove agent/);
  assert.match(parse('bus: { type: nats }\ntargets: [{ name: w, address: 192.0.2.1, agent: "web 1", checks: [{ type: ping }] }]\n'), /expected an agent name of letters, digits/);
  assert.match(parse('bus: { type: nats }\ntargets: [{ name: w, address: 192.0.2.1, agent: web1, checks: [{ type: tcp, name: agent, port: 22 }] }]\n'), /target "w" names an agent, whose check is called "agent": rename its own check "agent"/);
  assert.equal(parse('bus: { type: nats }\ntargets: [{ name: w, address: 192.0.2.1, agent: web1, checks: [{ type: ping }] }]\n'), 'accepted');
});

test('the agent check is planned for targets that name an agent, at one attempt, and not scheduled', () => {
  const config = parseConfig('bus: { type: nats }\ntargets:\n  - { name: w, address: 192.0.2.1, agent: web1, checks: [{ type: ping }] }\n  - { name: v, address: 192.0.2.2, checks: [{ type: ping }] }\n', 'agents.yaml');
  const planned = planChecks(config);
  assert.deepEqual(planned.map((c) => c.id), ['w/ping', 'w/agent', 'v/ping']);
  const agent = planned.find((c) => c.id === 'w/agent')!;
  assert.deepEqual({ type: agent.type, maxAttempts: agent.maxAttempts, target: agent.target.name }, { type: 'agent', maxAttempts: 1, target: 'w' });
  assert.deepEqual(scheduledHere(planned, new Map()).map((c) => c.id), ['w/ping', 'v/ping']);
  assert.deepEqual(scheduledHere(planned, new Map([['v/ping', {}]])).map((c) => c.id), ['w/ping']);
});
