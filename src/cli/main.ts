#!/usr/bin/env node
/** arpinject command line: yargs wiring only. Protocol logic lives in the library. */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { UsageError, isArpInjectError } from '../errors.js';
import { exitCodeForError } from './exit-codes.js';
import { missingValueMessage, takeCoerceError } from './options.js';
import { Output } from './output.js';
import { type CliIo, processOutputTaken, setCliIo } from './io.js';
import { COMMANDS, type CommandName } from './commands/meta.js';
import { LOADERS } from './commands/load.js';
import { GLOBAL_OPTIONS } from './globals.js';
import { COMMAND_HELP, TOP_EXAMPLES, epilogue, helpWidth } from './help.js';
import { COMPLETION_FLAG } from './completion.js';
import { leanArgv } from './lean.js';

/** package.json's version, read when it is printed (--version, help), not in every run. */
const version = (): string => (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Command modules already imported (run() imports the one that will run before yargs parses). */
const loadedModules = new Map<CommandName, CommandModule>();
async function loadModule(name: CommandName): Promise<CommandModule> {
  let m = loadedModules.get(name);
  if (!m) loadedModules.set(name, (m = await LOADERS[name]()));
  return m;
}

/** `topLevel`: probe's builder runs for `arpinject --help` too (the default command); the top level has its own examples and exit codes. */
function lazyCommand(name: CommandName, width: number, topLevel: boolean, capture?: Capture): CommandModule {
  const load = () => loadModule(name);
  const build = (mod: CommandModule, y: Argv): Argv => {
    const b = mod.builder;
    const built = (typeof b === 'function' ? b(y) : b ? y.options(b) : y) as Argv;
    if (topLevel) return built;
    // Examples and exit codes from help.ts, the man page's source too.
    for (const [cmd, what] of COMMAND_HELP[name].examples) built.example(cmd, what);
    return built.epilogue(epilogue(name, width));
  };
  return {
    ...COMMANDS[name],
    // Synchronous when the module is already loaded (the command that runs: see run()), so that yargs
    // finishes (help included) before parseAsync resolves.
    builder: (y: Argv) => {
      const m = loadedModules.get(name);
      return m ? build(m, y) : load().then((mod) => build(mod, y));
    },
    handler: async (argv) => (capture ? capture(name, argv) : (await load()).handler(argv)),
  } as CommandModule;
}

type Capture = (name: CommandName, argv: Record<string, unknown>) => void;

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
    const out = new Output({ json: args.includes('--json'), debug: args.includes('--debug') });
    out.error(err);
    out.flush(); // the JSON error record too, before main returns

    process.exitCode = exitCodeForError(err);
  }
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  if (io) {
    process.exitCode = before;
    setCliIo(undefined);
  }
  return code;
}

/**
 * How a command line is parsed, without running anything (tests compare the two parsers):
 * `yargs`: the argv yargs hands the handler (or its error); `lean`: leanArgv's, or undefined.
 */
export async function parseArgs(args: string[], via: 'yargs' | 'lean'): Promise<{ command: CommandName; argv: Record<string, unknown> } | undefined> {
  const command = invokedCommand(args);
  if (via === 'lean') {
    const argv = leanArgv(args, command, await loadModule(command));
    return argv && { command, argv };
  }
  let got: { command: CommandName; argv: Record<string, unknown> } | undefined;
  await run(args, (name, argv) => {
    got = { command: name, argv };
  });
  return got;
}

/** Text on stdout as a command writes it: a closed pipe (`| head -0`) ends quietly, a failing stdout (a full disk) is ERR_FILE. */
async function print(text: string): Promise<void> {
  const out = new Output({ json: false });
  out.raw(text);
  await out.settle();
  if (out.failure) throw out.failure;
}

/** Whether this run went through yargs (help, completion, a line the lean parser left to it). */
let yargsLoaded = false;

async function run(args: string[], capture?: Capture): Promise<void> {
  // `arpinject --version` alone: what yargs prints for it, without loading yargs (most of the start-up).
  if (args.length === 1 && args[0] === '--version') {
    await print(`${version()}\n`);
    return;
  }
  if (args[0] === COMPLETION_FLAG) {
    const { complete } = await import('./completion.js');
    const shell = args[1] === 'zsh' ? 'zsh' : 'bash';
    const words = await complete(shell, args.slice(2));
    await print(words.map((w) => `${w}\n`).join(''));
    return;
  }
  assertKnownCommand(args);
  const name = invokedCommand(args);
  const mod = await loadModule(name);
  // A plain line (known options, every value valid) needs no yargs: see lean.ts.
  const lean = capture ? undefined : leanArgv(args, name, mod);
  if (lean) {
    await mod.handler(lean as Parameters<NonNullable<CommandModule['handler']>>[0]);
    return;
  }
  // The bundle loads yargs from its own CommonJS file (scripts/bundle-cli.mjs): there import() gives
  // module.exports as `default`, and yargs is its `default`.
  yargsLoaded = true;
  const loaded = (await import('yargs')).default as unknown;
  const yargs = (typeof loaded === 'function' ? loaded : (loaded as { default: unknown }).default) as typeof import('yargs').default;
  const y = yargs(args);
  // yargs renders and caches the whole help text on every non-default command, after the handler has
  // started (~45 ms of string-width work in the middle of a sweep). We never print help from inside a
  // handler, so skip it. Internal API: if it moves, this is a no-op and help still works.
  const usage = (y as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.().getUsageInstance?.();
  if (usage?.cacheHelpMessage) usage.cacheHelpMessage = () => {};
  const width = helpWidth(process.stdout.columns);
  y.scriptName('arpinject').usage('$0 [probe] --iface IF --tip IP [options]\n\nCraft ARP frames, send them through libpcap, correlate every reply.');
  for (const [k, o] of Object.entries(GLOBAL_OPTIONS)) y.option(k, { ...o, ...('choices' in o ? { choices: [...o.choices] } : {}) });
  y.command((Object.keys(COMMANDS) as CommandName[]).map((n) => lazyCommand(n, width, n === 'probe' && !args.includes('probe'), capture)));
  for (const [cmd, what] of TOP_EXAMPLES) y.example(cmd, what);
  await y
    .epilogue(epilogue(undefined, width))
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
    .version(version())
    .wrap(width)
    .parseAsync()
    .catch((err: unknown) => {
      // After an async builder (every command is one: lazyCommand), yargs rejects with its own YError
      // for a parse error (`--count` without a value) instead of calling fail(): same treatment.
      throw err instanceof Error && err.name === 'YError' ? (takeCoerceError(err.message) ?? usageError(err.message)) : err;
    });
}

/** The command these arguments run: the first word that names one, else probe (the default). */
function invokedCommand(args: string[]): CommandName {
  return (args.find((a) => Object.hasOwn(COMMANDS, a)) as CommandName | undefined) ?? 'probe';
}

/**
 * The first word, when it is not an option, must be a command: probe is the default command, but it
 * takes no positional argument, so `arpinject sweeep 10.0.0.0/24` is a typo, not a probe missing --tip.
 */
function assertKnownCommand(args: string[]): void {
  const first = args[0];
  if (first === undefined || first.startsWith('-') || Object.hasOwn(COMMANDS, first)) return;
  const names = Object.keys(COMMANDS);
  const near = names
    .map((n) => ({ n, d: editDistance(first.toLowerCase(), n) }))
    .filter((c) => c.d <= (c.n.length >= 5 ? 2 : 1) || (first.length >= 3 && c.n.startsWith(first.toLowerCase())))
    .sort((a, b) => a.d - b.d)[0];
  throw new UsageError('ERR_INVALID_ARGUMENT', `unknown command "${first}"${near ? `, did you mean "${near.n}"?` : ''}`, {
    hint: `commands: ${names.join(', ')} (probe is the default: arpinject --iface IF --tip IP); see arpinject --help`,
  });
}

/** Edit distance: insert, delete, substitute or swap two neighbours (wacth -> watch), 1 each. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

const usageError = (text: string): UsageError =>
  new UsageError('ERR_INVALID_ARGUMENT', missingValueMessage(text) ?? text, { hint: 'see arpinject --help' });

// Run when this file is the program (node dist/cli/main.js, the npm bin symlink), not when imported.
// process.argv.slice(2) is what yargs' hideBin() returns under node (it differs only inside Electron).
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathOr(entry)).href) {
  main(process.argv.slice(2)).then(async (code) => {
    process.exitCode = code;
    // The command is over and its output written: leave now. Letting the event loop run dry first
    // tears the V8 heap down (~6 ms of a probe, measured). Not after yargs ran (help and its messages
    // go through console, whose stream processOutputTaken does not know).
    if (yargsLoaded) return;
    await processOutputTaken();
    process.exit(code);
  });
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
