/**
 * A command's options as data, read from its own yargs builder (the one `--help` renders) by the
 * recorder the lean parser uses too (record.ts), leniently: what it does not model is ignored. The
 * man page and shell completion use it, so neither keeps a second list of options.
 */
import { COMMANDS, type CommandName } from './commands/meta.js';
import { LOADERS } from './commands/load.js';
import { type RecordedOption, recordBuilder } from './record.js';

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

function toSpec(o: RecordedOption): OptionSpec {
  return {
    name: o.key,
    aliases: o.aliases,
    type: o.declared,
    array: o.array,
    describe: o.describe,
    ...(o.choices ? { choices: o.choices as readonly string[] } : {}),
    ...(o.default !== undefined ? { default: o.default } : {}),
    required: o.demand,
  };
}

export async function commandSpec(name: CommandName): Promise<CommandSpec> {
  const own = [...recordBuilder(await LOADERS[name](), false).opts.values()].filter((o) => !o.global);
  const c = COMMANDS[name];
  const usage = typeof c.command === 'string' ? c.command : c.command[0]!;
  return { name, usage, describe: c.describe, positionals: own.filter((o) => o.positional).map(toSpec), options: own.filter((o) => !o.positional).map(toSpec) };
}

/** The global options (every command's) in the same shape. */
export function globalSpecs(): OptionSpec[] {
  return [...recordBuilder({}, false).opts.values()].map(toSpec);
}
