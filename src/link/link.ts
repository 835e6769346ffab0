/**
 * The one seam between protocol logic and the world. Adapters: CapLink (live, libpcap),
 * PcapFileLink (replay a capture), MemoryLink (unit tests). Every adapter hands out owned
 * copies of frame bytes: cap reuses one buffer, so copying is the adapter's job, not the caller's.
 */

export interface Captured {
  /** Owned copy of the frame, starting at the Ethernet header. */
  bytes: Uint8Array;
  /** Capture time, epoch milliseconds with sub-millisecond precision (see clock.ts). */
  time: number;
}

export interface LinkStats {
  /** Frames handed to the handler. */
  received: number;
  /** Frames sent successfully. */
  sent: number;
  /** Frames the adapter knows it could not deliver (send errors). */
  sendErrors: number;
}

export interface Link {
  /** Interface name, file name or a label. */
  readonly name: string;
  /** Send one frame. Returns the send time (epoch ms). Throws EnvironmentError(ERR_SEND) on failure. */
  send(frame: Uint8Array): number;
  /** Register the frame handler; returns an unsubscribe function. Handlers run synchronously per frame. */
  onFrame(handler: (frame: Captured) => void): () => void;
  stats(): LinkStats;
  /** Idempotent. */
  close(): void;
}

/** Small helper for adapters: a handler set with a fast path for the usual single handler. */
export class FrameFanout {
  private handlers: Array<(f: Captured) => void> = [];

  add(h: (f: Captured) => void): () => void {
    this.handlers = [...this.handlers, h];
    return () => {
      this.handlers = this.handlers.filter((x) => x !== h);
    };
  }

  emit(f: Captured): void {
    const hs = this.handlers;
    for (let i = 0; i < hs.length; i++) hs[i]!(f);
  }

  get size(): number {
    return this.handlers.length;
  }
}
