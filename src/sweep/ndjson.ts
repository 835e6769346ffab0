/**
 * NDJSON for a sweep's reply records, encoded straight into a byte buffer. A /16 prints 65,536
 * replies (21 MB); through JSON.stringify or template strings each one leaves ~1 KB of short-lived
 * strings behind, and that garbage is what made the young generation grow to 16 MB during a sweep.
 * Here a reply costs no allocation beyond a few number strings. Output is byte for byte what
 * JSON.stringify gives: checked on the first reply of a run, with a permanent fallback if it differs
 * (a record shape that changed), and per reply for any non-ASCII character (escaped the slow way).
 */
import type { ReplyRecord } from '../records/records.js';

const CHUNK = 64 * 1024;
/** Longest reply we encode in place; anything longer takes the slow path. */
const MAX_FAST = 2048;
const FLUSH_MS = 50;

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const K_IP = bytes(',"ip":"');
const K_MAC = bytes('","mac":"');
const K_VENDOR = bytes('","vendor":');
const K_ETHSRC = bytes(',"ethSrc":"');
const NULL = bytes('null');
const K_ETHDST = bytes('","ethDst":"');
const K_VLAN = bytes('","vlan":');
const K_RTT = bytes(',"rttMs":');
const K_SEQ = bytes(',"seq":');
const K_REQ = bytes(',"requestId":');
const K_THA = bytes(',"tha":"');
const K_TPA = bytes('","tpa":"');
const K_TIME = bytes('","time":"');
const K_LATE = bytes('","late":');
const K_DUP = bytes(',"duplicate":');
const K_MISMATCH = bytes(',"ethSrcMismatch":');
const K_FLAGS = bytes(',"flags":');
const K_END = bytes('}\n');
const TRUE = bytes('true');
const FALSE = bytes('false');

export class ReplyNdjson {
  private buf: Buffer = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private checked = false;
  private fast = true;
  private iface = '';
  private head: Uint8Array = new Uint8Array(0);
  private timer: NodeJS.Timeout | undefined;

  /** `sink` receives owned chunks (never reused): a stream may hold on to them. */
  constructor(private readonly sink: (chunk: Uint8Array) => void) {}

  /** False once the first reply showed that in-place encoding would differ from JSON.stringify. */
  get inPlace(): boolean {
    return this.fast;
  }

  reply(r: ReplyRecord): void {
    if (!this.checked) {
      this.checked = true;
      const start = this.pos;
      this.ensure(MAX_FAST);
      const ok = this.encode(r);
      const mine = this.buf.subarray(start, this.pos);
      this.fast = ok && Buffer.compare(mine, Buffer.from(JSON.stringify(r) + '\n')) === 0;
      this.pos = start;
    }
    if (this.fast) {
      this.ensure(MAX_FAST);
      const start = this.pos;
      if (this.encode(r)) return this.schedule();
      this.pos = start;
    }
    this.text(JSON.stringify(r));
  }

  /** Any other record line (already serialised), in order with the replies. */
  text(line: string): void {
    const n = Buffer.byteLength(line) + 1;
    this.ensure(n);
    if (n > this.buf.length - this.pos) {
      this.flush();
      this.sink(Buffer.from(line + '\n'));
      return;
    }
    this.pos += this.buf.write(line, this.pos, 'utf8');
    this.buf[this.pos++] = 0x0a;
    this.schedule();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pos === 0) return;
    this.sink(Buffer.from(this.buf.subarray(0, this.pos)));
    this.pos = 0;
  }

  private schedule(): void {
    // Streaming consumers see replies within FLUSH_MS; a busy sweep fills a chunk long before that.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, FLUSH_MS);
  }

  private ensure(n: number): void {
    if (this.buf.length - this.pos < n) this.flush();
  }

  private put(b: Uint8Array): void {
    const buf = this.buf;
    let p = this.pos;
    for (let k = 0; k < b.length; k++) buf[p++] = b[k]!;
    this.pos = p;
  }

  /** ASCII only; false when a character needs escaping or is not ASCII. */
  private str(s: string): boolean {
    const buf = this.buf;
    let p = this.pos;
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
      buf[p++] = c;
    }
    this.pos = p;
    return true;
  }

  private encode(r: ReplyRecord): boolean {
    if (r.iface !== this.iface) {
      this.iface = r.iface;
      this.head = bytes(`{"type":"reply","iface":${JSON.stringify(r.iface)}`);
    }
    const flags = r.flags.length === 0 ? '[]' : JSON.stringify(r.flags);
    const vendor = r.vendor === null ? null : JSON.stringify(r.vendor);
    if (flags.length + r.iface.length + (vendor?.length ?? 0) * 3 + 400 > MAX_FAST) return false;
    this.put(this.head);
    this.put(K_IP);
    if (!this.str(r.ip)) return false;
    this.put(K_MAC);
    if (!this.str(r.mac)) return false;
    this.put(K_VENDOR);
    if (vendor === null) this.put(NULL);
    // Already JSON-escaped; may hold non-ASCII names (UTF-8 here, as JSON.stringify + write gives).
    else this.pos += this.buf.write(vendor, this.pos, 'utf8');
    this.put(K_ETHSRC);
    if (!this.str(r.ethSrc)) return false;
    this.put(K_ETHDST);
    if (!this.str(r.ethDst)) return false;
    this.put(K_VLAN);
    this.str(String(r.vlan));
    this.put(K_RTT);
    this.str(String(r.rttMs));
    this.put(K_SEQ);
    this.str(String(r.seq));
    this.put(K_REQ);
    this.str(String(r.requestId));
    this.put(K_THA);
    if (!this.str(r.tha)) return false;
    this.put(K_TPA);
    if (!this.str(r.tpa)) return false;
    this.put(K_TIME);
    if (!this.str(r.time)) return false;
    this.put(K_LATE);
    this.put(r.late ? TRUE : FALSE);
    this.put(K_DUP);
    this.put(r.duplicate ? TRUE : FALSE);
    this.put(K_MISMATCH);
    this.put(r.ethSrcMismatch ? TRUE : FALSE);
    this.put(K_FLAGS);
    // JSON.stringify already escaped the flags; str() still refuses quotes, so copy them as they are.
    const buf = this.buf;
    let p = this.pos;
    for (let k = 0; k < flags.length; k++) {
      const c = flags.charCodeAt(k);
      if (c > 0x7e) return false;
      buf[p++] = c;
    }
    this.pos = p;
    this.put(K_END);
    return true;
  }
}
