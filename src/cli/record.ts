/**
 * A command's yargs builder run against a recorder: its options as data, with no second list of
 * them anywhere. Three readers: the lean parser (lean.ts, strict: a builder call or option field it
 * does not model makes it give the command to yargs), and the man page and shell completion
 * (spec.ts, lenient: anything else a builder calls is ignored). The global options (globals.ts)
 * come first, as yargs sees them (main.ts declares them before the commands).
 */
import type { CommandModule } from 'yargs';
import { GLOBAL_OPTIONS } from './globals.js';

export type OptionType = 'string' | 'number' | 'boolean';

export interface RecordedOption {
  key: string;
  /** As declared (aliases only, not camelCase forms). */
  aliases: string[];
  /** Every name it answers to on the command line: key, aliases and their camelCase forms. */
  names: string[];
  /** The type the builder declared (what help says). */
  declared: OptionType;
  /** The type yargs parses it as: requireValues reads number options as strings (then coerces). */
  type: OptionType;
  array: boolean;
  describe: string;
  default?: unknown;
  choices?: readonly unknown[];
  demand: boolean;
  coerce?: (v: unknown) => unknown;
  positional: boolean;
  global: boolean;
}

export interface RecordedBuilder {
  /** In declaration order, the global options first. */
  opts: Map<string, RecordedOption>;
  /** Every command-line name, to its option. */
  flags: Map<string, RecordedOption>;
  positional?: RecordedOption;
  checks: Array<(argv: Record<string, unknown>) => unknown>;
}

/** Strict mode: the builder does something the recorder does not model (yargs must parse this command). */
export class Unsupported extends Error {}

export interface YargsOption {
  alias?: string | string[];
  type?: string;
  array?: boolean;
  default?: unknown;
  choices?: readonly unknown[];
  demandOption?: boolean | string;
  describe?: string;
  coerce?: (v: unknown) => unknown;
}

const KNOWN_FIELDS = new Set(['alias', 'type', 'array', 'default', 'choices', 'demandOption', 'describe', 'coerce']);
const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** What `mod`'s builder declares. Strict: throws Unsupported for anything it does not model. */
export function recordBuilder(mod: Pick<CommandModule, 'builder'>, strict: boolean): RecordedBuilder {
  const opts = new Map<string, RecordedOption>();
  const checks: RecordedBuilder['checks'] = [];
  let positional: RecordedOption | undefined;
  const refuse = (why: string): void => {
    if (strict) throw new Unsupported(why);
  };
  const add = (key: string, o: YargsOption, isPositional: boolean, global = false): void => {
    if (opts.has(key) || key.includes('.')) refuse(key);
    for (const k of Object.keys(o)) if (!KNOWN_FIELDS.has(k)) refuse(`${key}.${k}`);
    if (o.type !== undefined && o.type !== 'string' && o.type !== 'number' && o.type !== 'boolean') refuse(`${key}: ${o.type}`);
    if (o.type === undefined && !isPositional) refuse(`${key}: no type`);
    const aliases = o.alias === undefined ? [] : Array.isArray(o.alias) ? o.alias : [o.alias];
    const type: OptionType = o.type === 'number' ? 'number' : o.type === 'boolean' ? 'boolean' : 'string';
    const opt: RecordedOption = {
      key,
      aliases,
      names: [...new Set([key, camel(key), ...aliases.flatMap((a) => [a, camel(a)])])],
      declared: type,
      type,
      array: o.array === true,
      describe: o.describe ?? '',
      demand: o.demandOption !== undefined && o.demandOption !== false,
      positional: isPositional,
      global,
      ...(o.default !== undefined ? { default: o.default } : {}),
      ...(o.choices !== undefined ? { choices: o.choices } : {}),
      ...(o.coerce !== undefined ? { coerce: o.coerce } : {}),
    };
    opts.set(key, opt);
    if (isPositional) {
      if (positional) refuse('two positionals');
      positional = opt;
    }
  };
  const keys = (k: string | readonly string[]): string[] => (typeof k === 'string' ? [k] : [...k]);
  /** The options named, each declared (strict: an undeclared one is refused; lenient: skipped). */
  const declared = (k: string | readonly string[]): RecordedOption[] =>
    keys(k).flatMap((n) => {
      const o = opts.get(n);
      if (!o) refuse(`not declared: ${n}`);
      return o ? [o] : [];
    });
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
    check: (f: RecordedBuilder['checks'][number]) => {
      checks.push(f);
      return recorder;
    },
    // requireValues (options.ts): which options take a value, as yargs' getOptions() lists them.
    getOptions: () => ({ string: [...opts.values()].filter((o) => o.type === 'string').map((o) => o.key), number: [...opts.values()].filter((o) => o.type === 'number').map((o) => o.key) }),
    // Every value-taking option requires one: the lean parse never lets a value be missing anyway.
    requiresArg: (k: string | string[]) => {
      declared(k);
      return recorder;
    },
    string: (k: string | string[]) => {
      for (const o of declared(k)) o.type = 'string';
      return recorder;
    },
    coerce: (k: string, f: (v: unknown) => unknown) => {
      for (const o of declared(k)) {
        if (o.coerce) refuse(`two coercions: ${k}`);
        o.coerce = f;
      }
      return recorder;
    },
    // Help text only.
    example: () => recorder,
    epilogue: () => recorder,
    usage: () => recorder,
  };
  const recorder: unknown = new Proxy(y, {
    get(t, p) {
      if (typeof p === 'string' && Object.hasOwn(t, p)) return t[p];
      if (p === 'then') return undefined; // not a promise
      refuse(`builder calls .${String(p)}()`);
      return () => recorder;
    },
  });
  for (const [k, o] of Object.entries(GLOBAL_OPTIONS)) add(k, { ...o, ...('choices' in o ? { choices: [...o.choices] } : {}) } as YargsOption, false, true);
  const b = mod.builder;
  if (typeof b === 'function') {
    if ((b as (y: unknown) => unknown)(recorder) !== recorder) refuse('builder returned something else');
  } else if (b) for (const [k, v] of Object.entries(b)) add(k, v as YargsOption, false);
  const flags = new Map<string, RecordedOption>();
  for (const o of opts.values())
    for (const n of o.names) {
      if (flags.has(n)) refuse(`two options answer to ${n}`);
      flags.set(n, o);
    }
  return { opts, flags, checks, ...(positional ? { positional } : {}) };
}
