#!/usr/bin/env node
// Entry point for `npx mamoru` and `npm start`. Runs the compiled JavaScript in dist/ (the esbuild
// bundle of scripts/build.mjs: `npm run build`, which `npm install` runs through `prepare`) when it
// is current, so a start neither compiles TypeScript nor loads ~750 modules one by one; otherwise
// the sources in src/ through tsx.
//
// "Current" means no file under src/ is newer than dist/build-stamp, whose time is when the build
// began (an edit made during a build counts as newer). A developer editing src/ therefore never
// runs stale compiled code: the sources run instead, with a one-line note on stderr saying why
// start-up is slower and how to rebuild. The walk stats about 300 files (a few ms). Only a git
// checkout is compared: an installed package (no .git; npm gives unpacked files the time they were
// unpacked, so src/ would look newer) runs dist/ as it is; one without dist/ runs the sources.
//
// MAMORU_FROM=src forces the sources (tsx), MAMORU_FROM=dist forces dist/ (when built).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', 'build-stamp');
const srcDir = join(root, 'src');

/** The newest modification time under `dir` (ms), stopping early once past `limit`. */
function newestUnder(dir, limit) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const t = entry.isDirectory() ? newestUnder(path, limit) : statSync(path).mtimeMs;
    if (t > newest) newest = t;
    if (newest > limit) break;
  }
  return newest;
}

/** 'dist' when dist/ is built and not older than src/, else why not (null: not built at all). */
function compiledState() {
  if (process.env.MAMORU_FROM === 'src') return null;
  let built;
  try {
    built = statSync(stamp).mtimeMs;
  } catch {
    return null;
  }
  if (process.env.MAMORU_FROM === 'dist' || !existsSync(srcDir) || !existsSync(join(root, '.git'))) return 'dist';
  return newestUnder(srcDir, built) > built ? 'stale' : 'dist';
}

const state = compiledState();
let main;
if (state === 'dist') {
  ({ main } = await import('../dist/cli/main.js'));
} else {
  // A test run (node --test sets NODE_TEST_CONTEXT for its children) reads stderr: no note there.
  if (state === 'stale' && process.env.NODE_TEST_CONTEXT === undefined) {
    process.stderr.write('mamoru: src/ is newer than dist/ (run `npm run build`): running the sources through tsx, slower to start\n');
  }
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv);
