/**
 * The live link: arpinject's own libpcap binding (src/link/native/pcap_binding.c, Node-API), the
 * only native capture code in the project. What it gives over the `cap` addon it replaced
 * (native-notes/capture.md has the measurements):
 * - kernel timestamps (nanoseconds) on every frame, with captured/original length and truncation;
 * - our own frames seen on the wire: sends go out on a second packet socket, so the capture handle
 *   sees them as the kernel transmitted them, tagged `sentId` (RTT = reply - request, both kernel time);
 * - a snaplen of our choosing (default 256), so a ring slot is 336 bytes, not 64 KiB;
 * - batched delivery (one JS call per poll wake-up) and batched send (sendmmsg);
 * - drop accounting (pcap_stats) and a lifetime that does not depend on the garbage collector.
 */
import { EnvironmentError, UsageError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { type Clock, systemClock } from '../time/clock.js';
import { type Captured, FrameFanout, type Link, type LinkStats } from './link.js';
import { noRawPrivilege, noSuchInterface, preflightInterface } from './interfaces.js';
import { type NativeBinding, type NativeOpenResult, type NativeStats, loadBinding } from './binding.js';

export { loadBinding } from './binding.js';

/** Default capture filter: ARP, tagged or not. */
export const ARP_FILTER = 'arp or (vlan and arp)';
/** Default snapshot length: an ARP frame with two VLAN tags is 60 bytes; 256 leaves room for odd hlen/plen. */
export const DEFAULT_SNAPLEN = 256;
/** Default kernel ring: about 25,000 frames at snaplen 256 (see ringFrames). */
export const DEFAULT_RING_BYTES = 8 << 20;

const DLT_EN10MB = 1;

/** libpcap's version string, e.g. "libpcap version 1.10.3 (with TPACKET_V3)". */
export function pcapVersion(): string {
  return loadBinding().libVersion();
}

const TPACKET_ALIGN = (x: number) => (x + 15) & ~15;
/** Bytes of ring one captured frame takes at this snaplen (see ringFrames): 336 at snaplen 256. */
export const ringSlotBytes = (snaplen: number): number => TPACKET_ALIGN(68 + snaplen);
/**
 * Frames the kernel ring holds for a snaplen and a buffer size, with libpcap 1.10's arithmetic for
 * TPACKET_V2 (immediate mode): slot = TPACKET_ALIGN(68 + snaplen), where 68 = the tpacket2 header
 * and sockaddr_ll, aligned, plus libpcap's 256-byte link-header reserve and 4 bytes for a VLAN tag,
 * minus that reserve; blocks are one page (or the slot rounded up to a power of two) and hold whole
 * slots. snaplen 256: 336-byte slots, 12 per 4 KiB block, 24,972 frames in 8 MiB.
 */
export function ringFrames(snaplen: number, bufferSize: number, pageSize = 4096): number {
  const slot = ringSlotBytes(snaplen);
  let block = pageSize;
  while (block < slot) block *= 2;
  const perBlock = Math.floor(block / slot);
  const wanted = Math.ceil(bufferSize / slot);
  return Math.ceil(wanted / perBlock) * perBlock;
}

export interface PcapLinkOptions {
  /** BPF filter; default ARP_FILTER. */
  filter?: string;
  /** Snapshot length; default 256. Longer frames are delivered cut, flagged `truncated`. */
  snaplen?: number;
  /** Kernel ring size in bytes; default 8 MiB. */
  bufferSize?: number;
  /** Promiscuous mode; default true (replies to a spoofed sender MAC are addressed to another MAC). */
  promisc?: boolean;
  /**
   * Called once when the capture fails after opening (libpcap read error: the interface went away).
   * Nothing more is delivered; the error is also logged and kept in `error`.
   */
  onError?: (err: EnvironmentError) => void;
  clock?: Clock;
  logger?: Logger;
}

/** Capture statistics beyond the common LinkStats. */
export interface PcapLinkStats extends LinkStats {
  /** Frames that passed the filter, as the kernel counts them (pcap_stats ps_recv). */
  kernelReceived: number;
  /** Dropped by the interface or driver while we listened (ps_ifdrop). */
  ifDropped: number;
  /** Our sends whose echo was never captured (dropped, or filtered out). */
  echoesMissed: number;
}

export class PcapLink implements Link {
  readonly name: string;
  readonly snaplen: number;
  readonly ringFrames: number;
  readonly nanosecond: boolean;
  private readonly native: NativeBinding;
  private readonly handle: object;
  private readonly fanout = new FrameFanout();
  private readonly counters = { received: 0, sent: 0, sendErrors: 0, echoes: 0 };
  private closed = false;
  private final: NativeStats | undefined;
  private readonly clock: Clock;
  private readError: string | undefined;
  private log: Logger = silentLogger;
  private onError: ((err: EnvironmentError) => void) | undefined;
  private readonly words: number;
  private delivering = false;

  private constructor(name: string, native: NativeBinding, r: NativeOpenResult, clock: Clock, bufferSize: number) {
    this.name = name;
    this.native = native;
    this.handle = r.handle;
    this.clock = clock;
    this.snaplen = r.snaplen;
    this.nanosecond = r.nano;
    this.ringFrames = ringFrames(r.snaplen, bufferSize);
    this.words = native.ENTRY_WORDS;
  }

  static open(iface: string, opts: PcapLinkOptions = {}): PcapLink {
    preflightInterface(iface);
    const native = loadBinding();
    const clock = opts.clock ?? systemClock;
    const log = opts.logger ?? silentLogger;
    const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    if (!Number.isInteger(snaplen) || snaplen < 60 || snaplen > 262144) {
      throw new UsageError('ERR_INVALID_NUMBER', `snaplen must be an integer from 60 to 262144, got ${snaplen}`);
    }
    const bufferSize = opts.bufferSize ?? DEFAULT_RING_BYTES;
    const filter = opts.filter ?? ARP_FILTER;
    let link: PcapLink | undefined;
    let r: NativeOpenResult;
    try {
      r = native.open(
        { device: iface, snaplen, bufferSize, promisc: opts.promisc ?? true, immediate: true, filter, nano: true },
        (data, table, count) => {
          if (link) link.onBatch(data, table, count);
        },
      );
    } catch (cause) {
      throw openError(iface, filter, cause);
    }
    link = new PcapLink(iface, native, r, clock, bufferSize);
    link.log = log;
    if (opts.onError) link.onError = opts.onError;
    if (r.dlt !== DLT_EN10MB) {
      link.close();
      throw new EnvironmentError('ERR_LINK_TYPE', `${iface} has link type ${r.linkType}, not Ethernet`, { hint: 'arpinject needs an Ethernet interface' });
    }
    log.debug({ iface, filter, snaplen: r.snaplen, ringFrames: link.ringFrames, nanosecond: r.nano }, 'capture open');
    return link;
  }

  private onBatch(data: ArrayBuffer | null, table: Uint32Array | string, count: number | null): void {
    if (this.closed) return;
    this.delivering = true;
    try {
      this.deliver(data, table, count);
    } finally {
      this.delivering = false;
    }
  }

  private deliver(data: ArrayBuffer | null, table: Uint32Array | string, count: number | null): void {
    const words = this.words;
    if (data === null || typeof table === 'string' || count === null) {
      // The capture failed (the interface went away): said once, loudly; the binding stopped polling.
      if (this.readError !== undefined) return;
      this.readError = typeof table === 'string' ? table : 'read error';
      const err = new EnvironmentError('ERR_LINK_OPEN', `the capture on ${this.name} failed: ${this.readError}`, { hint: `check the interface: ip link show ${this.name}` });
      this.log.error({ iface: this.name, err: this.readError }, 'capture failed');
      this.onError?.(err);
      return;
    }
    if (this.fanout.size === 0) {
      // Nobody listens (an injector): count, build nothing.
      let echoes = 0;
      for (let i = 0, o = 0; i < count; i++, o += words) if (table[o + 5]! !== 0) echoes++;
      this.counters.echoes += echoes;
      this.counters.received += count - echoes;
      return;
    }
    for (let i = 0, o = 0; i < count; i++, o += words) {
      const caplen = table[o + 1]!;
      const origlen = table[o + 2]!;
      const sec = table[o + 3]!;
      const nsec = table[o + 4]!;
      const sentId = table[o + 5]!;
      const f: Captured = {
        bytes: new Uint8Array(data, table[o]!, caplen),
        time: sec * 1000 + nsec / 1e6,
        tsSec: sec,
        tsNsec: this.nanosecond ? nsec : nsec * 1000,
        capturedLength: caplen,
        originalLength: origlen,
        truncated: caplen < origlen,
      };
      if (sentId !== 0) {
        f.sentId = sentId;
        this.counters.echoes++;
      } else {
        this.counters.received++;
      }
      this.fanout.emit(f);
      if (this.closed) return; // a handler closed the link: deliver nothing more
    }
  }

  /**
   * Deliver, now, every frame the kernel had captured when flush() was called: call it before a
   * verdict that rests on what has not been seen (a timeout, the end of a listening window), so a
   * reply that reached the ring in time but not yet JavaScript still counts. Bounded by the ring's
   * size, so a flood cannot keep it going. Inside a frame handler it does nothing (frames stay in order).
   * Returns the number of frames delivered.
   */
  flush(): number {
    if (this.closed || this.delivering) return 0;
    let n = 0;
    while (n <= this.ringFrames && !this.closed) {
      const b = this.native.read(this.handle);
      if (b === null) break;
      const c = typeof b[2] === 'number' ? b[2] : 0;
      this.onBatch(b[0], b[1], b[2]);
      if (c === 0) break;
      n += c;
    }
    return n;
  }

  send(frame: Uint8Array): number {
    if (this.closed) throw new EnvironmentError('ERR_SEND', `cannot send on ${this.name}: link closed`);
    const t = this.clock.now();
    try {
      this.native.send(this.handle, frame);
    } catch (cause) {
      this.counters.sendErrors++;
      throw sendError(this.name, cause);
    }
    this.counters.sent++;
    return t;
  }

  /**
   * Send several frames in one call (sendmmsg, 256 per syscall). Returns the send time of the batch.
   * On failure, the frames before the failing one were sent (the error's `sent`), none after.
   */
  sendBatch(frames: readonly Uint8Array[]): number {
    if (this.closed) throw new EnvironmentError('ERR_SEND', `cannot send on ${this.name}: link closed`);
    let total = 0;
    for (const f of frames) total += f.length;
    const data = new Uint8Array(total);
    const lengths = new Uint32Array(frames.length);
    let off = 0;
    for (let i = 0; i < frames.length; i++) {
      data.set(frames[i]!, off);
      lengths[i] = frames[i]!.length;
      off += frames[i]!.length;
    }
    return this.sendPacked(data, lengths);
  }

  /** sendBatch for frames packed end to end in `data` (lengths[i] bytes each): nothing copied. */
  sendPacked(data: Uint8Array, lengths: Uint32Array): number {
    if (this.closed) throw new EnvironmentError('ERR_SEND', `cannot send on ${this.name}: link closed`);
    const t = this.clock.now();
    try {
      this.native.send(this.handle, data, lengths);
    } catch (cause) {
      const sent = (cause as { sent?: number }).sent ?? 0;
      this.counters.sent += sent;
      this.counters.sendErrors++;
      throw sendError(this.name, cause, sent);
    }
    this.counters.sent += lengths.length;
    return t;
  }

  onFrame(handler: (f: Captured) => void): () => void {
    return this.fanout.add(handler);
  }

  private nativeStats(): NativeStats | undefined {
    if (this.final) return this.final;
    try {
      return this.native.stats(this.handle);
    } catch {
      return undefined;
    }
  }

  stats(): PcapLinkStats {
    const n = this.nativeStats();
    return {
      received: this.counters.received,
      sent: this.counters.sent,
      sendErrors: this.counters.sendErrors,
      echoes: this.counters.echoes,
      dropped: n?.dropped ?? 0,
      kernelReceived: n?.received ?? 0,
      ifDropped: n?.ifDropped ?? 0,
      echoesMissed: n ? n.echoesMissed + n.echoesEvicted : 0,
    };
  }

  /** The last libpcap read error, if the capture failed after opening. */
  get error(): string | undefined {
    return this.readError;
  }

  close(): void {
    if (this.closed) return;
    // Final counters are read before the handle goes: stats() keeps answering after close.
    this.final = this.nativeStats();
    this.closed = true;
    this.native.close(this.handle);
  }
}

function errorCode(cause: unknown): string | undefined {
  return typeof cause === 'object' && cause !== null && typeof (cause as { code?: unknown }).code === 'string' ? (cause as { code: string }).code : undefined;
}

function openError(iface: string, filter: string, cause: unknown): Error {
  const msg = cause instanceof Error ? cause.message : String(cause);
  const code = errorCode(cause);
  if (code === 'ERR_FILTER') {
    return new UsageError('ERR_INVALID_ARGUMENT', msg.replace(/^bad capture filter/, 'bad capture filter (filter, --filter)'), { cause, hint: `--filter takes pcap-filter(7) syntax, as tcpdump does; default: ${ARP_FILTER}` });
  }
  if (code === 'ERR_PERMISSION') return noRawPrivilege(iface);
  if (code === 'ERR_NO_INTERFACE') return noSuchInterface(iface, cause);
  const known: ErrorCode = code === 'ERR_NO_INTERFACE' ? 'ERR_NO_INTERFACE' : code === 'ERR_INTERFACE_DOWN' ? 'ERR_INTERFACE_DOWN' : 'ERR_LINK_OPEN';
  return new EnvironmentError(known, `libpcap cannot open ${iface}: ${msg}`, { cause, hint: `check the interface (ip link show ${iface}); filter: ${filter}` });
}

function sendError(name: string, cause: unknown, sent?: number): Error {
  const msg = cause instanceof Error ? cause.message : String(cause);
  const errno = (cause as { errno?: number }).errno;
  const hint =
    errno === 100 /* ENETDOWN */ || /down/i.test(msg)
      ? `the link is down: ip link set dev ${name} up, and check its carrier`
      : errno === 90 /* EMSGSIZE */
        ? 'the frame is longer than the interface MTU allows'
        : undefined;
  return new EnvironmentError('ERR_SEND', `sending on ${name} failed: ${msg}${sent ? ` (after ${sent} frames of the batch)` : ''}`, { cause, hint });
}
