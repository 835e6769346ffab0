/**
 * A command's options as data, read from its own yargs builder (the one `--help` renders): the
 * builder runs against a recorder that keeps every .option() and .positional() and ignores the rest.
 * The man page and shell completion use it, so neither keeps a second list of options.
 */
import { GLOBAL_OPTIONS } from './globals.js';
import { COMMANDS, type CommandName } from './commands/meta.js';
import { LOADERS } from './commands/load.js';

export interface OptionSpec {
  name: string;
  aliases: string[];
  type: 'string' | 'number' | 'boolean';
  array: boolean;
  describe: string;
  choices?: readonly string[];
  default?: unknown;
  required: boolean;
}

export interface CommandSpec {
  name: CommandName;
  /** yargs' command string: `sweep [targets..]`. */
  usage: string;
  describe: string;
  positionals: OptionSpec[];
  options: OptionSpec[];
}

interface YargsOption {
  alias?: string | string[];
  type?: string;
  array?: boolean;
  describe?: string;
  choices?: readonly string[];
  default?: unknown;
  demandOption?: boolean | string;
}

function toSpec(name: string, o: YargsOption): OptionSpec {
  const aliases = o.alias === undefined ? [] : Array.isArray(o.alias) ? o.alias : [o.alias];
  return {
    name,
    aliases,
    type: o.type === 'number' ? 'number' : o.type === 'boolean' ? 'boolean' : 'string',
    array: o.array === true,
    describe: o.describe ?? '',
    ...(o.choices ? { choices: o.choices } : {}),
    ...(o.default !== undefined ? { default: o.default } : {}),
    required: o.demandOption !== undefined && o.demandOption !== false,
  };
}

/** Runs a builder and keeps what it declares. Every other method returns the recorder (chaining). */
function recorder(): { y: unknown; options: OptionSpec[]; positionals: OptionSpec[] } {
  const options: OptionSpec[] = [];
  const positionals: OptionSpec[] = [];
  const y: unknown = new Proxy(
    {},
    {
      get(_t, prop) {
        if (prop === 'then') return undefined; // not a promise
        if (prop === 'option' || prop === 'options')
          return (k: string | Record<string, YargsOption>, o?: YargsOption) => {
            if (typeof k === 'string') options.push(toSpec(k, o ?? {}));
            else for (const [n, v] of Object.entries(k)) options.push(toSpec(n, v));
            return y;
          };
        if (prop === 'positional')
          return (k: string, o: YargsOption) => {
            positionals.push(toSpec(k, o));
            return y;
          };
        // requireValues (options.ts) asks which options take a value.
        if (prop === 'getOptions')
          return () => ({ string: options.filter((o) => o.type === 'string').map((o) => o.name), number: options.filter((o) => o.type === 'number').map((o) => o.name) });
        return () => y;
      },
    },
  );
  return { y, options, positionals };
}

export async function commandSpec(name: CommandName): Promise<CommandSpec> {
  const mod = await LOADERS[name]();
  const r = recorder();
  const b = mod.builder;
  if (typeof b === 'function') await (b as (y: unknown) => unknown)(r.y);
  else if (b) for (const [k, v] of Object.entries(b)) r.options.push(toSpec(k, v as YargsOption));
  const c = COMMANDS[name];
  const usage = typeof c.command === 'string' ? c.command : c.command[0]!;
  return { name, usage, describe: c.describe, positionals: r.positionals, options: r.options };
}

/** The global options (every command's) in the same shape. */
export function globalSpecs(): OptionSpec[] {
  return Object.entries(GLOBAL_OPTIONS).map(([k, o]) => toSpec(k, o as YargsOption));
}
