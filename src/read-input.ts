/**
 * Input files and pipes read as a stream of chunks, never whole: `sweep --file`, `watch --read`.
 * - `-` is stdin (a pipe from `tcpdump -w -`, a redirect, a terminal).
 * - A FIFO is opened non-blocking and read through a libuv pipe: opening it does not wait for a
 *   writer in the thread pool, and a pending read never keeps the process from ending.
 * - Regular files and devices (/dev/zero) are read 64 KiB at a time.
 * Every chunk is awaited, so SIGINT/SIGTERM handlers run in between; on `signal` the stream is
 * destroyed and the iteration ends (the caller sees `aborted`).
 */
import { closeSync, constants, createReadStream, fstat, open as openFd } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import { EnvironmentError, UsageError } from './errors.js';

export const CHUNK_BYTES = 64 * 1024;

/** The name used in messages: "stdin" for `-`. */
export const inputName = (path: string): string => (path === '-' ? 'stdin' : path);

async function openStream(path: string): Promise<Readable> {
  if (path === '-') return process.stdin;
  // A plain fd, not a FileHandle: a FIFO's fd is handed to a Socket, and a FileHandle collected by
  // the GC later would close it a second time (EBADF, an uncaught error that ends the process).
  let fd: number;
  try {
    fd = await promisify(openFd)(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw new EnvironmentError('ERR_FILE', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  let st;
  try {
    st = await promisify(fstat)(fd);
  } catch (cause) {
    closeSync(fd);
    throw new EnvironmentError('ERR_FILE', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  if (st.isFIFO() || st.isSocket()) {
    // A libuv pipe (epoll): it waits for a writer without a blocked thread. The socket owns the fd from here.
    const { Socket } = createRequire(import.meta.url)('node:net') as typeof import('node:net'); // loaded for a FIFO only
    return new Socket({ fd, readable: true, writable: false, allowHalfOpen: true });
  }
  if (st.isDirectory()) {
    closeSync(fd);
    throw new EnvironmentError('ERR_FILE', `cannot read ${path}: it is a directory`);
  }
  // The stream owns (and closes) the fd.
  return createReadStream('', { fd, highWaterMark: CHUNK_BYTES });
}

export interface InputChunks {
  chunks: AsyncGenerator<Uint8Array>;
  /** True once the iteration ended because the signal fired. */
  readonly aborted: boolean;
  /** Stop reading (a limit was hit): the stream is destroyed. */
  close(): void;
}

/** Open `path` (or `-`) and iterate its chunks; open and read failures are ERR_FILE (exit 3). */
export async function readInput(path: string, signal?: AbortSignal): Promise<InputChunks> {
  const stream = await openStream(path);
  let aborted = false;
  let wake: (() => void) | undefined;
  const onAbort = () => {
    aborted = true;
    wake?.();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const close = () => {
    signal?.removeEventListener('abort', onAbort);
    // stdin is not ours to destroy: pause it, so nothing more is read.
    if (stream === process.stdin) stream.pause();
    else stream.destroy();
  };
  async function* gen(): AsyncGenerator<Uint8Array> {
    const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
    try {
      while (!aborted && !signal?.aborted) {
        const stop = new Promise<'abort'>((resolve) => (wake = () => resolve('abort')));
        let r: IteratorResult<Buffer | string> | 'abort';
        const next = it.next();
        // Settled after an abort (the stream destroyed under it): nobody waits for it then.
        next.catch(() => {});
        try {
          r = await Promise.race([next, stop]);
        } catch (cause) {
          throw new EnvironmentError('ERR_FILE', `cannot read ${inputName(path)}: ${(cause as Error).message}`, { cause });
        }
        if (r === 'abort' || r.done) break;
        yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      }
      if (signal?.aborted) aborted = true;
    } finally {
      wake = undefined;
      close();
    }
  }
  return {
    chunks: gen(),
    get aborted() {
      return aborted;
    },
    close,
  };
}

export interface LineOptions {
  /** For messages: the file name, or "stdin". */
  name: string;
  maxLineBytes: number;
  maxBytes: number;
  /** What the file should hold, for the hints of the too-large errors. */
  hintLine: string;
  hintBytes: string;
  /** "a targets file": for the messages. */
  what: string;
}

/**
 * Split a stream of chunks into lines (latin1, "\n"; a last line without one counts), calling
 * `take(line, lineNo)` for each as it comes. A line over maxLineBytes, or more than maxBytes in all,
 * stops the read at once (ERR_INPUT_TOO_LARGE), so /dev/zero or `yes` is refused after a few KiB.
 */
export async function forEachLine(chunks: AsyncIterable<Uint8Array>, o: LineOptions, take: (line: string, lineNo: number) => void): Promise<void> {
  let bytes = 0;
  let lineNo = 0;
  let partial: Uint8Array[] = [];
  let partialLen = 0;
  const tooLarge = (message: string, hint: string) => new UsageError('ERR_INPUT_TOO_LARGE', message, { hint });
  const lineTooLong = () => tooLarge(`${o.name}: line ${lineNo + 1} is longer than ${o.maxLineBytes} bytes: not ${o.what}`, o.hintLine);
  for await (const chunk of chunks) {
    bytes += chunk.length;
    if (bytes > o.maxBytes) throw tooLarge(`${o.name}: more than ${o.maxBytes} bytes: too large for ${o.what}`, o.hintBytes);
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      if (partialLen + nl - start > o.maxLineBytes) throw lineTooLong();
      const piece = chunk.subarray(start, nl);
      const line = partialLen > 0 ? Buffer.concat([...partial, piece]).toString('latin1') : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('latin1');
      partial = [];
      partialLen = 0;
      take(line, ++lineNo);
      start = nl + 1;
    }
    if (start < chunk.length) {
      partialLen += chunk.length - start;
      if (partialLen > o.maxLineBytes) throw lineTooLong();
      partial.push(new Uint8Array(chunk.subarray(start)));
    }
  }
  if (partialLen > 0) take(Buffer.concat(partial).toString('latin1'), ++lineNo);
}
