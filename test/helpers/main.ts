/** Run the CLI in process (`main(argv, io)`), collecting what it writes to stdout and stderr. */
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

/** A stream that keeps what was written to it; `tty` makes it look like a terminal. */
export function textStream(tty = false): PassThrough & { text: () => string } {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean; text: () => string };
  let t = '';
  s.on('data', (d: Buffer) => (t += d.toString()));
  if (tty) s.isTTY = true;
  s.text = () => t;
  return s;
}

export interface MainOptions extends Partial<Omit<CliIo, 'stdout' | 'stderr'>> {
  /** Make stdout / stderr look like a terminal. */
  tty?: { stdout?: boolean; stderr?: boolean };
}

export async function runMain(args: string[], opts: MainOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { tty = {}, ...io } = opts;
  const out = textStream(tty.stdout ?? false);
  const err = textStream(tty.stderr ?? false);
  const code = await main(args, { ...io, stdout: out, stderr: err });
  return { code, stdout: out.text(), stderr: err.text() };
}
