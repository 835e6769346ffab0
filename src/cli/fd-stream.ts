/**
 * stdout and stderr as plain synchronous writes to their file descriptors, when they are a regular
 * file, a pipe or /dev/null: what Node's own streams do there too (synchronous on Linux), without
 * loading Node's stream machinery, which costs ~4 ms of every run's start (native-notes/startup.md).
 * A terminal, a socket or any other device keeps Node's stream (colours, window size, async
 * sockets). The contract is the stream's: a failed write (EPIPE when the reader left, ENOSPC, EIO)
 * arrives as an 'error' event after the write, never as a throw; `write('', cb)` calls back once
 * every byte before it was taken. A descriptor someone left non-blocking (EAGAIN) is handed to
 * Node's stream from that byte on, in order.
 */
import { EventEmitter } from 'node:events';
import { fstatSync, writeSync } from 'node:fs';

/** /dev/null's device number on Linux (major 1, minor 3). */
const DEV_NULL = (1 << 8) | 3;

type Callback = (err?: Error | null) => void;

export class FdStream extends EventEmitter {
  readonly isTTY = false;
  writable = true;
  private failed = false;
  private handedOver: NodeJS.WritableStream | undefined;

  /** `fallback`: the stream that takes over on EAGAIN (process.stdout or process.stderr). */
  constructor(
    readonly fd: number,
    private readonly fallback: () => NodeJS.WritableStream,
  ) {
    super();
  }

  write(chunk: string | Uint8Array, encodingOrCb?: BufferEncoding | Callback, cb?: Callback): boolean {
    const done = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
    if (this.handedOver) return this.handedOver.write(chunk, done);
    if (this.failed) {
      if (done) process.nextTick(done);
      return false;
    }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, typeof encodingOrCb === 'string' ? encodingOrCb : 'utf8') : chunk;
    let off = 0;
    try {
      while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return this.handOver(bytes.subarray(off), done);
      this.failed = true;
      this.writable = false;
      process.nextTick(() => this.emit('error', e));
      if (done) process.nextTick(() => done(e as Error));
      return false;
    }
    if (done) process.nextTick(done);
    return true;
  }

  /** Node's stream writes the rest (it waits for the descriptor); its errors are ours. */
  private handOver(rest: Uint8Array, done: Callback | undefined): boolean {
    const s = this.fallback();
    this.handedOver = s;
    s.on('error', (e) => this.emit('error', e));
    return s.write(rest, done);
  }

  end(cb?: () => void): this {
    if (this.handedOver) this.handedOver.end(cb);
    else if (cb) process.nextTick(cb);
    return this;
  }
}

/** Whether writes to `fd` are plain synchronous writes: a regular file, a pipe, or /dev/null. */
export function plainFd(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFile() || st.isFIFO() || (st.isCharacterDevice() && st.rdev === DEV_NULL);
  } catch {
    return false;
  }
}
