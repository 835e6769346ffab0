/**
 * Live link over libpcap through the `cap` addon (mscdex/cap 0.2.1). Its hazards, and how this
 * file fences them (native-notes/cap.md has the details):
 * - a failed open() leaves the handle half-initialised: close() then aborts and GC segfaults.
 *   => preflight (interface, privilege, up) before open; a Cap whose open() threw is parked in
 *   `quarantine` forever and never closed;
 * - one Cap per open(): never reopen or reuse an instance;
 * - every packet is copied into ONE shared buffer and 'packet' is emitted synchronously:
 *   => copy the bytes and take the timestamp inside the handler;
 * - the `inbound`/`outbound` filter keywords lose frames on Linux: never used;
 * - `import { Cap } from 'cap'` fails at run time (CommonJS addon): createRequire;
 * - the handle is always promiscuous while open, so replies to a spoofed sender MAC are seen.
 */
import { createRequire } from 'node:module';
import { EnvironmentError } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { type Clock, systemClock } from '../probe/clock.js';
import { type Captured, FrameFanout, type Link, type LinkStats } from './link.js';
import { preflightInterface } from './interfaces.js';

interface CapInstance {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  send(buf: Buffer, nBytes?: number): void;
  close(): boolean;
  on(event: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(event?: string): void;
}
interface CapModule {
  Cap: new () => CapInstance;
}

/** Default capture filter: ARP, tagged or not. */
export const ARP_FILTER = 'arp or (vlan and arp)';

const require = createRequire(import.meta.url);
let capModule: CapModule | undefined;
/** Instances whose open() failed: kept reachable forever so they are never closed or collected. */
const quarantine: CapInstance[] = [];

export function loadCap(): CapModule {
  if (capModule) return capModule;
  try {
    capModule = require('cap') as CapModule;
    return capModule;
  } catch (cause) {
    throw new EnvironmentError('ERR_NATIVE_MODULE', 'the libpcap binding (npm package "cap") could not be loaded', {
      cause,
      hint: 'install libpcap-dev and rebuild: apt-get install -y libpcap-dev build-essential && npm rebuild cap (see native-notes/)',
    });
  }
}

export interface CapLinkOptions {
  /** BPF filter; default ARP_FILTER. */
  filter?: string;
  /** Kernel ring size in bytes; default 4 MiB. */
  bufferSize?: number;
  clock?: Clock;
  logger?: Logger;
}

export class CapLink implements Link {
  readonly name: string;
  private readonly cap: CapInstance;
  private readonly fanout = new FrameFanout();
  private readonly counters: LinkStats = { received: 0, sent: 0, sendErrors: 0 };
  private closed = false;
  private readonly clock: Clock;
  /** Buffer view of the last frame sent: senders that reuse one frame buffer (sweep) allocate nothing. */
  private lastFrame: Uint8Array | undefined;
  private lastBuf: Buffer | undefined;

  private constructor(name: string, cap: CapInstance, clock: Clock) {
    this.name = name;
    this.cap = cap;
    this.clock = clock;
  }

  static open(iface: string, opts: CapLinkOptions = {}): CapLink {
    preflightInterface(iface);
    const { Cap } = loadCap();
    const clock = opts.clock ?? systemClock;
    const log = opts.logger ?? silentLogger;
    const cap = new Cap();
    const buffer = Buffer.alloc(65535);
    const filter = opts.filter ?? ARP_FILTER;
    let linkType: string;
    try {
      linkType = cap.open(iface, filter, opts.bufferSize ?? 4 * 1024 * 1024, buffer);
    } catch (cause) {
      quarantine.push(cap);
      const msg = cause instanceof Error ? cause.message : String(cause);
      throw new EnvironmentError('ERR_LINK_OPEN', `libpcap cannot open ${iface}: ${msg}`, {
        cause,
        hint: /permitted|permission/i.test(msg) ? 'run as root or grant CAP_NET_RAW (see native-notes/)' : 'check the interface and the capture filter',
      });
    }
    const link = new CapLink(iface, cap, clock);
    if (linkType !== 'ETHERNET') {
      link.close();
      throw new EnvironmentError('ERR_LINK_TYPE', `${iface} has link type ${linkType}, not Ethernet`, { hint: 'arpinject needs an Ethernet interface' });
    }
    cap.on('packet', (nbytes: number) => {
      // Copy now: cap overwrites `buffer` with the next packet as soon as this handler returns.
      const frame: Captured = { time: clock.now(), bytes: new Uint8Array(buffer.subarray(0, nbytes)) };
      link.counters.received++;
      link.fanout.emit(frame);
    });
    log.debug({ iface, filter, linkType }, 'capture open');
    return link;
  }

  send(frame: Uint8Array): number {
    if (this.closed) throw new EnvironmentError('ERR_SEND', `cannot send on ${this.name}: link closed`);
    let buf = this.lastBuf;
    if (frame !== this.lastFrame || !buf) {
      buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
      this.lastFrame = frame;
      this.lastBuf = buf;
    }
    const t = this.clock.now();
    try {
      this.cap.send(buf, buf.length);
    } catch (cause) {
      this.counters.sendErrors++;
      const msg = cause instanceof Error ? cause.message : String(cause);
      throw new EnvironmentError('ERR_SEND', `sending on ${this.name} failed: ${msg}`, {
        cause,
        hint: /down/i.test(msg) ? `the link is down: ip link set dev ${this.name} up, and check its carrier` : undefined,
      });
    }
    this.counters.sent++;
    return t;
  }

  onFrame(handler: (f: Captured) => void): () => void {
    return this.fanout.add(handler);
  }

  stats(): LinkStats {
    return { ...this.counters };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cap.removeAllListeners('packet');
    this.cap.close();
  }
}
