/**
 * pino to stderr, synchronously (a CLI exits right after its last line; nothing may be lost).
 * pino is loaded on the first line actually logged: at the default level (warn) most runs log nothing,
 * and loading pino costs tens of ms of start-up.
 *
 * On a terminal (--log-format auto) a line is for a person: `12:03:04.123 WARN  message  key=value`,
 * written by our own small pino destination (no pino-pretty, no worker thread). Off a terminal, or with
 * --log-format json, pino's NDJSON as it always was.
 */
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Logger } from '../log.js';
import type { Severity } from '../findings/finding.js';
import { type Paint, plain } from '../findings/paint.js';
import { colorEnabled, paintFor } from './color.js';
import type { ColorMode, LogFormat } from './globals.js';
import { cliIo, processStderr } from './io.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const RANK: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const NAME: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_SEVERITY: Record<number, Severity> = { 30: 'info', 40: 'warning', 50: 'critical', 60: 'critical' };

type Pino = typeof import('pino');

export interface CliLoggerOptions {
  /** auto (default): text when stderr is a terminal, else json. */
  format?: LogFormat;
  /** --color, for the level word of text lines. */
  color?: ColorMode;
}

export function createCliLogger(level: string, opts: CliLoggerOptions = {}): Logger {
  const threshold = RANK[level];
  // An unknown level: let pino refuse it now, as it always did.
  if (threshold === undefined) return createPino(level, opts);
  let real: Logger | undefined;
  const at = (name: keyof Logger, rank: number): Logger[keyof Logger] =>
    rank < threshold
      ? () => {}
      : (...args) => {
          real ??= createPino(level, opts);
          real[name](...args);
        };
  return { debug: at('debug', 20), info: at('info', 30), warn: at('warn', 40), error: at('error', 50) };
}

/** Where log lines go: fd 2 synchronously, or the stream main(argv, io) was given. */
function sink(): { write(s: string): void; isTTY: boolean } {
  const err = cliIo().stderr;
  if (err === processStderr()) return { write: (s) => void writeSync(2, s), isTTY: (err as { isTTY?: boolean }).isTTY === true };
  return { write: (s) => void err.write(s), isTTY: (err as { isTTY?: boolean }).isTTY === true };
}

function createPino(level: string, opts: CliLoggerOptions): Logger {
  const { pino } = createRequire(import.meta.url)('pino') as Pino;
  const out = sink();
  const text = opts.format === 'text' || ((opts.format ?? 'auto') === 'auto' && out.isTTY);
  const options = { level, base: undefined, name: 'arpinject' };
  if (text) {
    const paint = paintFor(colorEnabled(opts.color, out));
    return pino(options, { write: (line: string) => out.write(formatLogLine(line, paint)) });
  }
  if (cliIo().stderr !== processStderr()) return pino(options, { write: (line: string) => out.write(line) });
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const clock = (ms: number): string => {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v !== null && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return JSON.stringify((v as { message: string }).message);
  return JSON.stringify(v) ?? String(v);
}

/**
 * One pino NDJSON line as one line for a person: local time, level, message, then the fields as
 * key=value (strings quoted when they have spaces; an error by its message). Not JSON: passed through.
 */
export function formatLogLine(line: string, paint: Paint = plain): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const { level, time, msg, name: _name, pid: _pid, hostname: _host, ...rest } = o;
  const n = typeof level === 'number' ? level : 30;
  const word = (NAME[n] ?? String(level)).padEnd(5);
  const sev = LEVEL_SEVERITY[n];
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${value(v)}`);
  const head = `${typeof time === 'number' ? clock(time) : ''} ${sev ? paint.severity(sev, word) : word} ${typeof msg === 'string' ? msg : ''}`.trim();
  return `${head}${fields.length ? `  ${fields.join(' ')}` : ''}\n`;
}
