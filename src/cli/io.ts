/** Where the CLI writes: the process's streams, or a caller's (main(argv, io) in tests). */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves host names given as targets (default: the system's resolver, IPv4). Tests inject one. */
  lookup?: (name: string) => Promise<string[]>;
}

const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr });
let current: CliIo | undefined;

export const cliIo = (): CliIo => current ?? processIo();
export function setCliIo(io: CliIo | undefined): void {
  current = io;
}
