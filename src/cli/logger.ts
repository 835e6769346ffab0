/** pino to stderr, synchronously (a CLI exits right after its last line; nothing may be lost). */
import { pino } from 'pino';
import type { Logger } from '../log.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export function createCliLogger(level: string): Logger {
  return pino({ level, base: undefined, name: 'arpinject' }, pino.destination({ dest: 2, sync: true }));
}
