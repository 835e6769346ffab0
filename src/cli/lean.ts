/**
 * The command line without yargs, for a run that needs nothing of it: a known command with known
 * options, every value present and valid. Loading yargs and parsing with it was ~40 ms and ~12 MB of
 * every run (native-notes/startup.md), more than a probe itself takes.
 *
 * The options are the command's own: its yargs builder runs against a recorder (the calls a builder
 * makes: option, positional, check, and requireValues' requiresArg, string and coerce), so there is no
 * second list of options. The parse follows yargs' rules for what it accepts (aliases and camelCase
 * keys, defaults, `--no-` for booleans, greedy arrays, coercions after defaults, the builder's checks)
 * and gives the handler the same argv, key for key (test/unit/lean-args.test.ts compares the two over
 * every example in the help and many odd lines). Anything else, it does not try: `--help`, an unknown
 * or repeated option, a missing or empty value, a bad choice, a failed check, `--`, `-abc`,
 * `--opt=` on a boolean or an array, a builder call it does not know. Then it answers undefined and
 * yargs parses the line, so every error message and all help still come from yargs.
 */
import type { CommandModule } from 'yargs';
import { GLOBAL_OPTIONS } from './globals.js';
import { COMMANDS, type CommandName } from './commands/meta.js';

interface Opt {
  key: string;
  names: string[];
  type: 'string' | 'number' | 'boolean';
  array: boolean;
  default?: unknown;
  choices?: readonly unknown[];
  demand: boolean;
  coerce?: (v: unknown) => unknown;
  positional: boolean;
}

interface Spec {
  opts: Map<string, Opt>;
  /** Every name an option answers to on the command line (key, aliases, camelCase forms). */
  flags: Map<string, Opt>;
  positional?: Opt;
  checks: Array<(argv: Record<string, unknown>) => unknown>;
}

/** A builder called something the recorder does not model: yargs parses this command. */
class Unsupported extends Error {}

interface YargsOption {
  alias?: string | string[];
  type?: string;
  array?: boolean;
  default?: unknown;
  choices?: readonly unknown[];
  demandOption?: boolean | string;
  describe?: string;
  coerce?: (v: unknown) => unknown;
}

const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function recordSpec(mod: CommandModule): Spec {
  const opts = new Map<string, Opt>();
  const checks: Spec['checks'] = [];
  let positional: Opt | undefined;
  const add = (key: string, o: YargsOption, isPositional: boolean): void => {
    if (opts.has(key) || key.includes('.')) throw new Unsupported(key);
    const known = new Set(['alias', 'type', 'array', 'default', 'choices', 'demandOption', 'describe', 'coerce']);
    for (const k of Object.keys(o)) if (!known.has(k)) throw new Unsupported(`${key}.${k}`);
    if (o.type !== undefined && o.type !== 'string' && o.type !== 'number' && o.type !== 'boolean') throw new Unsupported(`${key}: ${o.type}`);
    const aliases = o.alias === undefined ? [] : Array.isArray(o.alias) ? o.alias : [o.alias];
    const opt: Opt = {
      key,
      names: [...new Set([key, camel(key), ...aliases.flatMap((a) => [a, camel(a)])])],
      type: (o.type ?? 'string') as Opt['type'],
      array: o.array === true,
      demand: o.demandOption !== undefined && o.demandOption !== false,
      positional: isPositional,
      ...(o.default !== undefined ? { default: o.default } : {}),
      ...(o.choices !== undefined ? { choices: o.choices } : {}),
      ...(o.coerce !== undefined ? { coerce: o.coerce } : {}),
    };
    if (o.type === undefined && !isPositional) throw new Unsupported(`${key}: no type`);
    opts.set(key, opt);
    if (isPositional) {
      if (positional) throw new Unsupported('two positionals');
      positional = opt;
    }
  };
  const keys = (k: string | readonly string[]): string[] => (typeof k === 'string' ? [k] : [...k]);
  const opt = (k: string): Opt => {
    const o = opts.get(k);
    if (!o) throw new Unsupported(`not declared: ${k}`);
    return o;
  };
  const y: Record<string, unknown> = {
    option: (k: string | Record<string, YargsOption>, o?: YargsOption) => {
      if (typeof k === 'string') add(k, o ?? {}, false);
      else for (const [n, v] of Object.entries(k)) add(n, v, false);
      return recorder;
    },
    positional: (k: string, o: YargsOption) => {
      add(k, o, true);
      return recorder;
    },
    check: (f: Spec['checks'][number]) => {
      checks.push(f);
      return recorder;
    },
    // requireValues (options.ts): which options take a value, as yargs' getOptions() lists them.
    getOptions: () => ({ string: [...opts.values()].filter((o) => o.type === 'string').map((o) => o.key), number: [...opts.values()].filter((o) => o.type === 'number').map((o) => o.key) }),
    // Every value-taking option requires one: the parse below never lets a value be missing anyway.
    requiresArg: (k: string | string[]) => {
      for (const n of keys(k)) opt(n);
      return recorder;
    },
    string: (k: string | string[]) => {
      for (const n of keys(k)) opt(n).type = 'string';
      return recorder;
    },
    coerce: (k: string, f: (v: unknown) => unknown) => {
      const o = opt(k);
      if (o.coerce) throw new Unsupported(`two coercions: ${k}`);
      o.coerce = f;
      return recorder;
    },
    // Help text only.
    example: () => recorder,
    epilogue: () => recorder,
    usage: () => recorder,
  };
  const recorder = new Proxy(y, {
    get(t, p) {
      if (typeof p === 'string' && Object.hasOwn(t, p)) return t[p];
      if (p === 'then') return undefined; // not a promise
      throw new Unsupported(`builder calls .${String(p)}()`);
    },
  });
  // The global options come first, as in yargs (main.ts declares them before the commands).
  for (const [k, o] of Object.entries(GLOBAL_OPTIONS)) add(k, { ...o, ...('choices' in o ? { choices: [...o.choices] } : {}) } as YargsOption, false);
  const b = mod.builder;
  if (typeof b === 'function') {
    const r = (b as (y: unknown) => unknown)(recorder);
    if (r !== recorder) throw new Unsupported('builder returned something else');
  } else if (b) for (const [k, v] of Object.entries(b)) add(k, v as YargsOption, false);
  const flags = new Map<string, Opt>();
  for (const o of opts.values())
    for (const n of o.names) {
      if (flags.has(n)) throw new Unsupported(`two options answer to ${n}`);
      flags.set(n, o);
    }
  return { opts, flags, checks, ...(positional ? { positional } : {}) };
}

const specs = new Map<CommandModule, Spec | null>();
function specOf(mod: CommandModule): Spec | undefined {
  let s = specs.get(mod);
  if (s === undefined) {
    try {
      s = recordSpec(mod);
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
  const raw = new Map<Opt, unknown>();
  const positionals: string[] = [];
  for (; i < args.length; i++) {
    const tok = args[i]!;
    let o: Opt | undefined;
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

