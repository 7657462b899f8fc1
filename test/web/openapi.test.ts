/**
 * The OpenAPI 3.1 document the daemon serves: valid by an independent validator, generated (so
 * every API route of the app is in it, with its method), reachable without credentials, and
 * saying which role each route needs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { appRoutes, createApp } from '../../src/web/app.ts';
import { createLogger } from '../../src/core/log.ts';
import type { WebDeps } from '../../src/web/deps.ts';
import { startConsole, type Console } from './console.ts';

// Routes that are not API v1 and so not in the document, each for a reason.
const NOT_IN_DOCUMENT = new Set([
  'GET /', // the HTML status page
  'GET /login', // the HTML login form
  'POST /login', // form or JSON, sets a cookie: documented in docs/api.md
  'POST /logout',
  'GET /static/mamoru.css',
  'GET /favicon.ico',
  'GET /healthz',
  'GET /metrics', // Prometheus' text format
  'GET /api/v1/openapi.json', // the document itself
  // Aliases of the paths before v1 (docs/api.md lists them).
  'GET /api/status',
  'GET /api/checks/:target/:name',
  'GET /api/incidents',
  'GET /api/incidents/:id',
  'POST /api/incidents/:id/ack',
  'GET /api/approvals',
  'POST /api/approvals/:id/approve',
  'POST /api/approvals/:id/deny',
  'POST /api/ingest/:kind',
  // The console's pages and their forms (HTML; docs/api.md lists them).
  'GET /checks/:target/:name',
  'POST /checks/:target/:name/run',
  'GET /targets/:name',
  'GET /me',
  'POST /me',
  'GET /api/v1/events', // server-sent events, not JSON: docs/api.md describes them
  'GET /static/live.js',
  'GET /static/plot.js',
  'GET /static/uplot.js',
  'GET /static/uplot.css',
  'GET /incidents',
  'GET /incidents/:id',
  'POST /incidents/:id/ack',
  'POST /incidents/:id/notes',
  'POST /incidents/:id/approvals/:approval/approve',
  'POST /incidents/:id/approvals/:approval/deny',
  'GET /guard',
  'POST /guard/bans',
  'POST /guard/unban',
  'GET /notifications',
  'POST /notifications/test',
  'GET /audit',
  'GET /users',
  'POST /users/add',
  'POST /users/:name/remove',
  'POST /users/tokens',
  'POST /users/tokens/:id/revoke',
]);

let con: Console;
let doc: any;

before(async () => {
  con = await startConsole();
  const r = await fetch(`${con.url}/api/v1/openapi.json`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  doc = await r.json();
});
after(() => con?.stop());

test('the served document is valid OpenAPI 3.1', async () => {
  assert.equal(doc.openapi, '3.1.0');
  const v = new Validator();
  const res = await v.validate(doc);
  assert.equal(res.valid, true, JSON.stringify(res.errors, null, 2));
  assert.equal(v.version, '3.1');
});

test('every API route of the app is in the document, and nothing else', () => {
  const web = createApp({} as WebDeps, { host: '127.0.0.1', hostnames: [], bodyLimit: 1 << 20, tls: false, insecureHttp: false }, createLogger('silent'));
  const inDoc = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>))
    for (const method of Object.keys(ops)) inDoc.add(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`);
  const routes = appRoutes(web).map((r) => `${r.method} ${r.path}`);
  const missing = routes.filter((k) => !NOT_IN_DOCUMENT.has(k) && !inDoc.has(k));
  assert.deepEqual(missing, [], 'app routes missing from the OpenAPI document');
  const extra = [...inDoc].filter((k) => !routes.includes(k));
  assert.deepEqual(extra, [], 'document paths the app does not answer');
  assert.ok(inDoc.size >= 30, `only ${inDoc.size} operations`);
  // Every exception is still a route (a stale list would hide a missing one).
  assert.deepEqual([...NOT_IN_DOCUMENT].filter((k) => !routes.includes(k)), []);
});

test('each operation says its role and security; bodies and errors come from the schemas', () => {
  const ack = doc.paths['/api/v1/incidents/{id}/ack'].post;
  assert.match(ack.description, /Role: operator/);
  assert.deepEqual(ack.security, [{ bearer: [] }, { session: [] }]);
  assert.ok(ack.requestBody.content['application/json'].schema, 'the ack body schema');
  assert.ok(ack.responses['415'] && ack.responses['403'] && ack.responses['401']);
  const users = doc.paths['/api/v1/users'].post;
  assert.match(users.description, /Role: admin/);
  assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['bearer', 'session']);
  assert.ok(doc.components.schemas.Error, 'the one error shape');
  const rollups = doc.paths['/api/v1/checks/{target}/{name}/rollups'].get;
  assert.deepEqual(rollups.parameters.map((p: { name: string }) => p.name).sort(), ['from', 'name', 'resolution', 'target', 'to']);
});
