/**
 * The options every command takes, as data: main.ts gives them to yargs, and the man page and shell
 * completion read them from here (one source for all three).
 */
import { LOG_LEVELS } from './logger.js';

export const COLOR_MODES = ['auto', 'always', 'never'] as const;
export type ColorMode = (typeof COLOR_MODES)[number];
export const LOG_FORMATS = ['auto', 'json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface GlobalOption {
  type: 'boolean' | 'string';
  default: unknown;
  describe: string;
  choices?: readonly string[];
}

export const GLOBAL_OPTIONS = {
  json: { type: 'boolean', default: false, describe: 'NDJSON on stdout, one object per line' },
  'log-level': { type: 'string', default: 'warn', choices: LOG_LEVELS, describe: 'pino log level (logs go to stderr)' },
  'log-format': { type: 'string', default: 'auto', choices: LOG_FORMATS, describe: 'stderr logs: text (one line for a person), json (pino NDJSON); auto: text on a terminal, else json' },
  color: {
    type: 'string',
    default: 'auto',
    choices: COLOR_MODES,
    describe: 'colour verdicts and severities; auto: only on a terminal, off with NO_COLOR, on with FORCE_COLOR; never with --json',
  },
  debug: { type: 'boolean', default: false, describe: 'debug logs and stack traces' },
} as const satisfies Record<string, GlobalOption>;
