/**
 * Input files and pipes read as a stream of chunks, never whole: `sweep --file`, `watch --read`.
 * - `-` is stdin (a pipe from `tcpdump -w -`, a redirect, a terminal).
 * - A FIFO is opened non-blocking and read through a libuv pipe: opening it does not wait for a
 *   writer in the thread pool, and a pending read never keeps the process from ending.
 * - Regular files and devices (/dev/zero) are read 64 KiB at a time.
 * Every chunk is awaited, so SIGINT/SIGTERM handlers run in between; on `signal` the stream is
 * destroyed and the iteration ends (the caller sees `aborted`).
 */
import { constants, createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { EnvironmentError } from './errors.js';

export const CHUNK_BYTES = 64 * 1024;

/** The name used in messages: "stdin" for `-`. */
export const inputName = (path: string): string => (path === '-' ? 'stdin' : path);

async function openStream(path: string): Promise<Readable> {
  if (path === '-') return process.stdin;
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw new EnvironmentError('ERR_FILE', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  const st = await fh.stat();
  if (st.isFIFO() || st.isSocket()) {
    // A libuv pipe (epoll): it waits for a writer without a blocked thread.
    const fd = fh.fd;
    // The socket owns the fd from here.
    return new Socket({ fd, readable: true, writable: false, allowHalfOpen: true });
  }
  if (st.isDirectory()) {
    await fh.close();
    throw new EnvironmentError('ERR_FILE', `cannot read ${path}: it is a directory`);
  }
  return createReadStream('', { fd: fh, highWaterMark: CHUNK_BYTES });
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
