/**
 * NDJSON for a sweep's reply records, encoded straight into a byte buffer. A /16 prints 65,536
 * replies (21 MB); through JSON.stringify or template strings each one leaves ~1 KB of short-lived
 * strings behind, and that garbage is what made the young generation grow to 16 MB during a sweep.
 * Here a reply costs no allocation beyond a few number strings. Output is byte for byte what
 * JSON.stringify gives: checked on the first reply of a run, with a permanent fallback if it differs
 * (a record shape that changed), and per reply for any non-ASCII character (escaped the slow way).
 */
import type { ReplyRecord } from '../records/records.js';
import type { ReplyView } from './engine.js';
import { vendorOf } from '../records/vendor.js';
import { isoTime } from '../time/iso.js';

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
/** Lower-case hex digits of each byte value, as char codes: [hi, lo]. */
const HEX_HI = Uint8Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0').charCodeAt(0));
const HEX_LO = Uint8Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0').charCodeAt(1));
/** Flags of a reply, in replyRecord's order (the canary flag last), as JSON: one per combination. */
const FLAG_NAMES = ['eth-src-mismatch', 'late', 'duplicate', 'multiple-macs', 'canary'];
const FLAGS_JSON = Array.from({ length: 32 }, (_, m) => bytes(JSON.stringify(FLAG_NAMES.filter((_f, k) => (m >> k) & 1))));
/** Dates toISOString writes as YYYY-MM-DDTHH:mm:ss.sssZ (years 0 to 9999). */
const ISO_MAX_MS = 253_402_300_800_000;

export class ReplyNdjson {
  private buf: Buffer = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private checked = false;
  private fast = true;
  private iface = '';
  private head: Uint8Array = new Uint8Array(0);
  private headIp: Uint8Array = new Uint8Array(0);
  private timer: NodeJS.Timeout | undefined;
  private viewChecked = false;
  private viewFast = true;
  /** The ISO 8601 text of the last second a reply was captured in, up to the milliseconds ("2026-12-02T00:16:15."). */
  private isoSec = NaN;
  private isoHead: Uint8Array = new Uint8Array(0);

  /** `sink` receives owned chunks (never reused): a stream may hold on to them. */
  constructor(private readonly sink: (chunk: Uint8Array) => void) {}

  /** False once the first reply showed that in-place encoding would differ from JSON.stringify. */
  get inPlace(): boolean {
    return this.fast;
  }

  /** False once the first view showed that encoding it would differ from its record's JSON. */
  get viewInPlace(): boolean {
    return this.viewFast;
  }

  reply(r: ReplyRecord): void {
    if (!this.checked) {
      this.checked = true;
      this.ensure(MAX_FAST); // before the position is taken: it may flush
      const start = this.pos;
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

  /**
   * A reply from the sweep engine's view, encoded from the frame's bytes and numbers: no record, no
   * string per reply. Byte for byte what reply(v.record()) writes: checked on the first view of a run
   * (a permanent fallback to records if it differs), and any field outside the encoder's range (a
   * long interface name, a time beyond year 9999) takes the record path for that reply.
   */
  view(v: ReplyView): void {
    if (!this.viewChecked) {
      // The first view the encoder takes is compared with its record's JSON (one it refuses, out of
      // range, proves nothing: the next one is compared).
      this.ensure(MAX_FAST);
      const at = this.pos;
      const ok = this.encodeView(v);
      const mine = Buffer.from(this.buf.subarray(at, this.pos));
      this.pos = at;
      if (ok) {
        this.viewChecked = true;
        this.viewFast = Buffer.compare(mine, Buffer.from(JSON.stringify(v.record()) + '\n')) === 0;
      }
    }
    if (this.viewFast) {
      this.ensure(MAX_FAST);
      const start = this.pos;
      if (this.encodeView(v)) return this.schedule();
      this.pos = start;
    }
    this.reply(v.record());
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
    // A chunk mostly filled is handed over as it is (a new one takes its place); a small one is copied.
    if (this.pos >= CHUNK / 2) {
      this.sink(this.buf.subarray(0, this.pos));
      this.buf = Buffer.allocUnsafe(CHUNK);
    } else this.sink(Buffer.from(this.buf.subarray(0, this.pos)));
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
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** `,"late":...,"duplicate":...,"ethSrcMismatch":...,"flags":` (the flags' JSON follows). */
  private bools(late: boolean, duplicate: boolean, mismatch: boolean): void {
    this.put(K_LATE);
    this.put(late ? TRUE : FALSE);
    this.put(K_DUP);
    this.put(duplicate ? TRUE : FALSE);
    this.put(K_MISMATCH);
    this.put(mismatch ? TRUE : FALSE);
    this.put(K_FLAGS);
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
    this.setHead(r.iface);
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
    this.bools(r.late, r.duplicate, r.ethSrcMismatch);
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

  private setHead(iface: string): void {
    if (iface !== this.iface) {
      this.iface = iface;
      this.head = bytes(`{"type":"reply","iface":${JSON.stringify(iface)}`);
      this.headIp = Buffer.concat([this.head, K_IP]);
    }
  }

  /** A MAC from the frame, as text (the segments that hold it are kept: see encodeView). */
  private hexMac(b: Uint8Array, o: number): void {
    const buf = this.buf;
    let p = this.pos;
    for (let k = 0; k < 6; k++) {
      if (k > 0) buf[p++] = 0x3a; // ':'
      const x = b[o + k]!;
      buf[p++] = HEX_HI[x]!;
      buf[p++] = HEX_LO[x]!;
    }
    this.pos = p;
  }

  /** A non-negative integer below 2^53, in decimal. */
  private uint(n: number): void {
    const buf = this.buf;
    if (n < 10) {
      buf[this.pos++] = 0x30 + n;
      return;
    }
    if (n < 100) {
      buf[this.pos++] = 0x30 + ((n / 10) | 0);
      buf[this.pos++] = 0x30 + (n % 10);
      return;
    }
    let digits = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    let t = n;
    do {
      buf[--p] = 0x30 + (t % 10);
      t = Math.floor(t / 10);
    } while (t > 0);
  }

  private dotted(b: Uint8Array, o: number): void {
    for (let k = 0; k < 4; k++) {
      if (k > 0) this.buf[this.pos++] = 0x2e; // '.'
      this.uint(b[o + k]!);
    }
  }

  /**
   * A number of the form Math.round(x * 1000) / 1000, as JSON.stringify writes it: the integer part
   * and up to three decimals, trailing zeros dropped (exact while |x| < 10^12: the nearest double to
   * k / 1000 has no shorter decimal). False outside that range.
   */
  private millis(x: number): boolean {
    let k = Math.round(x * 1000);
    if (!(Math.abs(k) < 1e15)) return false;
    if (k < 0) {
      this.buf[this.pos++] = 0x2d; // '-'
      k = -k;
    }
    const int = Math.floor(k / 1000);
    let frac = k - int * 1000;
    this.uint(int);
    if (frac === 0) return true;
    const buf = this.buf;
    buf[this.pos++] = 0x2e;
    let div = 100;
    while (frac > 0) {
      const d = Math.floor(frac / div);
      buf[this.pos++] = 0x30 + d;
      frac -= d * div;
      div /= 10;
    }
    return true;
  }

  /** new Date(time).toISOString(), from a per-second prefix. False outside years 0 to 9999. */
  private iso(time: number): boolean {
    const ms = Math.trunc(time);
    if (!(ms >= 0 && ms < ISO_MAX_MS)) return false;
    const sec = Math.floor(ms / 1000);
    if (sec !== this.isoSec) {
      this.isoSec = sec;
      this.isoHead = bytes(isoTime(sec * 1000).slice(0, 20));
    }
    this.put(this.isoHead);
    const m = ms - sec * 1000;
    const buf = this.buf;
    buf[this.pos++] = 0x30 + Math.floor(m / 100);
    buf[this.pos++] = 0x30 + (Math.floor(m / 10) % 10);
    buf[this.pos++] = 0x30 + (m % 10);
    buf[this.pos++] = 0x5a; // 'Z'
    return true;
  }

  /** The JSON of each answering MAC's vendor name (or null), by the engine's MAC number: one lookup per MAC. */
  private readonly vendorJson: Uint8Array[] = [];

  /**
   * The parts of a reply line that repeat from reply to reply, each kept as bytes with the frame bytes
   * it was made from: MAC, vendor, Ethernet source and destination and VLAN (a sweep's replies come
   * from one or a few responders, to our one MAC); THA and TPA (our MAC and IP); the flags (32
   * combinations). A reply then costs its IP, RTT, seq, request id and time, and five copies.
   */
  private readonly keyB = new Uint8Array(18);
  private keyBVlan = -2;
  private keyBMac = -1;
  private segB: Uint8Array = new Uint8Array(0);
  private readonly keyC = new Uint8Array(10);
  private segC: Uint8Array | undefined;
  private readonly tails: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(32);

  /** Whether b[o..o+n) equals key[k..k+n); copies it there when not (the caller rebuilds what depends on it). */
  private static same(key: Uint8Array, k: number, b: Uint8Array, o: number, n: number, equal: boolean): boolean {
    for (let j = 0; j < n; j++)
      if (key[k + j] !== b[o + j]) {
        equal = false;
        key[k + j] = b[o + j]!;
      }
    return equal;
  }

  /** The bytes written since `at`, as their own array, and the position back at `at`. */
  private cut(at: number): Uint8Array {
    const seg = new Uint8Array(this.buf.subarray(at, this.pos)); // a copy (Buffer.slice would be a view)
    this.pos = at;
    return seg;
  }

  private encodeView(v: ReplyView): boolean {
    this.setHead(v.iface);
    const vendor = (this.vendorJson[v.macId] ??= bytes(JSON.stringify(vendorOf(v.mac))));
    if (this.head.length + vendor.length + 400 > MAX_FAST) return false;
    const b = v.bytes;
    const p = v.arpOffset;
    const vlan = v.vlan === undefined ? -1 : v.vlan;
    const key = this.keyB;
    // MAC (ARP sender), Ethernet source, Ethernet destination; then VLAN and the MAC's id (its vendor).
    let sameB = ReplyNdjson.same(key, 0, b, p + 8, 6, true);
    sameB = ReplyNdjson.same(key, 6, b, 6, 6, sameB);
    sameB = ReplyNdjson.same(key, 12, b, 0, 6, sameB);
    if (!sameB || vlan !== this.keyBVlan || v.macId !== this.keyBMac) {
      this.keyBVlan = vlan;
      this.keyBMac = v.macId;
      const at = this.pos;
      this.put(K_MAC);
      this.hexMac(b, p + 8);
      this.put(K_VENDOR);
      this.put(vendor);
      this.put(K_ETHSRC);
      this.hexMac(b, 6);
      this.put(K_ETHDST);
      this.hexMac(b, 0);
      this.put(K_VLAN);
      if (v.vlan === undefined) this.put(NULL);
      else this.uint(v.vlan);
      this.put(K_RTT);
      this.segB = this.cut(at);
    }
    // THA and TPA.
    if (!ReplyNdjson.same(this.keyC, 0, b, p + 18, 10, this.segC !== undefined)) {
      const at = this.pos;
      this.put(K_THA);
      this.hexMac(b, p + 18);
      this.put(K_TPA);
      this.dotted(b, p + 24);
      this.put(K_TIME);
      this.segC = this.cut(at);
    }
    const mask = (v.ethSrcMismatch ? 1 : 0) | (v.late ? 2 : 0) | (v.duplicate ? 4 : 0) | (v.multipleMacs ? 8 : 0) | (v.canary ? 16 : 0);
    let tail = this.tails[mask];
    if (tail === undefined) {
      const at = this.pos;
      this.bools(v.late, v.duplicate, v.ethSrcMismatch);
      this.put(FLAGS_JSON[mask]!);
      this.put(K_END);
      tail = this.tails[mask] = this.cut(at);
    }
    this.put(this.headIp);
    this.dotted(b, p + 14);
    this.put(this.segB);
    if (!this.millis(v.rttMs)) return false;
    this.put(K_SEQ);
    this.uint(v.seq);
    this.put(K_REQ);
    this.uint(v.requestId);
    this.put(this.segC!);
    if (!this.iso(v.time)) return false;
    this.put(tail);
    return true;
  }
}
