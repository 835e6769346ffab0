/**
 * Results go to stdout: NDJSON with --json (one object per line, a public contract), else human text.
 * Errors go to stderr as one clear message plus a hint; with --json also as an {"type":"error"} record.
 */
import { type ArpInjectError, isArpInjectError } from '../errors.js';

export interface OutputOptions {
  json: boolean;
  debug?: boolean;
}

export class Output {
  constructor(readonly opts: OutputOptions, private readonly out: NodeJS.WritableStream = process.stdout, private readonly err: NodeJS.WritableStream = process.stderr) {}

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

  private queue(s: string): void {
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
    this.out.write(s);
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
    const message = e ? e.message : err instanceof Error ? err.message : String(err);
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
