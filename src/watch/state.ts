/**
 * The station database (`watch --state FILE`): arpwatch's arp.dat, read and written, so an arpwatch
 * user migrates by pointing at their file. One line per pairing, tab-separated:
 *
 *   MAC  IP  EPOCH  HOSTNAME  INTERFACE  [FIRST-SEEN-EPOCH  VLAN]
 *
 * The first five columns are arpwatch's (file.c: MAC and IP required, the rest optional; arpwatch
 * ignores anything after the interface, so the two columns arpinject adds are safe for it to read).
 * arpwatch keeps every pairing an IP ever had: the most recent line is the station's MAC, the second
 * most recent its previous MAC (what a flip-flop flips back to). Written atomically: a temporary file
 * in the same directory, fsync, rename, fsync of the directory; so a crash or SIGKILL leaves the old
 * file or the new one, never half of one. A corrupt or foreign line is reported with its line number
 * and skipped, never a crash.
 */
import { closeSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EnvironmentError } from '../errors.js';
import { normalizeMac, parseIpv4 } from '../wire/address.js';
import type { KnownStation, Station } from './analyzer.js';

/** A state file larger than this is refused (the table holds 262,144 stations: ~20 MB of lines). */
export const MAX_STATE_BYTES = 256 << 20;

export interface StateLine extends KnownStation {
  hostname: string;
  iface: string;
}

export interface ParsedState {
  /** One per (IP, VLAN): its current MAC, with the previous one when the file has it. */
  stations: StateLine[];
  /** Lines that could not be read: 1-based line number and why. */
  skipped: Array<{ line: number; reason: string }>;
  /** Pairing lines read (arpwatch keeps old pairings: more lines than stations). */
  lines: number;
}

const keyOf = (ip: string, vlan: number | null) => (vlan === null ? ip : `${ip}%${vlan}`);

/** Parse arp.dat text. Never throws. */
export function parseArpDat(text: string): ParsedState {
  const skipped: ParsedState['skipped'] = [];
  const byKey = new Map<string, StateLine[]>();
  let lines = 0;
  const rows = text.split('\n');
  for (let n = 0; n < rows.length; n++) {
    let row = rows[n]!;
    if (row.endsWith('\r')) row = row.slice(0, -1);
    if (row === '' || row.startsWith('#')) continue;
    const skip = (reason: string) => skipped.push({ line: n + 1, reason });
    const cols = row.split('\t');
    if (cols.length < 2) {
      skip('not tab-separated (MAC<TAB>IP...)');
      continue;
    }
    const mac = normalizeMac(cols[0]!);
    if (!mac) {
      skip(`bad MAC address "${cols[0]!.slice(0, 40)}"`);
      continue;
    }
    const ip = cols[1]!;
    if (parseIpv4(ip) === undefined) {
      skip(`bad IPv4 address "${ip.slice(0, 40)}"`);
      continue;
    }
    const epoch = cols[2] === undefined || cols[2] === '' ? 0 : Number(cols[2]);
    if (!Number.isInteger(epoch) || epoch < 0) {
      skip(`bad timestamp "${cols[2]!.slice(0, 40)}"`);
      continue;
    }
    const first = cols[5] === undefined || cols[5] === '' ? undefined : Number(cols[5]);
    if (first !== undefined && (!Number.isInteger(first) || first < 0)) {
      skip(`bad first-seen timestamp "${cols[5]!.slice(0, 40)}"`);
      continue;
    }
    const vlanText = cols[6];
    const vlan = vlanText === undefined || vlanText === '' ? null : Number(vlanText);
    if (vlan !== null && !(Number.isInteger(vlan) && vlan >= 0 && vlan <= 4095)) {
      skip(`bad VLAN "${vlanText!.slice(0, 40)}"`);
      continue;
    }
    lines++;
    const line: StateLine = { ip, mac, vlan, lastSeen: epoch * 1000, ...(first !== undefined ? { firstSeen: first * 1000 } : {}), hostname: cols[3] ?? '', iface: cols[4] ?? '' };
    const k = keyOf(ip, vlan);
    const list = byKey.get(k);
    if (list) list.push(line);
    else byKey.set(k, [line]);
  }
  const stations: StateLine[] = [];
  for (const list of byKey.values()) {
    // Newest first; the same MAC twice keeps the newest line.
    list.sort((a, b) => b.lastSeen - a.lastSeen);
    const cur = list[0]!;
    const prev = list.find((l) => l.mac !== cur.mac);
    const firstSeen = Math.min(...list.filter((l) => l.mac === cur.mac).map((l) => l.firstSeen ?? l.lastSeen));
    stations.push({ ...cur, firstSeen, ...(prev ? { previousMac: prev.mac, previousSeen: prev.lastSeen } : {}) });
  }
  return { stations, skipped, lines };
}

/** arp.dat text for the table: a line per station, and one for its previous MAC (arpwatch keeps both). */
export function formatArpDat(stations: Station[], iface: string, hostnames: ReadonlyMap<string, string> = new Map()): string {
  const clean = (s: string) => s.replace(/[\t\r\n]/g, ' ');
  const ifaceText = clean(iface);
  let out = '';
  for (const s of stations) {
    const host = clean(hostnames.get(keyOf(s.ip, s.vlan)) ?? '');
    const vlan = s.vlan === null ? '' : String(s.vlan);
    out += `${s.mac}\t${s.ip}\t${Math.floor(s.lastSeen / 1000)}\t${host}\t${ifaceText}\t${Math.floor(s.firstSeen / 1000)}\t${vlan}\n`;
    if (s.previousMac && s.previousMac !== s.mac) out += `${s.previousMac}\t${s.ip}\t${Math.floor((s.previousSeen ?? 0) / 1000)}\t${host}\t${ifaceText}\t\t${vlan}\n`;
  }
  return out;
}

/** Hostnames kept from a loaded file, keyed as formatArpDat looks them up. */
export function hostnamesOf(lines: StateLine[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of lines) if (l.hostname) m.set(keyOf(l.ip, l.vlan), l.hostname);
  return m;
}

const stateHint = 'give --state a regular file in a writable directory (it is created when missing)';

/** Read a state file: a missing file is an empty database (created at the first write). */
export function readStateFile(path: string): ParsedState & { existed: boolean } {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new EnvironmentError('ERR_FILE', `state file ${path} is not a regular file`, { hint: stateHint });
    size = st.size;
  } catch (cause) {
    if (cause instanceof EnvironmentError) throw cause;
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { stations: [], skipped: [], lines: 0, existed: false };
    throw new EnvironmentError('ERR_FILE', `cannot read state file ${path}: ${(cause as Error).message}`, { cause, hint: stateHint });
  }
  if (size > MAX_STATE_BYTES) throw new EnvironmentError('ERR_FILE', `state file ${path} is ${size} bytes: larger than ${MAX_STATE_BYTES} (not an arp.dat?)`, { hint: stateHint });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new EnvironmentError('ERR_FILE', `cannot read state file ${path}: ${(cause as Error).message}`, { cause, hint: stateHint });
  }
  return { ...parseArpDat(text), existed: true };
}

/**
 * Replace `path` with `text` atomically: temp file beside it, fsync, rename over, fsync the directory.
 * Throws ERR_FILE (disk full, read-only, permissions); the old file is then left as it was.
 */
export function writeStateFile(target: string, text: string): void {
  // Never rename over something that is not a regular file (/dev/full, a FIFO): refuse it. A symlink is
  // followed, so the file it points to is replaced, not the link.
  let path = target;
  try {
    path = realpathSync(target);
    if (!statSync(path).isFile()) throw new EnvironmentError('ERR_FILE', `state file ${target} is not a regular file`, { hint: stateHint });
  } catch (cause) {
    if (cause instanceof EnvironmentError) throw cause;
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw new EnvironmentError('ERR_FILE', `cannot write state file ${target}: ${(cause as Error).message}`, { cause, hint: stateHint });
  }
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', 0o644);
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (cause) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw new EnvironmentError('ERR_FILE', `cannot write state file ${path}: ${(cause as Error).message}`, { cause, hint: stateHint });
  }
  try {
    const d = openSync(dir, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // Some file systems cannot fsync a directory: the rename has happened anyway.
  }
}
