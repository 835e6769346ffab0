/**
 * In-memory link for unit tests (libpnet's dummy, smoltcp's Loopback): frames sent are recorded;
 * tests inject frames, or attach responders that answer sent frames after a delay on a Clock.
 * Like the live link, every frame sent is also delivered to the handlers as its own echo (`sentId`),
 * synchronously inside send(), before any responder runs: correlators must register before they send.
 */
import type { Clock } from '../time/clock.js';
import { type Captured, FrameFanout, type Link, type LinkStats, wholeFrame } from './link.js';

export type Responder = (sent: Uint8Array, link: MemoryLink) => void;

export class MemoryLink implements Link {
  readonly name: string;
  readonly sentFrames: Captured[] = [];
  private readonly fanout = new FrameFanout();
  private readonly counters: LinkStats = { received: 0, sent: 0, sendErrors: 0, echoes: 0, dropped: 0 };
  /** Deliver echoes of sent frames (default true, as the live link does). */
  echo = true;
  private readonly responders: Responder[] = [];
  private closed = false;
  /** When set, send() throws this error (to test send failures). */
  failSendWith: Error | undefined;

  constructor(readonly clock: Clock, name = 'mem0') {
    this.name = name;
  }

  send(frame: Uint8Array): number {
    if (this.failSendWith) {
      this.counters.sendErrors++;
      throw this.failSendWith;
    }
    const time = this.clock.now();
    const copy = new Uint8Array(frame);
    this.sentFrames.push(wholeFrame(copy, time));
    this.counters.sent++;
    if (this.echo && !this.closed) {
      this.counters.echoes++;
      this.fanout.emit(wholeFrame(new Uint8Array(copy), time, this.counters.sent));
    }
    for (const r of this.responders) r(copy, this);
    return time;
  }

  sendBatch(frames: readonly Uint8Array[]): number {
    const t = this.clock.now();
    for (const f of frames) this.send(f);
    return t;
  }

  sendPacked(data: Uint8Array, lengths: Uint32Array): number {
    const t = this.clock.now();
    for (let i = 0, off = 0; i < lengths.length; off += lengths[i++]!) this.send(data.subarray(off, off + lengths[i]!));
    return t;
  }

  /** Deliver a frame to the handlers now. */
  inject(bytes: Uint8Array): void {
    if (this.closed) return;
    this.counters.received++;
    this.fanout.emit(wholeFrame(new Uint8Array(bytes), this.clock.now()));
  }

  /** Deliver the echo of a frame this link sent (what the live link's capture sees of our own sends). */
  injectEcho(bytes: Uint8Array, sentId: number): void {
    if (this.closed) return;
    this.counters.echoes++;
    this.fanout.emit(wholeFrame(new Uint8Array(bytes), this.clock.now(), sentId));
  }

  /** Kernel drops to report in stats() (tests of drop accounting). */
  set dropped(n: number) {
    this.counters.dropped = n;
  }

  /** Deliver a frame after `delayMs` of clock time. */
  injectLater(bytes: Uint8Array, delayMs: number): void {
    this.clock.setTimer(delayMs, () => this.inject(bytes));
  }

  addResponder(r: Responder): void {
    this.responders.push(r);
  }

  onFrame(handler: (f: Captured) => void): () => void {
    return this.fanout.add(handler);
  }

  stats(): LinkStats {
    return { ...this.counters };
  }

  close(): void {
    this.closed = true;
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
