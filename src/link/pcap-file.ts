/**
 * Classic pcap files (libpcap format 2.4), written and read by hand: npm has no maintained writer.
 * - PcapWriter: global header at open, then every record goes to the file with one writeSync before
 *   write() returns, so a capture interrupted at any point (Ctrl-C, even SIGKILL) is complete up to
 *   the last frame handed to it; a full disk cuts the file back to its last whole record.
 * - parsePcap/readPcapFile: both byte orders, µs and ns magic; never throws on garbage.
 * - PcapFileLink: replays a capture into the same handlers a live link feeds (offline analysis).
 */
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { EnvironmentError, UsageError } from '../errors.js';
import { type Captured, FrameFanout, type Link, type LinkStats } from './link.js';

export const LINKTYPE_ETHERNET = 1;
const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const MAGIC_PCAPNG = 0x0a0d0d0a;
const GLOBAL_LEN = 24;
const RECORD_LEN = 16;

export interface PcapWriterOptions {
  snaplen?: number;
  nanosecond?: boolean;
  /**
   * Called once when a record cannot be written (disk full, I/O error): the file has been cut back
   * to its last whole record and closed, and later write() calls do nothing. write() never throws:
   * it runs inside capture callbacks, where a throw would take the process down.
   */
  onError?: (err: EnvironmentError) => void;
}

const fileHint = 'give --pcap a writable regular file on a file system with free space';

export class PcapWriter {
  private fd: number | undefined;
  private count = 0;
  /** Bytes of whole records (and the header) in the file: where to cut back to after a short write. */
  private size = GLOBAL_LEN;
  private failure: EnvironmentError | undefined;
  private readonly ns: boolean;
  private readonly snaplen: number;

  private constructor(
    fd: number,
    readonly path: string,
    ns: boolean,
    snaplen: number,
    private readonly onError: ((err: EnvironmentError) => void) | undefined,
  ) {
    this.fd = fd;
    this.ns = ns;
    this.snaplen = snaplen;
  }

  /**
   * Create (or truncate) `path` and write the global header. Open it only after every preflight
   * check has passed: a run that fails at start must not destroy an earlier capture.
   * Every failure, including the header write (/dev/full, /proc/version), is ERR_FILE.
   */
  static open(path: string, opts: PcapWriterOptions = {}): PcapWriter {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (cause) {
      throw new EnvironmentError('ERR_FILE', `cannot write pcap file ${path}: ${(cause as Error).message}`, { cause, hint: 'check the directory exists and is writable' });
    }
    const snaplen = opts.snaplen ?? 65535;
    const h = Buffer.alloc(GLOBAL_LEN);
    h.writeUInt32LE(opts.nanosecond ? MAGIC_NS : MAGIC_US, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8); // thiszone
    h.writeUInt32LE(0, 12); // sigfigs
    h.writeUInt32LE(snaplen, 16);
    h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    try {
      const n = writeSync(fd, h);
      if (n !== h.length) throw new Error(`short write (${n} of ${h.length} bytes)`);
    } catch (cause) {
      closeQuietly(fd);
      throw new EnvironmentError('ERR_FILE', `cannot write pcap file ${path}: ${(cause as Error).message}`, { cause, hint: fileHint });
    }
    return new PcapWriter(fd, path, opts.nanosecond === true, snaplen, opts.onError);
  }

  /**
   * Append one frame. `timeMs` is epoch milliseconds (float). One record is one write(2): after a
   * failed or short write the file is cut back to its last whole record, closed, and `error` is set.
   */
  write(bytes: Uint8Array, timeMs: number, origLen = bytes.length): void {
    if (this.fd === undefined) return;
    const sec = Math.floor(timeMs / 1000);
    const frac = this.ns ? Math.round((timeMs - sec * 1000) * 1e6) : Math.round((timeMs - sec * 1000) * 1e3);
    const max = this.ns ? 1e9 : 1e6;
    this.record(bytes, sec + (frac >= max ? 1 : 0), frac >= max ? frac - max : frac, origLen);
  }

  /**
   * Append one captured frame with its exact time when the link has it (kernel seconds and
   * nanoseconds), so the file's stamps equal the kernel's; else its float time.
   */
  writeCaptured(f: Captured): void {
    if (this.fd === undefined) return;
    if (f.tsSec === undefined || f.tsNsec === undefined) this.write(f.bytes, f.time, f.originalLength);
    // µs files truncate, as libpcap does when it hands a nanosecond stamp to a µs reader.
    else this.record(f.bytes, f.tsSec, this.ns ? f.tsNsec : Math.floor(f.tsNsec / 1000), f.originalLength);
  }

  private record(bytes: Uint8Array, sec: number, frac: number, origLen: number): void {
    if (this.fd === undefined) return;
    const incl = Math.min(bytes.length, this.snaplen);
    const rec = Buffer.allocUnsafe(RECORD_LEN + incl);
    rec.writeUInt32LE(sec, 0);
    rec.writeUInt32LE(frac, 4);
    rec.writeUInt32LE(incl, 8);
    rec.writeUInt32LE(origLen, 12);
    rec.set(bytes.subarray(0, incl), RECORD_LEN);
    let n: number;
    try {
      n = writeSync(this.fd, rec);
    } catch (cause) {
      this.fail(cause as Error);
      return;
    }
    if (n !== rec.length) {
      this.fail(new Error(`short write (${n} of ${rec.length} bytes; the device is full)`));
      return;
    }
    this.size += rec.length;
    this.count++;
  }

  private fail(cause: Error): void {
    const fd = this.fd!;
    this.fd = undefined;
    // Cut a partly written record off, so the file stays valid (a FIFO or a device cannot be cut: skip).
    try {
      ftruncateSync(fd, this.size);
    } catch {
      // not a regular file
    }
    closeQuietly(fd);
    this.failure = new EnvironmentError('ERR_FILE', `cannot write pcap file ${this.path}: ${cause.message}; it holds the first ${this.count} frame(s), whole`, { cause, hint: fileHint });
    this.onError?.(this.failure);
  }

  /** Records are written through at write(); kept for callers that flush on signals. */
  flush(): void {}

  get frames(): number {
    return this.count;
  }

  /** Set once a write failed (the file is valid up to the last whole record, and closed). */
  get error(): EnvironmentError | undefined {
    return this.failure;
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch (cause) {
      this.failure ??= new EnvironmentError('ERR_FILE', `cannot close pcap file ${this.path}: ${(cause as Error).message}`, { cause, hint: fileHint });
    }
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already failing: the first error is the one to report
  }
}

export interface PcapRecord {
  bytes: Uint8Array;
  /** Epoch milliseconds (float). */
  time: number;
  origLen: number;
  /** The record's stamp exactly: seconds, and nanoseconds within the second. */
  sec: number;
  nsec: number;
}

export interface PcapReadResult {
  linkType: number;
  nanosecond: boolean;
  records: PcapRecord[];
  /** The last record was cut short (a capture still being written, or damaged). */
  truncatedTail: boolean;
}

/** Pure parse of a whole classic pcap file. Garbage gives {error}, never a throw. */
export function parsePcap(bytes: Uint8Array): PcapReadResult | { error: string } {
  if (bytes.length < GLOBAL_LEN) return { error: `too short for a pcap header (${bytes.length} bytes)` };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = dv.getUint32(0, true);
  const be = dv.getUint32(0, false);
  let little: boolean;
  let ns: boolean;
  if (le === MAGIC_US || le === MAGIC_NS) [little, ns] = [true, le === MAGIC_NS];
  else if (be === MAGIC_US || be === MAGIC_NS) [little, ns] = [false, be === MAGIC_NS];
  else if (le === MAGIC_PCAPNG) return { error: 'pcapng is not supported; convert it: tcpdump -r IN.pcapng -w OUT.pcap' };
  else return { error: `not a pcap file (magic 0x${le.toString(16)})` };
  const linkType = dv.getUint32(20, little) & 0x0fffffff;
  const records: PcapRecord[] = [];
  let off = GLOBAL_LEN;
  let truncatedTail = false;
  while (off < bytes.length) {
    if (bytes.length - off < RECORD_LEN) {
      truncatedTail = true;
      break;
    }
    const sec = dv.getUint32(off, little);
    const frac = dv.getUint32(off + 4, little);
    const incl = dv.getUint32(off + 8, little);
    const orig = dv.getUint32(off + 12, little);
    if (off + RECORD_LEN + incl > bytes.length) {
      truncatedTail = true;
      break;
    }
    records.push({ bytes: new Uint8Array(bytes.subarray(off + RECORD_LEN, off + RECORD_LEN + incl)), time: sec * 1000 + (ns ? frac / 1e6 : frac / 1e3), origLen: orig, sec, nsec: ns ? frac : frac * 1000 });
    off += RECORD_LEN + incl;
  }
  return { linkType, nanosecond: ns, records, truncatedTail };
}

export function readPcapFile(path: string): PcapReadResult {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new EnvironmentError('ERR_FILE', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  const r = parsePcap(bytes);
  if ('error' in r) throw new UsageError('ERR_INVALID_ARGUMENT', `${path}: ${r.error}`);
  return r;
}

/** Replays a capture file into onFrame handlers: the offline twin of PcapLink. */
export class PcapFileLink implements Link {
  readonly name: string;
  private readonly fanout = new FrameFanout();
  private readonly data: PcapReadResult;
  private received = 0;

  private constructor(path: string, data: PcapReadResult) {
    this.name = path;
    this.data = data;
  }

  static open(path: string): PcapFileLink {
    const data = readPcapFile(path);
    if (data.linkType !== LINKTYPE_ETHERNET) throw new UsageError('ERR_INVALID_ARGUMENT', `${path}: link type ${data.linkType} is not Ethernet (1)`);
    return new PcapFileLink(path, data);
  }

  get truncatedTail(): boolean {
    return this.data.truncatedTail;
  }

  /** Emit every record, in file order, synchronously. Returns the count. */
  replay(): number {
    for (const r of this.data.records) {
      this.received++;
      const len = r.bytes.length;
      // A record cut by the capture's snaplen is truncated capture, not a hostile frame.
      this.fanout.emit({ bytes: r.bytes, time: r.time, tsSec: r.sec, tsNsec: r.nsec, capturedLength: len, originalLength: Math.max(len, r.origLen), truncated: r.origLen > len } satisfies Captured);
    }
    return this.data.records.length;
  }

  send(): number {
    throw new UsageError('ERR_INVALID_ARGUMENT', 'cannot send on a pcap file link');
  }

  onFrame(handler: (f: Captured) => void): () => void {
    return this.fanout.add(handler);
  }

  stats(): LinkStats {
    return { received: this.received, sent: 0, sendErrors: 0, echoes: 0, dropped: 0 };
  }

  close(): void {}
}
