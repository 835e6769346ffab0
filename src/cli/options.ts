/**
 * The one rule every command's options follow: an option that takes a value (string or number) must
 * get one. `--count` at the end of the line, `--vlan --json` and `--op ''` are usage errors (exit 2),
 * never silently the default (an untagged frame for `--vlan`, opcode 0 for `--op ''`).
 */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { BANDWIDTH_FORMS, parseBandwidth } from '../pacing/flood.js';

/** Names yargs uses for a missing value ("Not enough arguments following: count"): turned into ours in main's fail(). */
export function missingValueMessage(yargsMessage: string): string | undefined {
  const m = /^Not enough arguments following: (.+)$/.exec(yargsMessage);
  return m ? `${flag(m[1]!)} needs a value` : undefined;
}

const flag = (key: string): string => (key.length === 1 ? `-${key}` : `--${key}`);

/**
 * Call last in a command builder. `positionals`: declared positionals (they may be absent).
 * Makes every string/number option require a value (yargs requiresArg, which also reads `--file -`
 * as "-") and refuses empty strings.
 */
export function requireValues<T>(y: Argv<T>, positionals: string[] = []): Argv<T> {
  // getOptions() is public yargs API, missing from @types/yargs.
  const o = (y as unknown as { getOptions(): { string: string[]; number: string[] } }).getOptions();
  const keys = [...new Set([...o.string, ...o.number])].filter((k) => !positionals.includes(k) && k.length > 1);
  if (keys.length) y.requiresArg(keys);
  // Number options are read as text and converted here, so a bad value is named as typed
  // (`--count: "abc" is not a whole number`), never as yargs' NaN.
  const numbers = [...new Set(o.number)].filter((k) => !positionals.includes(k) && k.length > 1);
  if (numbers.length) y.string(numbers);
  for (const k of numbers)
    y.coerce(k, (v: unknown) => {
      try {
        return Array.isArray(v) ? v.map((x) => parseNumberOption(k, x)) : parseNumberOption(k, v);
      } catch (e) {
        // yargs rethrows a coerce error as its own YError (message only): main takes ours back.
        if (e instanceof UsageError) coerceError = e;
        throw e;
      }
    });
  return y.check((argv) => {
    for (const k of keys) {
      const v = (argv as Record<string, unknown>)[k];
      const values = Array.isArray(v) ? v : [v];
      if (values.some((x) => x === '' || (typeof x === 'string' && x.trim() === ''))) {
        throw new UsageError('ERR_INVALID_ARGUMENT', `${flag(k)} needs a value, not an empty string`, { hint: 'see arpinject --help' });
      }
    }
    return true;
  });
}

/** Script-friendly text output (probe and sweep): arp-scan's -x, -q and -F, and a vendor file (src/cli/text-modes.ts). */
export function textOutputOptions<T>(y: Argv<T>) {
  return y
    .option('plain', { alias: 'x', type: 'boolean', describe: 'arp-scan -x lines: IP<TAB>MAC<TAB>VENDOR per reply, "(DUP: n)" on repeats; nothing else on stdout (findings on stderr)' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'arp-scan -q: IP<TAB>MAC per reply (no vendor), then the one summary line (none with --plain)' })
    .option('format', { alias: 'F', type: 'string', describe: "arp-scan --format per reply: '${ip}\\t${mac}\\t${vendor}', also ${rtt} ${vlan} ${dup} ${hdrmac}; ${field;width} aligns (negative: left)" })
    .option('vendor-file', { type: 'string', describe: 'extra MAC prefix names, arp-scan mac-vendor.txt format (PREFIX<TAB>NAME); they beat the built-in names' });
}

let coerceError: UsageError | undefined;

/** The error a number option's conversion threw, when yargs reports it by `message` (its YError). */
export function takeCoerceError(message: string): UsageError | undefined {
  const e = coerceError;
  coerceError = undefined;
  return e && e.message === message ? e : undefined;
}

/** Number options that take fractions; every other one takes whole numbers (its range is checked where it is used). */
const FRACTIONAL = new Set(['backoff']);

/**
 * The text of a number option as a number: `--bandwidth` takes K/M/G suffixes (bits per second,
 * as arp-scan); the rest, what Number() reads. A value that is not a number is a usage error naming
 * the flag and the text as typed.
 */
export function parseNumberOption(key: string, value: unknown): number {
  if (typeof value === 'number') return value;
  const text = String(value);
  if (text.trim() === '') throw new UsageError('ERR_INVALID_ARGUMENT', `${flag(key)} needs a value, not an empty string`, { hint: 'see arpinject --help' });
  if (key === 'bandwidth') {
    const bps = parseBandwidth(text);
    if (bps === undefined) throw new UsageError('ERR_INVALID_NUMBER', `--bandwidth: "${text}" is not a bandwidth: give ${BANDWIDTH_FORMS}`, { hint: 'see arpinject --help' });
    return bps;
  }
  const n = Number(text);
  if (Number.isNaN(n)) throw new UsageError('ERR_INVALID_NUMBER', `${flag(key)}: "${text}" is not ${FRACTIONAL.has(key) ? 'a number' : 'a whole number'}`, { hint: 'see arpinject --help' });
  return n;
}
