/**
 * The command line without yargs, for a run that needs nothing of it: a known command with known
 * options, every value present and valid. Loading yargs and parsing with it was ~40 ms and ~12 MB of
 * every run (native-notes/startup.md), more than a probe itself takes.
 *
 * The options are the command's own: its yargs builder runs against the recorder (record.ts, strict:
 * option, positional, check, and requireValues' requiresArg, string and coerce), so there is no
 * second list of options. The parse follows yargs' rules for what it accepts (aliases and camelCase
 * keys, defaults, `--no-` for booleans, greedy arrays, coercions after defaults, the builder's checks)
 * and gives the handler the same argv, key for key (test/unit/lean-args.test.ts compares the two over
 * every example in the help and many odd lines). Anything else, it does not try: `--help`, an unknown
 * or repeated option, a missing or empty value, a bad choice, a failed check, `--`, `-abc`,
 * `--opt=` on a boolean or an array, a builder call it does not know. Then it answers undefined and
 * yargs parses the line, so every error message and all help still come from yargs.
 */
import type { CommandModule } from 'yargs';
import { type RecordedBuilder, type RecordedOption, Unsupported, recordBuilder } from './record.js';
import { COMMANDS, type CommandName } from './commands/meta.js';

const specs = new Map<CommandModule, RecordedBuilder | null>();
function specOf(mod: CommandModule): RecordedBuilder | undefined {
  let s = specs.get(mod);
  if (s === undefined) {
    try {
      s = recordBuilder(mod, true);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      s = null;
    }
    specs.set(mod, s);
  }
  return s ?? undefined;
}

/**
 * The argv yargs would give `name`'s handler for `args` (the whole command line after the program),
 * or undefined: yargs must parse this line (it may be help, a mistake, or beyond these rules).
 */
export function leanArgv(args: readonly string[], name: CommandName, mod: CommandModule): Record<string, unknown> | undefined {
  const spec = specOf(mod);
  if (!spec) return undefined;
  const words: string[] = [];
  let i = 0;
  if (args[0] === name) {
    words.push(name);
    i = 1;
  } else if (!(COMMANDS[name].command as readonly string[]).includes('$0')) return undefined;
  const raw = new Map<RecordedOption, unknown>();
  const positionals: string[] = [];
  for (; i < args.length; i++) {
    const tok = args[i]!;
    let o: RecordedOption | undefined;
    let value: string | undefined;
    let negated = false;
    if (tok.startsWith('--')) {
      const body = tok.slice(2);
      const eq = body.indexOf('=');
      const flag = eq < 0 ? body : body.slice(0, eq);
      if (eq >= 0) value = body.slice(eq + 1);
      o = spec.flags.get(flag);
      if (!o && flag.startsWith('no-')) {
        o = spec.flags.get(flag.slice(3));
        negated = true;
        if (o?.type !== 'boolean' || value !== undefined) return undefined;
      }
      if (!o || o.positional || flag.length < 2) return undefined;
    } else if (tok.startsWith('-')) {
      if (tok.length !== 2) return undefined; // '-', '-abc', '-5'
      o = spec.flags.get(tok[1]!);
      if (!o || o.positional) return undefined;
    } else {
      if (!spec.positional) return undefined;
      positionals.push(tok);
      continue;
    }
    if (raw.has(o) && !o.array) return undefined; // yargs makes an array of a repeated option
    if (o.type === 'number') return undefined; // yargs' own number parsing (requireValues makes them strings)
    if (o.type === 'boolean') {
      const next = args[i + 1];
      if (value !== undefined || next === 'true' || next === 'false') return undefined;
      raw.set(o, !negated);
      continue;
    }
    if (value === undefined) {
      const next = args[i + 1];
      // '-' is a value (stdin), as yargs reads it.
      if (next === undefined || (next.startsWith('-') && next !== '-')) return undefined;
      value = next;
      i++;
    } else if (o.array) return undefined;
    if (value.trim() === '') return undefined;
    if (!o.array) {
      raw.set(o, value);
      continue;
    }
    // yargs' arrays take every following word up to the next option.
    const list = (raw.get(o) as string[] | undefined) ?? [];
    list.push(value);
    while (i + 1 < args.length && !args[i + 1]!.startsWith('-')) list.push(args[++i]!);
    raw.set(o, list);
  }
  const pos = spec.positional;
  if (pos?.array) raw.set(pos, positionals); // yargs gives an absent `[targets..]` as []
  else if (pos && positionals.length > 1) return undefined;
  else if (pos && positionals.length === 1) raw.set(pos, positionals[0]);
  const argv: Record<string, unknown> = { _: words };
  for (const o of spec.opts.values()) {
    let v = raw.get(o);
    const given = v !== undefined;
    if (!given) {
      if (o.demand) return undefined;
      if (o.default === undefined) continue;
      v = o.default;
    }
    if (given && o.choices && !(o.array ? (v as unknown[]) : [v]).every((x) => o.choices!.includes(x))) return undefined;
    if (o.coerce) {
      try {
        v = o.coerce(v);
      } catch {
        return undefined;
      }
    }
    for (const n of o.names) argv[n] = v;
  }
  argv.$0 = 'arpinject';
  for (const c of spec.checks) {
    try {
      if (!c(argv)) return undefined;
    } catch {
      return undefined;
    }
  }
  return argv;
}

