/**
 * The local argv runner the backends use by default: spawn without a shell, optional stdin
 * (`nft -f -` reads its script there), output bounded, a timeout so a stuck tool cannot hang a
 * ban. Resolves with the exit status; a program that cannot start resolves with status null.
 */
import { spawn } from 'node:child_process';
import type { RunResult, Runner } from './types.ts';

const MAX_OUTPUT = 16 * 1024 * 1024;

/** A Runner on this machine, optionally prefixed (e.g. `['ip', 'netns', 'exec', 'ns1']`). */
export function localRunner(prefix: string[] = [], timeoutMs = 15_000): Runner {
  return (argv, opts = {}) =>
    new Promise<RunResult>((resolve) => {
      const full = [...prefix, ...argv];
      const child = spawn(full[0]!, full.slice(1), { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: timeoutMs });
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        if (stdout.length < MAX_OUTPUT) stdout += d;
      });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < MAX_OUTPUT) stderr += d;
      });
      let settled = false;
      const done = (r: RunResult) => {
        if (settled) return;
        settled = true;
        resolve(r);
      };
      child.on('error', (e) => done({ status: null, stdout, stderr: stderr + String(e.message) }));
      child.on('close', (status) => done({ status, stdout, stderr }));
      if (opts.input !== undefined) {
        child.stdin!.on('error', () => {
          /* the tool exited early; its status says why */
        });
        child.stdin!.end(opts.input);
      }
    });
}
