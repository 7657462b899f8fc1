/**
 * Appends auth log lines (auth-log.ts) to a file the guard reads: mode 0600, its directory made
 * when missing. Lines are queued and written in order by one appendFile at a time (several
 * lines at once under load), so a flood never blocks the event loop and a file moved away by
 * logrotate is simply created again. Independent of the logger: its level or destination
 * never decides whether the guard sees a login.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';

/** Lines waiting past this are dropped (counted and logged): the disk is not keeping up. */
const MAX_QUEUED = 10_000;

export interface AuthLogFile {
  readonly path: string;
  write(line: string): void;
  /** Resolves when every line written so far is in the file (or was given up on). */
  flush(): Promise<void>;
}

export function openAuthLogFile(file: string, log: Logger): AuthLogFile {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // An existing file keeps its content but not a mode others can read.
  if (existsSync(path)) chmodSync(path, 0o600);
  let queue: string[] = [];
  let running: Promise<void> | undefined;
  let dropped = 0;
  let failing = false;

  const drain = async () => {
    while (queue.length) {
      const text = queue.join('');
      queue = [];
      try {
        await appendFile(path, text, { mode: 0o600 });
        if (failing) log.info({ file: path }, 'auth log writable again');
        failing = false;
      } catch (e) {
        // Logged once per outage, not once per line.
        if (!failing) log.error({ file: path, err: (e as Error).message }, 'cannot write the auth log: the guard will not see these logins');
        failing = true;
      }
      if (dropped) {
        log.warn({ file: path, dropped }, 'auth log lines dropped: the disk is not keeping up');
        dropped = 0;
      }
    }
    running = undefined;
  };

  return {
    path,
    write(line) {
      if (queue.length >= MAX_QUEUED) {
        dropped++;
        return;
      }
      queue.push(line);
      running ??= drain();
    },
    async flush() {
      while (running) await running;
    },
  };
}
