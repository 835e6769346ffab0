/**
 * pino to stderr, synchronously (a CLI exits right after its last line; nothing may be lost).
 * pino is loaded on the first line actually logged: at the default level (warn) most runs log nothing,
 * and loading pino costs tens of ms of start-up.
 */
import { createRequire } from 'node:module';
import type { Logger } from '../log.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const RANK: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

type Pino = typeof import('pino');

export function createCliLogger(level: string): Logger {
  const threshold = RANK[level];
  // An unknown level: let pino refuse it now, as it always did.
  if (threshold === undefined) return createPino(level);
  let real: Logger | undefined;
  const at = (name: keyof Logger, rank: number): Logger[keyof Logger] =>
    rank < threshold
      ? () => {}
      : (...args) => {
          real ??= createPino(level);
          real[name](...args);
        };
  return { debug: at('debug', 20), info: at('info', 30), warn: at('warn', 40), error: at('error', 50) };
}

function createPino(level: string): Logger {
  const { pino } = createRequire(import.meta.url)('pino') as Pino;
  return pino({ level, base: undefined, name: 'arpinject' }, pino.destination({ dest: 2, sync: true }));
}
