#!/usr/bin/env node
/** arpinject command line: yargs wiring only. Protocol logic lives in the library. */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { UsageError, isArpInjectError } from '../errors.js';
import { exitCodeForError } from './exit-codes.js';
import { LOG_LEVELS } from './logger.js';
import { missingValueMessage, takeCoerceError } from './options.js';
import { Output } from './output.js';
import { type CliIo, cliIo, setCliIo } from './io.js';
import { COMMANDS, type CommandName } from './commands/meta.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * The command modules, imported only for the command that runs (yargs calls one builder, and the top
 * help needs only COMMANDS' descriptions): `arpinject sweep` never loads watch's or explain's code.
 */
const LOADERS: Record<CommandName, () => Promise<CommandModule>> = {
  probe: async () => (await import('./commands/probe.js')).probeCommand as unknown as CommandModule,
  respond: async () => (await import('./commands/respond.js')).respondCommand as unknown as CommandModule,
  sweep: async () => (await import('./commands/sweep.js')).sweepCommand as unknown as CommandModule,
  explain: async () => (await import('./commands/explain.js')).explainCommand as unknown as CommandModule,
  watch: async () => (await import('./commands/watch.js')).watchCommand as unknown as CommandModule,
  trigger: async () => (await import('./commands/trigger.js')).triggerCommand as unknown as CommandModule,
};

function lazyCommand(name: CommandName): CommandModule {
  let loaded: CommandModule | undefined;
  const load = async () => (loaded ??= await LOADERS[name]());
  return {
    ...COMMANDS[name],
    builder: async (y: Argv) => {
      const b = (await load()).builder;
      return typeof b === 'function' ? b(y) : b ? y.options(b) : y;
    },
    handler: async (argv) => (await load()).handler(argv),
  } as CommandModule;
}

/**
 * The CLI as a function: parse `args`, run the command, return its exit code. `io` redirects what
 * the CLI writes (tests run it in-process); without it, the process's stdout and stderr.
 */
export async function main(args: string[], io?: CliIo): Promise<number> {
  setCliIo(io);
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await run(args);
  } catch (err: unknown) {
    new Output({ json: args.includes('--json'), debug: args.includes('--debug') }).error(err);
    process.exitCode = exitCodeForError(err);
  }
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  if (io) {
    process.exitCode = before;
    setCliIo(undefined);
  }
  return code;
}

async function run(args: string[]): Promise<void> {
  // `arpinject --version` alone: what yargs prints for it, without loading yargs (most of the start-up).
  if (args.length === 1 && args[0] === '--version') {
    cliIo().stdout.write(`${pkg.version}\n`);
    return;
  }
  const { default: yargs } = await import('yargs');
  const y = yargs(args);
  // yargs renders and caches the whole help text on every non-default command, after the handler has
  // started (~45 ms of string-width work in the middle of a sweep). We never print help from inside a
  // handler, so skip it. Internal API: if it moves, this is a no-op and help still works.
  const usage = (y as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.().getUsageInstance?.();
  if (usage?.cacheHelpMessage) usage.cacheHelpMessage = () => {};
  await y
    .scriptName('arpinject')
    .usage('$0 [probe] --iface IF --tip IP [options]\n\nCraft ARP frames, send them through libpcap, correlate every reply.')
    .option('json', { type: 'boolean', default: false, describe: 'NDJSON on stdout, one object per line' })
    .option('log-level', { type: 'string', default: 'warn', choices: LOG_LEVELS, describe: 'pino log level (logs go to stderr)' })
    .option('debug', { type: 'boolean', default: false, describe: 'debug logs and stack traces' })
    .command((Object.keys(COMMANDS) as CommandName[]).map(lazyCommand))
    .example('$0 --iface bond0 --tip 8.8.8.8', 'does anyone on bond0 claim 8.8.8.8?')
    .example('$0 probe -i bond0 -t 10.0.0.2 --expect 02:00:00:00:00:01 --json', 'CI: only that MAC may answer for 10.0.0.2')
    .strict()
    .recommendCommands()
    .exitProcess(false)
    .fail((msg, err) => {
      // Parse errors (unknown option, missing value) are bad input: exit 2. Throwing stops yargs
      // from running the command handler; main's catch prints it once.
      if (err && (!msg || isArpInjectError(err))) throw err;
      const ours = takeCoerceError(msg ?? err?.message ?? '');
      if (ours) throw ours;
      throw usageError(msg ?? err?.message ?? 'invalid arguments');
    })
    .help()
    .alias('h', 'help')
    .version(pkg.version)
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .parseAsync()
    .catch((err: unknown) => {
      // After an async builder (every command is one: lazyCommand), yargs rejects with its own YError
      // for a parse error (`--count` without a value) instead of calling fail(): same treatment.
      throw err instanceof Error && err.name === 'YError' ? (takeCoerceError(err.message) ?? usageError(err.message)) : err;
    });
}

const usageError = (text: string): UsageError =>
  new UsageError('ERR_INVALID_ARGUMENT', missingValueMessage(text) ?? text, { hint: 'see arpinject --help' });

// Run when this file is the program (node dist/cli/main.js, the npm bin symlink), not when imported.
// process.argv.slice(2) is what yargs' hideBin() returns under node (it differs only inside Electron).
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathOr(entry)).href) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
