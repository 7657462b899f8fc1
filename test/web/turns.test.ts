/**
 * The web's turn gate (src/web/turns.ts) in a real Hono app: requests that arrive together render
 * one per event-loop turn, so a timer that falls due during one render runs before the next; past
 * the bounded queue the answer is 503 with Retry-After; liveness and metrics never wait.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import type { WebEnv } from '../../src/web/access.ts';
import { turnGate } from '../../src/web/turns.ts';

/** An app whose page render keeps the thread busy a little (like a real render) and notes that it ran. */
function appWith(gate: ReturnType<typeof turnGate>, marks: string[]) {
  const app = new Hono<WebEnv>();
  app.use('*', gate.middleware);
  app.get('/page/:n', (c) => {
    const until = Date.now() + 3;
    while (Date.now() < until); // a render that holds the loop
    marks.push(`render ${c.req.param('n')}`);
    return c.text('page');
  });
  app.get('/healthz', (c) => {
    marks.push('healthz');
    return c.text('ok');
  });
  return app;
}

test('renders that arrive together take one turn each: a timer due meanwhile runs between them', async () => {
  const marks: string[] = [];
  const gate = turnGate();
  const app = appWith(gate, marks);
  setTimeout(() => marks.push('timer'), 1);
  const answers = await Promise.all([1, 2, 3, 4].map((n) => app.request(`/page/${n}`)));
  assert.deepEqual(
    answers.map((a) => a.status),
    [200, 200, 200, 200],
  );
  // In arrival order, and the timer (due while the first render held the loop) before the second.
  assert.deepEqual(marks, ['render 1', 'timer', 'render 2', 'render 3', 'render 4']);
  assert.equal(gate.waiting(), 0);
});

test('without the gate the same requests all render before the timer (what the gate is for)', async () => {
  const marks: string[] = [];
  const app = appWith(turnGate({ exempt: () => true }), marks);
  setTimeout(() => marks.push('timer'), 1);
  await Promise.all([1, 2, 3].map((n) => app.request(`/page/${n}`)));
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(marks, ['render 1', 'render 2', 'render 3', 'timer']);
});

test('past the bounded queue: 503 with Retry-After, and the queued ones still render', async () => {
  const marks: string[] = [];
  const gate = turnGate({ maxWaiting: 2 });
  const app = appWith(gate, marks);
  const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => app.request(`/page/${n}`)));
  assert.deepEqual(
    answers.map((a) => a.status),
    [200, 200, 200, 503, 503],
  );
  assert.equal(answers[3]!.headers.get('retry-after'), '1');
  assert.equal(((await answers[4]!.json()) as { error: { code: string } }).error.code, 'unavailable');
  assert.deepEqual(marks, ['render 1', 'render 2', 'render 3']);
  assert.equal(gate.refused(), 2);
});

test('liveness passes at once even while pages queue and the queue is full', async () => {
  const marks: string[] = [];
  const app = appWith(turnGate({ maxWaiting: 1 }), marks);
  const pages = [1, 2].map((n) => app.request(`/page/${n}`));
  const health = await Promise.all([1, 2, 3].map(() => app.request('/healthz')));
  assert.deepEqual(
    health.map((h) => h.status),
    [200, 200, 200],
  );
  // The three answers came while the second page still waited for its turn.
  assert.deepEqual(marks, ['render 1', 'healthz', 'healthz', 'healthz']);
  assert.deepEqual(
    (await Promise.all(pages)).map((p) => p.status),
    [200, 200],
  );
  assert.deepEqual(marks.slice(4), ['render 2']);
});
