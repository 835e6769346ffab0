/**
 * Durations on the command line: a number in the option's unit (seconds for the arping-style options
 * of announce, dad and probe --deadline; milliseconds where the option always took ms, as probe
 * --interval), or a number with its unit: `0.2s`, `200ms`. Fractions are allowed. Returns ms.
 */
import { UsageError } from '../errors.js';

export type DurationUnit = 's' | 'ms';

export function parseDuration(value: unknown, flag: string, unit: DurationUnit, maxMs = 86_400_000): number {
  const text = String(value).trim();
  const m = /^(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)?$/.exec(text);
  const ms = m ? Number(m[1]) * ((m[2] ?? unit) === 's' ? 1000 : 1) : Number.NaN;
  if (!Number.isFinite(ms) || ms > maxMs) {
    throw new UsageError('ERR_INVALID_NUMBER', `${flag}: "${text}" is not a duration from 0 to ${maxMs / 1000} s`, {
      hint: `a number of ${unit === 's' ? 'seconds' : 'milliseconds'} (fractions allowed), or with a unit: 0.2s, 200ms`,
    });
  }
  return Math.round(ms * 1000) / 1000;
}
