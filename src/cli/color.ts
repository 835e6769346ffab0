/**
 * Colour on a terminal, for verdict words and severities only. --color always|never decides; auto
 * (the default) colours when stdout is a TTY (and TERM is not dumb), unless NO_COLOR is set
 * (non-empty); FORCE_COLOR (not 0/false) colours even off a terminal, like --color always, and wins
 * over NO_COLOR as in Node. --json output is never coloured.
 */
import type { Paint } from '../findings/paint.js';
import { plain } from '../findings/paint.js';
import type { ColorMode } from './globals.js';

export function colorEnabled(mode: ColorMode | undefined, stream: { isTTY?: boolean }, opts: { json?: boolean; env?: NodeJS.ProcessEnv } = {}): boolean {
  if (opts.json) return false;
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  const env = opts.env ?? process.env;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const sgr = (code: string) => (t: string): string => `\x1b[${code}m${t}\x1b[0m`;
const SEVERITY = { critical: sgr('1;31'), warning: sgr('33'), info: sgr('36') } as const;

export const ansi: Paint = { severity: (s, t) => SEVERITY[s](t), good: sgr('32'), bad: sgr('1;31') };

export const paintFor = (on: boolean): Paint => (on ? ansi : plain);
