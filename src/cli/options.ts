/**
 * The one rule every command's options follow: an option that takes a value (string or number) must
 * get one. `--count` at the end of the line, `--vlan --json` and `--op ''` are usage errors (exit 2),
 * never silently the default (an untagged frame for `--vlan`, opcode 0 for `--op ''`).
 */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';

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
