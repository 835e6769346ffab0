/**
 * Results go to stdout: NDJSON with --json (one object per line, a public contract), else human text.
 * Errors go to stderr as one clear message plus a hint; with --json also as an {"type":"error"} record.
 */
import { cliIo } from './io.js';
import { flagMessage } from './flags.js';
import { type ArpInjectError, EnvironmentError, isArpInjectError } from '../errors.js';
import type { Paint } from '../findings/paint.js';
import { colorEnabled, paintFor } from './color.js';
import type { ColorMode } from './globals.js';

/** What became of stdout: still open, closed by the reader (`| head -1`), or failing (disk full, I/O error). */
export type OutputState = 'open' | 'closed' | 'failed';

export interface OutputOptions {
  json: boolean;
  debug?: boolean;
  /** --color: auto (a terminal, NO_COLOR, FORCE_COLOR), always or never; never with json. */
  color?: ColorMode;
}

export class Output {
  private outState: OutputState = 'open';
  private outFailure: EnvironmentError | undefined;
  private readonly brokenListeners: Array<(state: OutputState) => void> = [];
  /** How human lines mark verdicts and severities (colours on a terminal, else plain text). */
  readonly paint: Paint;

  constructor(readonly opts: OutputOptions, private readonly out: NodeJS.WritableStream = cliIo().stdout, private readonly err: NodeJS.WritableStream = cliIo().stderr) {
    // Write errors on stdout arrive as 'error' events (never as throws): without a listener, a closed
    // pipe or a full disk is an uncaught exception. EPIPE means the reader is gone (| head -1): stop
    // quietly, like tcpdump or grep. Anything else (ENOSPC, EIO) is ERR_FILE.
    out.on('error', (e: NodeJS.ErrnoException) => this.broken(e));
    // stderr too (2>&1 | head): there is nobody left to tell.
    err.on('error', () => {});
    this.paint = paintFor(colorEnabled(opts.color, out as { isTTY?: boolean }, { json: opts.json }));
  }

  private broken(e: NodeJS.ErrnoException): void {
    if (this.outState !== 'open') return;
    this.pending = [];
    this.pendingBytes = 0;
    if (e.code === 'EPIPE') this.outState = 'closed';
    else {
      this.outState = 'failed';
      this.outFailure = new EnvironmentError('ERR_FILE', `cannot write to standard output: ${e.message}`, { cause: e, hint: 'results go to stdout: redirect it to a writable file on a file system with free space' });
    }
    for (const l of this.brokenListeners) l(this.outState);
  }

  /** 'closed' (the reader left: exit quietly) or 'failed' (ERR_FILE); 'open' while stdout works. */
  get state(): OutputState {
    return this.outState;
  }

  /** The ERR_FILE for a failing stdout (not for a closed pipe). */
  get failure(): EnvironmentError | undefined {
    return this.outFailure;
  }

  /** Called once when stdout stops working: the command runner ends the run (nobody reads the rest). */
  onBroken(fn: (state: OutputState) => void): void {
    this.brokenListeners.push(fn);
  }

  get json(): boolean {
    return this.opts.json;
  }

  private pending: string[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;

  /**
   * One JSON record per line. Records produced in the same event-loop turn (a burst of captured
   * frames) are written together: one syscall instead of thousands. Flushed on setImmediate, at
   * 256 KiB, and by flush() (the command runner calls it before exiting).
   */
  record(obj: object): void {
    this.queue(JSON.stringify(obj) + '\n');
  }

  line(text: string): void {
    this.queue(text + '\n');
  }

  /**
   * Bytes already encoded (sweep's NDJSON stream), in order after every queued line: one write, same
   * error handling as the rest of stdout.
   */
  raw(chunk: string | Uint8Array): void {
    this.flush();
    if (this.outState === 'open') this.out.write(chunk);
  }

  private lastSummary: { record: object; lines: () => string[] } | undefined;

  /**
   * The closing summary: JSON record or text lines, on stdout. If stdout fails (a full disk), the
   * runner repeats it on stderr (rescueSummary): a lost summary would lose the whole run.
   */
  summary(record: object, lines: () => string[]): void {
    this.lastSummary = { record, lines };
    if (this.opts.json) this.record(record);
    else for (const l of lines()) this.line(l);
  }

  /** stdout failed: the summary (if any) on stderr, once. */
  rescueSummary(): void {
    const s = this.lastSummary;
    this.lastSummary = undefined;
    if (!s || this.outState !== 'failed') return;
    this.err.write(this.opts.json ? JSON.stringify(s.record) + '\n' : s.lines().map((l) => l + '\n').join(''));
  }

  private queue(s: string): void {
    if (this.outState !== 'open') return;
    this.pending.push(s);
    this.pendingBytes += s.length;
    if (this.pendingBytes >= 256 * 1024) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const s = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    if (this.outState === 'open') this.out.write(s);
  }

  /**
   * Flush, then wait until stdout took every byte: a write error (EPIPE, ENOSPC) arrives as an event
   * after the write, and the exit code must know about it.
   */
  async settle(): Promise<void> {
    this.flush();
    if (this.outState !== 'open') return;
    await new Promise<void>((resolve) => this.out.write('', () => resolve()));
    // The 'error' event follows the failed write's callback.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Human line in text mode; nothing in JSON mode. */
  text(text: string): void {
    if (!this.opts.json) this.line(text);
  }

  /** Progress or notes for a person: stderr, text mode only. */
  note(text: string): void {
    if (!this.opts.json) this.err.write(text + '\n');
  }

  error(err: unknown): void {
    this.flush();
    const e: ArpInjectError | undefined = isArpInjectError(err) ? err : undefined;
    const message = e ? flagMessage(e.message, e.option) : err instanceof Error ? err.message : String(err);
    this.err.write(`arpinject: ${message}\n`);
    if (e?.hint) this.err.write(`  hint: ${e.hint}\n`);
    if (!e) this.err.write('  this is a bug in arpinject; rerun with --debug and report the stack trace\n');
    if (this.opts.debug && err instanceof Error) {
      this.err.write(`${err.stack ?? ''}\n`);
      let c = (err as { cause?: unknown }).cause;
      while (c) {
        this.err.write(`caused by: ${c instanceof Error ? c.stack : String(c)}\n`);
        c = c instanceof Error ? (c as { cause?: unknown }).cause : undefined;
      }
    }
    if (this.opts.json) this.record({ type: 'error', code: e?.code ?? 'ERR_INTERNAL', message, ...(e?.hint ? { hint: e.hint } : {}) });
  }
}
