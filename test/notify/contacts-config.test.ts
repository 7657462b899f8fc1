/** Contacts, templates, notification policy and downtimes in the config: every mistake reported with its place. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, parseConfig } from '../../src/config/load.ts';
import { ConfigError, formatProblem } from '../../src/core/errors.ts';
import { contactWants, templateFor } from '../../src/notify/contacts.ts';
import { render, unknownFields } from '../../src/notify/templates/render.ts';
import { defaultTemplates, templateEvents } from '../../src/notify/templates/defaults.ts';

test('bad contacts, templates and policies: each problem with its line and path', () => {
  const file = fileURLToPath(new URL('../fixtures/config/bad-contacts.yaml', import.meta.url));
  let problems: string[] = [];
  try {
    loadConfigFile(file);
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    problems = e.problems.map((p) => formatProblem({ ...p, file: 'bad-contacts.yaml' }));
  }
  const has = (re: RegExp) => assert.ok(problems.some((p) => re.test(p)), `expected a problem matching ${re}, got:\n${problems.join('\n')}`);
  has(/^bad-contacts\.yaml:9:\d+: contacts\[0\]\.channels\[0\]\.to\[0\]: expected an e-mail address/);
  has(/^bad-contacts\.yaml:11:\d+: contacts\[1\]\.language: .*"en".*"ja"/);
  has(/^bad-contacts\.yaml:14:\d+: contacts\[1\]\.channels\[0\]\.url: expected an http:\/\/ or https:\/\/ URL/);
  has(/^bad-contacts\.yaml:19:\d+: templates\.ja\.open\.subject: unknown template field "\{\{severity_level\}\}"; known fields: incident, target/);
  has(/^bad-contacts\.yaml:21:\d+: notifications\.flapping\.low: flapping\.low must be below flapping\.high/);
  has(/^bad-contacts\.yaml:23:\d+: downtimes\[0\]: a one-off downtime needs both start and end|downtimes\[0\]\.end: a one-off downtime needs both/);
});

test('cross-references: unknown targets and secrets named by contacts', () => {
  const text = `secrets: {}
targets: [{ name: web1, address: 192.0.2.10 }]
contacts:
  - name: client-a
    targets: [web2]
    channels: [{ type: slack, url_secret: nowhere }]
  - name: client-a
    channels: [{ type: slack, url_secret: nowhere }]
`;
  try {
    parseConfig(text, 'c.yaml');
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const problems = e.problems.map((p) => formatProblem(p));
    assert.ok(problems.some((p) => /contacts\[0\]\.targets\[0\]: unknown target "web2"/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /contacts\[0\]\.channels\[0\]\.url_secret: unknown secret "nowhere"/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /contacts\[1\]\.name: contact name "client-a" is already used/.test(p)), problems.join('\n'));
  }
});

test('every built-in template uses only known fields, in both languages', () => {
  for (const lang of ['en', 'ja'] as const)
    for (const ev of templateEvents) {
      const t = defaultTemplates[lang][ev];
      assert.deepEqual([...unknownFields(t.subject), ...unknownFields(t.text)], [], `${lang}.${ev}`);
    }
});

test('overrides replace only the part given; rendering fills fields and never leaves a hole', () => {
  const cfg = parseConfig(`templates: { ja: { open: { subject: '[{{target}}] {{headline}}' } } }\n`, 'c.yaml');
  const t = templateFor(cfg.templates, 'ja', 'open');
  assert.equal(t.subject, '[{{target}}] {{headline}}');
  assert.equal(t.text, defaultTemplates.ja.open.text);
  assert.equal(render(t.subject, { target: 'web1' }), '[web1] -');
});

test('who is told: targets, tags, everything, and escalation levels', () => {
  const web1 = { name: 'web1', tags: ['client-a'] };
  assert.equal(contactWants({ targets: [], tags: [], escalation_level: 0 }, web1, 0), true);
  assert.equal(contactWants({ targets: ['web2'], tags: [], escalation_level: 0 }, web1, 0), false);
  assert.equal(contactWants({ targets: [], tags: ['client-a'], escalation_level: 0 }, web1, 0), true);
  assert.equal(contactWants({ targets: [], tags: [], escalation_level: 1 }, web1, 0), false);
  assert.equal(contactWants({ targets: [], tags: [], escalation_level: 1 }, web1, 1), true);
});
