/**
 * The one seam between protocol logic and the world. Adapters: PcapLink (live, libpcap),
 * PcapFileLink (replay a capture), MemoryLink (unit tests). Every adapter hands out frame bytes
 * that nobody else will overwrite: keeping a frame is always safe.
 *
 * Links that send also capture their own frames as the wire carried them (`sentId` set), before
 * any reply to them: RTT is measured from that frame's time, as tcpdump -ttt would show it.
 */

/** One frame as captured (gopacket's CaptureInfo beside the bytes). */
export interface Captured {
  /** The captured bytes (capturedLength of them), starting at the Ethernet header. */
  bytes: Uint8Array;
  /** Capture time, epoch milliseconds with sub-millisecond precision: the kernel's stamp on a live link. */
  time: number;
  /** The same time exactly, when the source has it: seconds and nanoseconds (pcap records, kernel stamps). */
  tsSec?: number;
  tsNsec?: number;
  /** Bytes captured (= bytes.length). */
  capturedLength: number;
  /** Bytes the frame had on the wire. */
  originalLength: number;
  /** Cut by the snapshot length (capturedLength < originalLength): not a malformed frame. */
  truncated: boolean;
  /** Set when this is a frame this link sent itself, seen on the wire: the link's send number (1, 2, ...). */
  sentId?: number;
}

export interface LinkStats {
  /** Frames handed to the handlers (our own echoes not included). */
  received: number;
  /** Frames sent successfully. */
  sent: number;
  /** Frames the adapter knows it could not deliver (send errors). */
  sendErrors: number;
  /** Our own sent frames seen on the wire (0 for links that do not capture). */
  echoes: number;
  /** Frames the kernel dropped while we listened because the capture ring was full (pcap_stats ps_drop). */
  dropped: number;
}

/** A Captured for bytes that are whole (not cut by a snaplen): memory links, tests, injected frames. */
export function wholeFrame(bytes: Uint8Array, time: number, sentId?: number): Captured {
  const f: Captured = { bytes, time, capturedLength: bytes.length, originalLength: bytes.length, truncated: false };
  if (sentId !== undefined) f.sentId = sentId;
  return f;
}

export interface Link {
  /** Interface name, file name or a label. */
  readonly name: string;
  /** Send one frame. Returns the send time (epoch ms). Throws EnvironmentError(ERR_SEND) on failure. */
  send(frame: Uint8Array): number;
  /**
   * Optional: send several frames in one call (the live link uses sendmmsg). Returns the send time.
   * Throws like send(); frames before the failing one were sent.
   */
  sendBatch?(frames: readonly Uint8Array[]): number;
  /**
   * Optional: sendBatch for frames already packed end to end in `data` (`lengths[i]` bytes each),
   * so a sender that reuses its buffers allocates nothing per frame. Same results and errors.
   */
  sendPacked?(data: Uint8Array, lengths: Uint32Array): number;
  /** Register the frame handler; returns an unsubscribe function. Handlers run synchronously per frame. */
  onFrame(handler: (frame: Captured) => void): () => void;
  /**
   * Optional: deliver now every frame already captured but not yet handed to the handlers (a live
   * link's kernel ring). Correlators call it before declaring a timeout. Returns frames delivered.
   */
  flush?(): number;
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
