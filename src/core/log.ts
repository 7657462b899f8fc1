/** Logging through pino: JSON lines by default, one logger per process, children per room. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env.MAMORU_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'mamoru' }, redact: { paths: ['*.password', '*.secret', '*.token', '*.community'], censor: '[secret]' } });
}

/** A logger that writes nothing: for tests and for `mamoru check`, whose output is the plugin line. */
export const silentLogger: Logger = pino({ level: 'silent' });
