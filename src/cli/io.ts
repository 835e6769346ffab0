/** Where the CLI writes: the process's streams, or a caller's (main(argv, io) in tests). */
import { FdStream, plainFd } from './fd-stream.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves host names given as targets (default: the system's resolver, IPv4). Tests inject one. */
  lookup?: (name: string) => Promise<string[]>;
}

let stdout: NodeJS.WritableStream | undefined;
let stderr: NodeJS.WritableStream | undefined;

/** The process's stdout: plain writes to fd 1 for a file, a pipe or /dev/null (src/cli/fd-stream.ts), else Node's stream. */
export const processStdout = (): NodeJS.WritableStream => (stdout ??= plainFd(1) ? (new FdStream(1, () => process.stdout) as unknown as NodeJS.WritableStream) : process.stdout);
/** The process's stderr, likewise (fd 2). */
export const processStderr = (): NodeJS.WritableStream => (stderr ??= plainFd(2) ? (new FdStream(2, () => process.stderr) as unknown as NodeJS.WritableStream) : process.stderr);

const processIo = (): CliIo => ({
  get stdout() {
    return processStdout();
  },
  get stderr() {
    return processStderr();
  },
});
let current: CliIo | undefined;

export const cliIo = (): CliIo => current ?? processIo();
export function setCliIo(io: CliIo | undefined): void {
  current = io;
}

/**
 * Resolves once every byte written through the process's stdout and stderr (those this module gave
 * out) was taken: FdStream writes are synchronous (after an EAGAIN hand-over, Node's stream has the
 * rest), and Node's own stream may still queue bytes for a socket or a slow pipe; `write('', cb)`
 * calls back after every write before it.
 */
export async function processOutputTaken(): Promise<void> {
  for (const s of [stdout, stderr]) {
    if (s === undefined) continue;
    await new Promise<void>((resolve) => {
      try {
        s.write('', () => resolve());
      } catch {
        resolve();
      }
    });
  }
}
