/**
 * stdout/stderr as plain writes to their descriptors (src/cli/fd-stream.ts): bytes in order, a failed
 * write as an 'error' event after the write (never a throw), a non-blocking descriptor handed to the
 * fallback stream from the byte that would block, and which descriptors qualify.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FdStream, plainFd } from '../../src/cli/fd-stream.js';

const dir = mkdtempSync(join(tmpdir(), 'arpinject-fd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const noFallback = (): NodeJS.WritableStream => {
  throw new Error('no fallback expected');
};
const tick = () => new Promise((r) => setImmediate(r));

describe('FdStream', () => {
  test('a file: strings and bytes in order, callbacks after the bytes were written, no error', async () => {
    const p = join(dir, 'a.txt');
    const fd = openSync(p, 'w');
    const s = new FdStream(fd, noFallback);
    const errors: unknown[] = [];
    s.on('error', (e) => errors.push(e));
    assert.equal(s.write('héllo '), true);
    s.write(new TextEncoder().encode('wörld\n'));
    const called = await new Promise<boolean>((resolve) => s.write('', () => resolve(readFileSync(p, 'utf8') === 'héllo wörld\n')));
    assert.equal(called, true);
    closeSync(fd);
    assert.deepEqual(errors, []);
    assert.equal(s.isTTY, false);
  });

  test('/dev/full: ENOSPC arrives as an error event after the write, later writes are dropped', async () => {
    const fd = openSync('/dev/full', 'w');
    const s = new FdStream(fd, noFallback);
    const errors: Array<NodeJS.ErrnoException> = [];
    s.on('error', (e: NodeJS.ErrnoException) => errors.push(e));
    assert.equal(s.write('x'), false); // no throw
    assert.equal(errors.length, 0, 'not synchronous');
    let cbErr: unknown;
    s.write('y', (e) => (cbErr = e ?? 'none'));
    await tick();
    closeSync(fd);
    assert.deepEqual(errors.map((e) => e.code), ['ENOSPC']);
    assert.equal(cbErr, 'none');
    assert.equal(s.writable, false);
  });

  test('a pipe whose reader left: EPIPE as an error event', async () => {
    // `| true`: the reader exits at once; the write after it has gone fails with EPIPE (Node ignores SIGPIPE).
    const sh = spawnSync('sh', ['-c', `"$0" --import tsx -e "$1" | true`, process.execPath, `
      const { FdStream } = await import(${JSON.stringify(new URL('../../src/cli/fd-stream.ts', import.meta.url).href)});
      await new Promise((r) => setTimeout(r, 300));
      const s = new FdStream(1, () => { throw new Error('fallback'); });
      s.on('error', (e) => { process.stderr.write('error ' + e.code + '\\n'); });
      s.write('x');
      process.stderr.write('after\\n');
    `], { encoding: 'utf8', timeout: 20000 });
    assert.equal(sh.status, 0, sh.stderr);
    assert.equal(sh.stderr, 'after\nerror EPIPE\n');
  });

  test('a non-blocking pipe that fills: the rest goes to the fallback stream, in order, and nothing is lost', async () => {
    const fifo = join(dir, 'fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    // O_RDWR: opens without a reader; O_NONBLOCK: a full pipe answers EAGAIN.
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    const taken: Buffer[] = [];
    let fallbacks = 0;
    const fallback = {
      on: () => fallback,
      write: (chunk: Uint8Array, cb?: () => void) => {
        taken.push(Buffer.from(chunk));
        if (cb) process.nextTick(cb);
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    const s = new FdStream(fd, () => (fallbacks++, fallback));
    const chunk = (i: number) => Buffer.alloc(10_000, 97 + (i % 26));
    const all: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      all.push(chunk(i));
      s.write(chunk(i));
    }
    await new Promise<void>((r) => s.write('', () => r()));
    assert.equal(fallbacks, 1);
    // What the pipe holds, then what the fallback took: the 200,000 bytes, in order.
    const inPipe: Buffer[] = [];
    const buf = Buffer.alloc(65536);
    for (;;) {
      let n = 0;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw e;
      }
      if (n <= 0) break;
      inPipe.push(Buffer.from(buf.subarray(0, n)));
    }
    closeSync(fd);
    const got = Buffer.concat([...inPipe, ...taken]);
    assert.ok(Buffer.concat(inPipe).length > 0 && taken.length > 0);
    assert.equal(got.length, 200_000);
    assert.ok(got.equals(Buffer.concat(all)));
  });
});

describe('plainFd', () => {
  test('a file, a pipe and /dev/null are plain; /dev/full and a closed descriptor are not', () => {
    const file = openSync(join(dir, 'b.txt'), 'w');
    const nul = openSync('/dev/null', 'w');
    const full = openSync('/dev/full', 'w');
    const fifo = join(dir, 'fifo2');
    spawnSync('mkfifo', [fifo]);
    const pipe = openSync(fifo, constants.O_RDWR);
    assert.deepEqual([plainFd(file), plainFd(nul), plainFd(pipe), plainFd(full)], [true, true, true, false]);
    for (const fd of [file, nul, full, pipe]) closeSync(fd);
    assert.equal(plainFd(file), false);
  });
});
