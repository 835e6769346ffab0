/**
 * Typed errors with stable `code`s. Untrusted bytes never throw (see wire/): these are for
 * misuse (bad arguments) and for the environment (privileges, interfaces, libpcap).
 * The CLI maps `kind` to an exit code in one table (cli/exit-codes.ts).
 */

/** What the caller can do about it: fix the input, or fix the machine. */
export type ErrorKind = 'usage' | 'environment' | 'internal';

export type ErrorCode =
  // usage: bad input
  | 'ERR_INVALID_IP'
  | 'ERR_INVALID_MAC'
  | 'ERR_INVALID_NUMBER'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_NO_SOURCE_IP'
  /** An input file or stream over its limit (bytes, line length, targets). */
  | 'ERR_INPUT_TOO_LARGE'
  /** --read input that is not a classic pcap of Ethernet frames (or a damaged one). */
  | 'ERR_NOT_PCAP'
  /** Would send more, or faster, than the flood guard allows without --yes-flood. */
  | 'ERR_FLOOD'
  // environment
  | 'ERR_PERMISSION'
  | 'ERR_NO_INTERFACE'
  | 'ERR_INTERFACE_DOWN'
  | 'ERR_LINK_OPEN'
  | 'ERR_LINK_TYPE'
  | 'ERR_SEND'
  | 'ERR_NATIVE_MODULE'
  | 'ERR_COMMAND_FAILED'
  | 'ERR_FILE'
  // internal
  | 'ERR_INTERNAL';

export interface ErrorOptions {
  cause?: unknown;
  /** One line telling the user how to fix it. */
  hint?: string;
  /** The library option at fault (`timeoutMs`, `sha`...): the CLI names its flag instead. */
  option?: string;
}

export class ArpInjectError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly option: string | undefined;

  constructor(kind: ErrorKind, code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.code = code;
    this.hint = options.hint;
    this.option = options.option;
  }
}

/** Bad input from the caller: an address, a number, an option combination. */
export class UsageError extends ArpInjectError {
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super('usage', code, message, options);
  }
}

/** The machine is not in a state to do it: privileges, interfaces, libpcap, files. */
export class EnvironmentError extends ArpInjectError {
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super('environment', code, message, options);
  }
}

export const isArpInjectError = (e: unknown): e is ArpInjectError => e instanceof ArpInjectError;
