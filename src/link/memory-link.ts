/**
 * In-memory link for unit tests (libpnet's dummy, smoltcp's Loopback): frames sent are recorded;
 * tests inject frames, or attach responders that answer sent frames after a delay on a Clock.
 */
import type { Clock } from '../probe/clock.js';
import { type Captured, FrameFanout, type Link, type LinkStats } from './link.js';

export type Responder = (sent: Uint8Array, link: MemoryLink) => void;

export class MemoryLink implements Link {
  readonly name: string;
  readonly sentFrames: Captured[] = [];
  private readonly fanout = new FrameFanout();
  private readonly counters: LinkStats = { received: 0, sent: 0, sendErrors: 0 };
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
    this.sentFrames.push({ bytes: copy, time });
    this.counters.sent++;
    for (const r of this.responders) r(copy, this);
    return time;
  }

  /** Deliver a frame to the handlers now. */
  inject(bytes: Uint8Array): void {
    if (this.closed) return;
    this.counters.received++;
    this.fanout.emit({ bytes: new Uint8Array(bytes), time: this.clock.now() });
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
