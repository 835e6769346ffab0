/**
 * Injected time. Production uses the system clock; unit tests use FakeClock and advance it.
 * Times are epoch milliseconds as a float with sub-millisecond precision: a fixed epoch offset plus
 * the monotonic clock, so monotonic within a process and comparable with capture timestamps.
 */

export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  now(): number;
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/**
 * CLOCK_REALTIME - CLOCK_MONOTONIC in ms, from the capture binding once it is loaded (src/link), so
 * the clock need not load perf_hooks (~2 ms of a start) for performance.timeOrigin.
 */
let realtimeOffset: (() => number) | undefined;
export function setRealtimeOffsetSource(fn: () => number): void {
  realtimeOffset = fn;
}

/** CLOCK_MONOTONIC in ms (process.hrtime is libuv's uv_hrtime). */
const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

class SystemClock implements Clock {
  private nextId = 1;
  private timers = new Map<number, { cancel: () => void }>();
  /** Epoch ms minus monotonic ms, fixed at the first now(): the binding's, else performance's. */
  private offset: number | undefined;

  now(): number {
    if (this.offset === undefined) this.offset = realtimeOffset ? realtimeOffset() : performance.timeOrigin + performance.now() - monotonicMs();
    return this.offset + monotonicMs();
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    const run = () => {
      this.timers.delete(id);
      fn();
    };
    // setTimeout(0) waits at least 1 ms; a zero delay means "after pending I/O", which is setImmediate.
    if (delayMs > 0) {
      const t = setTimeout(run, delayMs);
      this.timers.set(id, { cancel: () => clearTimeout(t) });
    } else {
      const t = setImmediate(run);
      this.timers.set(id, { cancel: () => clearImmediate(t) });
    }
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t !== undefined) {
      t.cancel();
      this.timers.delete(handle.id);
    }
  }
}

export const systemClock: Clock = new SystemClock();

/** Deterministic clock for tests: time moves only when advance() is called; timers fire in order. */
export class FakeClock implements Clock {
  private t: number;
  private nextId = 1;
  private timers: Array<{ id: number; at: number; seq: number; fn: () => void }> = [];
  private seq = 0;

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + Math.max(0, delayMs), seq: this.seq++, fn });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((x) => x.id !== handle.id);
  }

  /** Move time forward by `ms`, firing every timer that falls due, in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: (typeof this.timers)[number] | undefined;
      for (const x of this.timers) if (x.at <= end && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }

  /** Advance until no timers remain (bounded). */
  runAll(limitMs = 3_600_000): void {
    const stop = this.t + limitMs;
    while (this.timers.length > 0 && this.t < stop) {
      const nextAt = Math.min(...this.timers.map((x) => x.at));
      this.advance(Math.max(0, nextAt - this.t));
    }
  }

  pendingTimers(): number {
    return this.timers.length;
  }
}
