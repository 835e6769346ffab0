/**
 * What every command handler gets: output, logger, an AbortSignal tied to Ctrl-C, and one place
 * where errors become messages and exit codes. Handlers return their exit code.
 */
import type { Logger } from '../log.js';
import { ExitCode, exitCodeForError, exitCodeForSignal } from './exit-codes.js';
import { createCliLogger } from './logger.js';
import { Output } from './output.js';
import type { ColorMode, LogFormat } from './globals.js';

export interface GlobalArgs {
  json: boolean;
  logLevel: string;
  debug: boolean;
  color?: ColorMode;
  logFormat?: LogFormat;
}

export interface CommandContext {
  out: Output;
  log: Logger;
  /** Aborted on the first SIGINT/SIGTERM: stop, print what was collected, flush files. */
  signal: AbortSignal;
}

export interface RunOptions {
  /** A signal is how this command normally ends (respond, watch): keep the handler's exit code. */
  signalEndsNormally?: boolean;
}

export async function runCommand(argv: GlobalArgs, fn: (ctx: CommandContext) => Promise<number>, opts: RunOptions = {}): Promise<void> {
  const out = new Output({ json: argv.json, debug: argv.debug, ...(argv.color !== undefined ? { color: argv.color } : {}) });
  const log = createCliLogger(argv.debug ? 'debug' : argv.logLevel, { ...(argv.logFormat !== undefined ? { format: argv.logFormat } : {}), ...(argv.color !== undefined ? { color: argv.color } : {}) });
  const ac = new AbortController();
  let interrupts = 0;
  let firstSignal: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(exitCodeForSignal(sig)); // second Ctrl-C: leave now
    firstSignal = sig;
    log.warn({ signal: sig }, 'interrupted: finishing with what was collected');
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // stdout closed by its reader (| head -1) or failing (disk full): nobody reads the rest, so end the
  // run like Ctrl-C. A closed pipe then exits 0, quietly; a failing stdout is ERR_FILE (exit 3).
  out.onBroken(() => ac.abort());
  let code: number;
  try {
    code = await fn({ out, log, signal: ac.signal });
    await out.settle();
    if (firstSignal !== undefined && !opts.signalEndsNormally) code = exitCodeForSignal(firstSignal);
    if (out.state === 'closed') code = ExitCode.OK;
    else if (out.state === 'failed') {
      out.rescueSummary();
      out.error(out.failure);
      code = ExitCode.ENVIRONMENT;
    }
  } catch (err) {
    out.error(err);
    code = exitCodeForError(err);
  } finally {
    out.flush();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  process.exitCode = code;
}
