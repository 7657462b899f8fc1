/**
 * What a reader of either language checks in a runbook's response: every sentence made for a
 * message (the verdict, each finding, what is needed, each action's line, every record's `say`)
 * exists in English and in Japanese, the English has no Japanese in it, and the Japanese is
 * Japanese: no run of three or more ASCII words outside quoted names and log text (「...」 or
 * "..."), which is what an English sentence left inside a Japanese message looks like.
 */
import assert from 'node:assert/strict';
import type { Said } from '../../src/core/said.ts';
import { saidFrom } from '../../src/core/said.ts';
import type { Response } from '../../src/runbooks/run.ts';

const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

/** Runs of 3+ whitespace-separated, wholly ASCII words in `ja`, once quoted parts are taken out. */
export function asciiRuns(ja: string): string[] {
  const unquoted = ja.replace(/「[^」]*」/g, ' ').replace(/『[^』]*』/g, ' ').replace(/"[^"]*"/g, ' ');
  const runs: string[] = [];
  let run: string[] = [];
  for (const token of unquoted.split(/\s+/).filter(Boolean)) {
    if (/^[\x21-\x7e]+$/.test(token)) run.push(token);
    else {
      if (run.length >= 3) runs.push(run.join(' '));
      run = [];
    }
  }
  if (run.length >= 3) runs.push(run.join(' '));
  return runs;
}

/** One sentence pair: both there, each in its own language. */
export function assertSaidPair(s: Said | undefined, what: string): void {
  assert.ok(s, `${what}: no said`);
  assert.ok(s.en.trim().length > 0, `${what}: empty English`);
  assert.ok(s.ja.trim().length > 0, `${what}: empty Japanese`);
  assert.doesNotMatch(s.en, JAPANESE, `${what}: Japanese inside the English: ${s.en}`);
  assert.match(s.ja, JAPANESE, `${what}: the Japanese is not Japanese: ${s.ja}`);
  assert.deepEqual(asciiRuns(s.ja), [], `${what}: English words inside the Japanese: ${s.ja}`);
  // The same seen as words joined by ASCII punctuation ("runs (master 5)"), paths and URLs being names.
  const bare = s.ja.replace(/「[^「」]*」/g, '「」').replace(/(?:\b[a-z]+:\/\/|(?<![\w])\/)[^\s「」（）、。]+/g, '/');
  assert.doesNotMatch(bare, /[A-Za-z][\w'-]*(?:[ \t,.:;!?()"-]+[A-Za-z][\w'-]*){2,}/, `${what}: English words inside the Japanese: ${s.ja}`);
}

/** Every sentence of a response, and of its timeline records, in both languages. */
export function assertSaid(res: Response): void {
  assertSaidPair(res.verdictSay, `verdict "${res.verdict}"`);
  for (const e of res.evidence) assertSaidPair(e.say, `finding ${e.what} "${e.summary}"`);
  if (res.summary.neededFromClient) assertSaidPair(res.summary.neededSay, `needed "${res.summary.neededFromClient}"`);
  if (res.summary.escalation) assertSaidPair(res.summary.escalationSay, `escalation "${res.summary.escalation}"`);
  for (const a of res.actions) {
    assertSaidPair(a.outcome.say, `action ${a.request.type} "${a.outcome.text}"`);
    if (a.outcome.whySay) assertSaidPair(a.outcome.whySay, `why of ${a.request.type}`);
  }
  for (const r of res.records) {
    if (r.data?.say !== undefined) assertSaidPair(saidFrom(r.data.say), `record "${r.text}"`);
    if (r.data?.neededSay !== undefined) assertSaidPair(saidFrom(r.data.neededSay), `record "${r.text}"`);
    if (r.kind === 'action') {
      assert.equal(typeof r.data?.type, 'string', `action record without data.type: ${r.text}`);
      assert.equal(typeof r.data?.status, 'string', `action record without data.status: ${r.text}`);
    }
  }
}
