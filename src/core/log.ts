/**
 * Logging through pino, one logger per process, children per room. JSON lines for machines
 * (files, journald, pipes); readable lines when a person watches a terminal. MAMORU_LOG_FORMAT
 * (`json` or `pretty`) overrides the guess.
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type prettyTypes from 'pino-pretty';

export type { Logger };

const redact = { paths: ['*.password', '*.secret', '*.token', '*.community'], censor: '[secret]' };

export function createLogger(level: string = process.env.MAMORU_LOG_LEVEL ?? 'info'): Logger {
  const format = process.env.MAMORU_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const options = { level, base: { app: 'mamoru' }, redact };
  // Synchronous writes: a line logged just before exit ("mamoru stopped") is never lost.
  if (format !== 'pretty') return pino(options, pino.destination({ dest: 1, sync: true }));
  // pino-pretty (and its dependencies) only when a person watches: a service logs JSON, and
  // loading it costs every start (issue 16).
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof prettyTypes;
  return pino(options, pretty({ sync: true, colorize: true, singleLine: true, ignore: 'app,pid,hostname', translateTime: 'SYS:HH:MM:ss' }));
}

/** A logger that writes nothing: for tests and for `mamoru check`, whose output is the plugin line. */
export const silentLogger: Logger = pino({ level: 'silent' });
