/**
 * Script-friendly text output, shared by probe and sweep, in arp-scan's formats:
 *   --plain   `IP<TAB>MAC<TAB>VENDOR` per reply, ` (DUP: n)` after a host's n-th reply (arp-scan -x)
 *   --quiet   `IP<TAB>MAC` per reply, no vendor decoding at all (arp-scan -q)
 *   --format  arp-scan's template: ${ip} ${mac} ${vendor} ${rtt} ${vlan} ${dup} ${hdrmac}, with
 *             ${field;width} (right-aligned, negative width left-aligned) and \n \r \t \\ escapes.
 * Field values come off the wire or from a vendor file: control characters in them are escaped
 * (\xNN, \u{NNNN}), so a value can never start a line of its own or move the cursor.
 */
import { readFileSync } from 'node:fs';
import { EnvironmentError, UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { parseVendorFile, setVendorOverrides, vendorLabel } from '../records/vendor.js';

/** What a reply line needs: a reply record has all of it. */
export interface LineInput {
  ip: string;
  mac: string;
  ethSrc: string;
  vlan: number | null;
  rttMs: number;
}

export const FORMAT_FIELDS = ['ip', 'mac', 'vendor', 'rtt', 'vlan', 'dup', 'hdrmac'] as const;
export type FormatField = (typeof FORMAT_FIELDS)[number];
/** arp-scan fields arpinject has no value for: named in the error, so nobody thinks it is a typo. */
const ARP_SCAN_ONLY = ['name', 'padding', 'framing', 'proto'];

export type TemplatePart = string | { field: FormatField; width: number };
export interface Template {
  parts: TemplatePart[];
  fields: Set<FormatField>;
}

const fmtError = (message: string): UsageError => new UsageError('ERR_INVALID_ARGUMENT', `--format: ${message}`, { hint: `fields: ${FORMAT_FIELDS.map((f) => `\${${f}}`).join(' ')}; \${field;width} aligns (negative: left); escapes \\n \\t \\r \\\\` });

/** Parse an arp-scan --format string. Field names are case-insensitive. Bad input: UsageError (exit 2). */
export function parseTemplate(src: string): Template {
  const parts: TemplatePart[] = [];
  const fields = new Set<FormatField>();
  let lit = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[++i];
      if (n === undefined) lit += '\\';
      else lit += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n;
      continue;
    }
    if (c === '$' && src[i + 1] === '{') {
      const close = src.indexOf('}', i + 2);
      if (close < 0) throw fmtError(`unterminated field at column ${i + 1}: "${src.slice(i)}"`);
      const body = src.slice(i + 2, close);
      const semi = body.indexOf(';');
      const name = (semi < 0 ? body : body.slice(0, semi)).trim().toLowerCase();
      let width = 0;
      if (semi >= 0) {
        const w = body.slice(semi + 1).trim();
        if (!/^-?\d{1,4}$/.test(w)) throw fmtError(`bad width "${w}" in \${${body}}: an integer, negative to left-align`);
        width = Number(w);
      }
      if (!(FORMAT_FIELDS as readonly string[]).includes(name)) {
        throw fmtError(ARP_SCAN_ONLY.includes(name) ? `arp-scan's \${${name}} is not available in arpinject` : `unknown field \${${body}}`);
      }
      if (lit) parts.push(lit);
      lit = '';
      parts.push({ field: name as FormatField, width });
      fields.add(name as FormatField);
      i = close;
      continue;
    }
    lit += c;
  }
  if (lit) parts.push(lit);
  return { parts, fields };
}

/**
 * A value from the wire or a file, made safe for one line of text: C0 and C1 controls, DEL, the
 * Unicode line/paragraph separators and bidi overrides become visible escapes. `tab` too, when the
 * value sits in a TAB-separated column.
 */
export function safeText(s: string, escapeTab = true): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (c === '\t' && !escapeTab) return c;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** arp-scan's RTT: milliseconds with microseconds. */
export const rttText = (ms: number): string => ms.toFixed(3);

function pad(s: string, width: number): string {
  if (width === 0) return s;
  // Count code points, not UTF-16 units: an accented vendor name aligns like an ASCII one.
  const len = [...s].length;
  const fill = ' '.repeat(Math.max(0, Math.abs(width) - len));
  return width < 0 ? s + fill : fill + s;
}

export function renderTemplate(t: Template, r: LineInput, dup: number, opts: { quiet?: boolean } = {}): string {
  let out = '';
  for (const p of t.parts) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    let v: string;
    switch (p.field) {
      case 'ip':
        v = r.ip;
        break;
      case 'mac':
        v = r.mac;
        break;
      case 'vendor':
        v = opts.quiet ? '' : vendorLabel(r.mac);
        break;
      case 'rtt':
        v = rttText(r.rttMs);
        break;
      case 'vlan':
        v = r.vlan === null ? '' : String(r.vlan);
        break;
      case 'dup':
        v = dup > 1 ? String(dup) : '';
        break;
      case 'hdrmac':
        v = r.ethSrc !== r.mac ? r.ethSrc : '';
        break;
    }
    out += pad(safeText(v), p.width);
  }
  return out;
}

export type TextMode = { kind: 'plain' } | { kind: 'quiet'; plain: boolean } | { kind: 'format'; template: Template; quiet: boolean };

export interface TextModeArgs {
  plain?: boolean;
  quiet?: boolean;
  format?: string;
  json?: boolean;
}

/** The mode the flags ask for; undefined for the human table / arping-style lines. */
export function textMode(a: TextModeArgs): TextMode | undefined {
  if (a.json && (a.plain || a.quiet || a.format !== undefined)) {
    throw new UsageError('ERR_INVALID_ARGUMENT', `--json cannot be combined with ${a.format !== undefined ? '--format' : a.plain ? '--plain' : '--quiet'}`, { hint: 'pick one output: --json for records, --plain/--quiet/--format for text lines' });
  }
  if (a.format !== undefined) {
    const template = parseTemplate(a.format);
    if (a.quiet) {
      const bad = [...template.fields].filter((f) => f !== 'ip' && f !== 'mac');
      if (bad.length) throw fmtError(`with --quiet only \${ip} and \${mac} are available (as in arp-scan), not \${${bad[0]}}`);
    }
    return { kind: 'format', template, quiet: !!a.quiet };
  }
  if (a.quiet) return { kind: 'quiet', plain: !!a.plain };
  if (a.plain) return { kind: 'plain' };
  return undefined;
}

/** Renders reply lines for one run, counting each host's replies for (DUP: n) and ${dup}. */
export class ReplyLines {
  private readonly seen = new Map<string, number>();
  constructor(private readonly mode: TextMode) {}

  /** True when the closing summary line is printed (--quiet without --plain); else results only. */
  get summaryLine(): boolean {
    return this.mode.kind === 'quiet' && !this.mode.plain;
  }

  line(r: LineInput): string {
    const n = (this.seen.get(r.ip) ?? 0) + 1;
    this.seen.set(r.ip, n);
    switch (this.mode.kind) {
      case 'plain':
        return `${r.ip}\t${r.mac}\t${safeText(vendorLabel(r.mac))}${n > 1 ? ` (DUP: ${n})` : ''}`;
      case 'quiet':
        return `${r.ip}\t${r.mac}`;
      case 'format':
        return renderTemplate(this.mode.template, r, n, { quiet: this.mode.quiet });
    }
  }
}

/**
 * --vendor-file: read and install its entries. An unreadable file is ERR_FILE (exit 3, as
 * --baseline); a bad line is a warning naming its line number, and is skipped.
 */
export function loadVendorFile(path: string, log: Logger): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new EnvironmentError('ERR_FILE', `cannot read vendor file ${path}: ${(cause as Error).message}`, { cause, hint: "--vendor-file takes a file in arp-scan's mac-vendor.txt format: PREFIX<TAB>NAME per line" });
  }
  const { entries, warnings } = parseVendorFile(text, path);
  for (const w of warnings.slice(0, 20)) log.warn({ vendorFile: path }, w);
  if (warnings.length > 20) log.warn({ vendorFile: path }, `${warnings.length - 20} more bad lines skipped`);
  setVendorOverrides(entries);
  return entries.size;
}
