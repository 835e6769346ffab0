/**
 * Classic pcap files (libpcap format 2.4), written and read by hand: npm has no maintained writer.
 * - PcapWriter: global header at open, then every record goes to the file with one writeSync before
 *   write() returns, so a capture interrupted at any point (Ctrl-C, even SIGKILL) is complete up to
 *   the last frame handed to it; a full disk cuts the file back to its last whole record.
 * - parsePcap/readPcapFile: both byte orders, µs and ns magic; never throws on garbage.
 * - PcapFileLink: replays a capture into the same handlers a live link feeds (offline analysis).
 * - PcapStreamLink: the same, record by record from a file, a FIFO or stdin (`tcpdump -w - | ...`):
 *   memory is one chunk and one partial record, whatever the size of the capture.
 */
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { EnvironmentError, UsageError } from '../errors.js';
import { inputName, readInput } from '../read-input.js';
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

/** Largest record a reader accepts (libpcap's MAXIMUM_SNAPLEN): a bigger one means a damaged file. */
export const MAX_PCAP_RECORD = 262_144;

export interface PcapHeader {
  linkType: number;
  nanosecond: boolean;
}

/**
 * Incremental classic pcap parser: feed it chunks as they come (a file, a pipe from `tcpdump -w -`),
 * take the whole records out. It holds at most one partial record between chunks, never the file.
 * Garbage is an `error`, never a throw.
 */
export class PcapParser {
  header: PcapHeader | undefined;
  error: string | undefined;
  private little = true;
  private pending: Uint8Array = new Uint8Array(0);
  /** Stream offset of the first byte not yet consumed (for messages). */
  offset = 0;

  /** Parse what `chunk` completes; returns the whole records in it (empty after an error). */
  push(chunk: Uint8Array): PcapRecord[] {
    if (this.error !== undefined) return [];
    let bytes = chunk;
    if (this.pending.length > 0) {
      bytes = new Uint8Array(this.pending.length + chunk.length);
      bytes.set(this.pending, 0);
      bytes.set(chunk, this.pending.length);
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let off = 0;
    const out: PcapRecord[] = [];
    if (this.header === undefined) {
      if (bytes.length < GLOBAL_LEN) {
        this.pending = new Uint8Array(bytes);
        return out;
      }
      const le = dv.getUint32(0, true);
      const be = dv.getUint32(0, false);
      let ns: boolean;
      if (le === MAGIC_US || le === MAGIC_NS) [this.little, ns] = [true, le === MAGIC_NS];
      else if (be === MAGIC_US || be === MAGIC_NS) [this.little, ns] = [false, be === MAGIC_NS];
      else {
        this.error = le === MAGIC_PCAPNG ? 'pcapng is not supported; convert it: tcpdump -r IN.pcapng -w OUT.pcap' : `not a pcap file (magic 0x${le.toString(16)})`;
        this.pending = new Uint8Array(0);
        return out;
      }
      this.header = { linkType: dv.getUint32(20, this.little) & 0x0fffffff, nanosecond: ns };
      off = GLOBAL_LEN;
    }
    const ns = this.header.nanosecond;
    const little = this.little;
    while (bytes.length - off >= RECORD_LEN) {
      const incl = dv.getUint32(off + 8, little);
      if (incl > MAX_PCAP_RECORD) {
        this.error = `damaged pcap: record at byte ${this.offset + off} claims ${incl} bytes (more than ${MAX_PCAP_RECORD})`;
        this.pending = new Uint8Array(0);
        return out;
      }
      if (off + RECORD_LEN + incl > bytes.length) break;
      const sec = dv.getUint32(off, little);
      const frac = dv.getUint32(off + 4, little);
      const orig = dv.getUint32(off + 12, little);
      out.push({ bytes: new Uint8Array(bytes.subarray(off + RECORD_LEN, off + RECORD_LEN + incl)), time: sec * 1000 + (ns ? frac / 1e6 : frac / 1e3), origLen: orig, sec, nsec: ns ? frac : frac * 1000 });
      off += RECORD_LEN + incl;
    }
    this.offset += off;
    // A copy (a Buffer's slice() is a view: the stream may reuse it).
    this.pending = off === bytes.length ? new Uint8Array(0) : new Uint8Array(bytes.subarray(off));
    return out;
  }

  /** The input ended: was anything short (no header: an error; a cut record: truncated tail)? */
  end(): { truncatedTail: boolean } {
    if (this.error === undefined && this.header === undefined) this.error = `too short for a pcap header (${this.pending.length} bytes)`;
    return { truncatedTail: this.header !== undefined && this.pending.length > 0 };
  }
}

/** Pure parse of a whole classic pcap file. Garbage gives {error}, never a throw. */
export function parsePcap(bytes: Uint8Array): PcapReadResult | { error: string } {
  const p = new PcapParser();
  const records = p.push(bytes);
  const { truncatedTail } = p.end();
  if (p.error !== undefined) return { error: p.error };
  return { linkType: p.header!.linkType, nanosecond: p.header!.nanosecond, records, truncatedTail };
}

export function readPcapFile(path: string): PcapReadResult {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new EnvironmentError('ERR_FILE', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  const r = parsePcap(bytes);
  if ('error' in r) throw new UsageError('ERR_NOT_PCAP', `${path}: ${r.error}`);
  return r;
}

/** What both pcap file links share: they replay, never send, and drop nothing. */
abstract class ReplayLink implements Link {
  protected readonly fanout = new FrameFanout();
  protected received = 0;

  constructor(readonly name: string) {}

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

/** Replays a capture file into onFrame handlers: the offline twin of PcapLink. */
export class PcapFileLink extends ReplayLink {
  private readonly data: PcapReadResult;

  private constructor(path: string, data: PcapReadResult) {
    super(path);
    this.data = data;
  }

  static open(path: string): PcapFileLink {
    const data = readPcapFile(path);
    if (data.linkType !== LINKTYPE_ETHERNET) throw new UsageError('ERR_NOT_PCAP', `${path}: link type ${data.linkType} is not Ethernet (1)`);
    return new PcapFileLink(path, data);
  }

  get truncatedTail(): boolean {
    return this.data.truncatedTail;
  }

  /** Emit every record, in file order, synchronously. Returns the count. */
  replay(): number {
    for (const r of this.data.records) {
      this.received++;
      this.fanout.emit(toCaptured(r));
    }
    return this.data.records.length;
  }

}

const toCaptured = (r: PcapRecord): Captured => {
  const len = r.bytes.length;
  // A record cut by the capture's snaplen is truncated capture, not a hostile frame.
  return { bytes: r.bytes, time: r.time, tsSec: r.sec, tsNsec: r.nsec, capturedLength: len, originalLength: Math.max(len, r.origLen), truncated: r.origLen > len };
};

export interface PcapStreamResult {
  frames: number;
  /** The input ended inside a record (a capture still being written, or damaged). */
  truncatedTail: boolean;
  /** The signal fired before the end of the input. */
  interrupted: boolean;
}

const notPcapHint = 'give a classic pcap of Ethernet frames (tcpdump -w FILE, or tcpdump -w - | arpinject watch --read -)';

/**
 * Streams a capture (a file, a FIFO, or `-` for stdin) into onFrame handlers, record by record, as
 * it is read: the live twin of PcapFileLink for input of any size. Not a pcap, pcapng, another link
 * type or a record over MAX_PCAP_RECORD: ERR_NOT_PCAP (exit 2); unreadable: ERR_FILE (exit 3).
 */
export class PcapStreamLink extends ReplayLink {
  constructor(readonly path: string) {
    super(inputName(path));
  }

  async replay(signal?: AbortSignal): Promise<PcapStreamResult> {
    const input = await readInput(this.path, signal);
    const parser = new PcapParser();
    const fail = (why: string) => new UsageError('ERR_NOT_PCAP', `${this.name}: ${why}`, { hint: notPcapHint });
    let checked = false;
    for await (const chunk of input.chunks) {
      const records = parser.push(chunk);
      if (parser.error !== undefined) throw fail(parser.error);
      if (!checked && parser.header) {
        checked = true;
        if (parser.header.linkType !== LINKTYPE_ETHERNET) throw fail(`link type ${parser.header.linkType} is not Ethernet (1)`);
      }
      for (const r of records) {
        this.received++;
        this.fanout.emit(toCaptured(r));
      }
    }
    if (input.aborted) return { frames: this.received, truncatedTail: false, interrupted: true };
    const { truncatedTail } = parser.end();
    if (parser.error !== undefined) throw fail(parser.error);
    return { frames: this.received, truncatedTail, interrupted: false };
  }
}
