/**
 * Classic pcap files (libpcap format 2.4), written and read by hand: npm has no maintained writer.
 * - PcapWriter: global header at open, then every record goes to the file with writeSync before
 *   write() returns, so a capture interrupted at any point (Ctrl-C, even SIGKILL) is complete up to
 *   the last frame handed to it.
 * - parsePcap/readPcapFile: both byte orders, µs and ns magic; never throws on garbage.
 * - PcapFileLink: replays a capture into the same handlers a live link feeds (offline analysis).
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { EnvironmentError, UsageError } from '../errors.js';
import { type Captured, FrameFanout, type Link, type LinkStats } from './link.js';

export const LINKTYPE_ETHERNET = 1;
const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const MAGIC_PCAPNG = 0x0a0d0d0a;
const GLOBAL_LEN = 24;
const RECORD_LEN = 16;

export class PcapWriter {
  private fd: number | undefined;
  private count = 0;
  private readonly ns: boolean;
  private readonly snaplen: number;

  private constructor(fd: number, ns: boolean, snaplen: number) {
    this.fd = fd;
    this.ns = ns;
    this.snaplen = snaplen;
  }

  static open(path: string, opts: { snaplen?: number; nanosecond?: boolean } = {}): PcapWriter {
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
    writeSync(fd, h);
    return new PcapWriter(fd, opts.nanosecond === true, snaplen);
  }

  /** Append one frame. `timeMs` is epoch milliseconds (float). */
  write(bytes: Uint8Array, timeMs: number, origLen = bytes.length): void {
    if (this.fd === undefined) return;
    const incl = Math.min(bytes.length, this.snaplen);
    const rec = Buffer.alloc(RECORD_LEN + incl);
    const sec = Math.floor(timeMs / 1000);
    const frac = this.ns ? Math.round((timeMs - sec * 1000) * 1e6) : Math.round((timeMs - sec * 1000) * 1e3);
    const max = this.ns ? 1e9 : 1e6;
    rec.writeUInt32LE(sec + (frac >= max ? 1 : 0), 0);
    rec.writeUInt32LE(frac >= max ? frac - max : frac, 4);
    rec.writeUInt32LE(incl, 8);
    rec.writeUInt32LE(origLen, 12);
    rec.set(bytes.subarray(0, incl), RECORD_LEN);
    writeSync(this.fd, rec);
    this.count++;
  }

  /**
   * Append one captured frame with its exact time when the link has it (kernel seconds and
   * nanoseconds), so the file's stamps equal the kernel's; else its float time.
   */
  writeCaptured(f: Captured): void {
    if (f.tsSec === undefined || f.tsNsec === undefined) {
      this.write(f.bytes, f.time, f.originalLength);
      return;
    }
    if (this.fd === undefined) return;
    const incl = Math.min(f.bytes.length, this.snaplen);
    const rec = Buffer.alloc(RECORD_LEN + incl);
    rec.writeUInt32LE(f.tsSec, 0);
    // µs files truncate, as libpcap does when it converts a nanosecond stamp to microseconds.
    rec.writeUInt32LE(this.ns ? f.tsNsec : Math.floor(f.tsNsec / 1000), 4);
    rec.writeUInt32LE(incl, 8);
    rec.writeUInt32LE(f.originalLength, 12);
    rec.set(f.bytes.subarray(0, incl), RECORD_LEN);
    writeSync(this.fd, rec);
    this.count++;
  }

  /** Records are written through at write(); kept for callers that flush on signals. */
  flush(): void {}

  get frames(): number {
    return this.count;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
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
