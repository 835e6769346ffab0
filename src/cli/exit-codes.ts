/** The one table from outcomes and error kinds to process exit codes. Documented in README.md. */
import { isArpInjectError, type ErrorKind } from '../errors.js';

export const ExitCode = {
  /** Done; the expectation (if any) is met. */
  OK: 0,
  /** Ran fine, but the expectation is not met (no reply, a foreign MAC, a finding, a disagreement). */
  NOT_MET: 1,
  /** Bad input: unknown option, bad IP/MAC/number, bad combination. */
  USAGE: 2,
  /** The environment: not root / no CAP_NET_RAW, interface missing or down, libpcap failure, files. */
  ENVIRONMENT: 3,
  /** A bug in arpinject. */
  INTERNAL: 4,
  /** Interrupted by SIGINT (after printing what was collected): 128 + 2. */
  INTERRUPTED: 130,
  /** Terminated by SIGTERM (after printing what was collected): 128 + 15. */
  TERMINATED: 143,
} as const;

/**
 * What each exit code means, for every command: `--help`, the man page and README.md's table are
 * generated from it (src/cli/help.ts adds what 0 and 1 mean for each command).
 */
export const EXIT_CODE_MEANINGS: ReadonlyArray<{ code: number; meaning: string }> = [
  { code: ExitCode.OK, meaning: 'done, and the expectation is met' },
  { code: ExitCode.NOT_MET, meaning: 'ran fine, but the expectation is not met (no reply, another MAC, a finding at or above --fail-on, a prediction the kernel disagreed with)' },
  { code: ExitCode.USAGE, meaning: 'bad input: unknown command or option, bad IP/MAC/number, missing argument, no sender IP' },
  { code: ExitCode.ENVIRONMENT, meaning: 'environment: not root / no CAP_NET_RAW, interface missing, down or not Ethernet (lo), libpcap or native module failure, file errors' },
  { code: ExitCode.INTERNAL, meaning: 'a bug in arpinject (rerun with --debug and report the stack trace)' },
  { code: ExitCode.INTERRUPTED, meaning: 'interrupted by Ctrl-C / SIGINT (what was collected has been printed and written)' },
  { code: ExitCode.TERMINATED, meaning: 'terminated by SIGTERM (likewise: what was collected has been printed and written)' },
];

/** The exit code for a run a signal ended (the shell convention 128 + signal number). */
export function exitCodeForSignal(sig: NodeJS.Signals): number {
  return sig === 'SIGTERM' ? ExitCode.TERMINATED : ExitCode.INTERRUPTED;
}

const BY_KIND: Record<ErrorKind, number> = { usage: ExitCode.USAGE, environment: ExitCode.ENVIRONMENT, internal: ExitCode.INTERNAL };

export function exitCodeForError(err: unknown): number {
  return isArpInjectError(err) ? BY_KIND[err.kind] : ExitCode.INTERNAL;
}
