/** --plain / --quiet / --format rendering and the vendor lookup (sources, precedence, vendor files). */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, test } from 'node:test';
import { BUILTIN_VENDORS, parseVendorFile, setVendorOverrides, vendorLabel, vendorOf, vendorRegistryRead } from '../../src/records/vendor.js';
import { ReplyLines, parseTemplate, renderTemplate, safeText, textMode } from '../../src/cli/text-modes.js';
import { isArpInjectError } from '../../src/errors.js';

const reply = (o: Partial<{ ip: string; mac: string; ethSrc: string; vlan: number | null; rttMs: number }> = {}) => ({
  ip: '10.0.0.5',
  mac: '52:54:00:12:34:56',
  ethSrc: '52:54:00:12:34:56',
  vlan: null,
  rttMs: 0.0274,
  ...o,
});
const usage = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(isArpInjectError(e), String(e));
    assert.equal(e.code, 'ERR_INVALID_ARGUMENT');
    assert.match(e.message, re);
    return true;
  });

describe('vendor lookup', () => {
  test('nothing is read before the first lookup, and no descriptor is left open after one', () => {
    assert.equal(vendorRegistryRead(), false);
    const fds = readdirSync('/proc/self/fd').length;
    vendorOf('00:50:56:00:00:01');
    assert.equal(vendorRegistryRead(), true);
    vendorOf('00:16:3e:00:00:02');
    assert.equal(readdirSync('/proc/self/fd').length, fds, 'lookups leave no descriptor open');
  });
  afterEach(() => setVendorOverrides(new Map()));

  test('the IEEE registry (MA-L, MA-M, MA-S), first line only; virtualisation OUIs by their IEEE names', () => {
    assert.equal(vendorOf('00:16:3e:00:00:02'), 'Xensource, Inc.');
    assert.equal(vendorOf('00:50:56:aa:bb:cc'), 'VMware, Inc.');
    assert.equal(vendorOf('00:0C:29:AA:BB:CC'), 'VMware, Inc.', 'any case');
    assert.equal(vendorOf('00:00:00:00:00:06'), 'XEROX CORPORATION');
    // Cross-checked against the table itself: a 9-digit (MA-S) block and a 7-digit (MA-M) block win
    // over the "IEEE Registration Authority" OUI they sit in.
    const table = createRequire(import.meta.url)('oui-data') as Record<string, string>;
    const ma_s = Object.keys(table).find((k) => k.length === 9)!;
    const ma_m = Object.keys(table).find((k) => k.length === 7)!;
    const mac = (hex: string) => (hex + '0'.repeat(12 - hex.length)).match(/../g)!.join(':').toLowerCase();
    assert.equal(vendorOf(mac(ma_s)), table[ma_s]!.split('\n')[0]);
    assert.equal(vendorOf(mac(ma_m)), table[ma_m]!.split('\n')[0]);
    assert.match(table[ma_s.slice(0, 6)] ?? 'IEEE Registration Authority', /^IEEE Registration Authority/);
    // The line index agrees with JSON.parse of the whole file, for every MA-S block and every
    // MA-L OUI not split into blocks (where the longest prefix is the key itself).
    for (const k of Object.keys(table)) {
      if (k.length === 7 || (k.length === 6 && table[k]!.startsWith('IEEE Registration Authority'))) continue;
      if (BUILTIN_VENDORS.some(([p]) => p.startsWith(k))) continue;
      assert.equal(vendorOf(mac(k)), table[k]!.split('\n')[0], k);
    }
  });

  test("arp-scan's mac-vendor.txt names, exactly as installed on this machine", () => {
    assert.equal(vendorOf('52:54:00:12:34:56'), 'QEMU');
    assert.equal(vendorOf('b0:c4:20:00:00:05'), 'Bochs');
    assert.equal(vendorOf('00:00:5e:00:01:07'), 'VRRP (last octet is VRID)');
    assert.equal(vendorOf('00:00:0c:07:ac:01'), 'HSRP (last octet is group number)');
    assert.equal(vendorOf('00:00:0c:12:34:56'), 'Cisco Systems, Inc', 'the shorter IEEE OUI for the rest of 00:00:0c');
    assert.equal(vendorOf('ff:ff:ff:ff:ff:ff'), 'Broadcast');
    let installed: string;
    try {
      installed = readFileSync('/etc/arp-scan/mac-vendor.txt', 'utf8');
    } catch {
      return; // arp-scan not installed: the names above are the check
    }
    const theirs = [...parseVendorFile(installed).entries];
    assert.deepEqual(theirs, BUILTIN_VENDORS.map(([p, n]) => [p, n]));
  });

  test('unknown: null in records, arp-scan labels in columns', () => {
    assert.equal(vendorOf('02:00:00:00:01:03'), null);
    assert.equal(vendorLabel('02:00:00:00:01:03'), '(Unknown: locally administered)');
    assert.equal(vendorOf('02:bf:0a:00:00:01'), 'Microsoft WLBS (last four octets are IP address)', 'a named local prefix is named');
    // An unassigned OUI (not locally administered): walk until the registry has no entry.
    let hex = 0xfcfcfc;
    const table = createRequire(import.meta.url)('oui-data') as Record<string, string>;
    while (table[hex.toString(16).toUpperCase()]) hex--;
    const m = (hex.toString(16) + '000000').match(/../g)!.join(':');
    assert.equal(vendorOf(m), null);
    assert.equal(vendorLabel(m), '(Unknown)');
  });

  test('vendor file: prefixes of any length and separator, comments; bad lines reported with their number', () => {
    const text = ['# local names', '', '52:54\tShort', '525400\tLong QEMU', '52-54-00-12-34-56\tExact host', '0016.3e\tMyXen', 'zz\tnot hex', '00:11', '001122\t', 'f\ttoo short', '0011223344556677\ttoo long', 'aabbcc\tTabbed\tname\r'].join('\n');
    const { entries, warnings } = parseVendorFile(text, 'my.txt');
    assert.deepEqual([...entries], [
      ['5254', 'Short'],
      ['525400', 'Long QEMU'],
      ['525400123456', 'Exact host'],
      ['00163E', 'MyXen'],
      ['AABBCC', 'Tabbed\tname'],
    ]);
    assert.deepEqual(warnings.map((w) => w.split(': ')[0]), ['my.txt:7', 'my.txt:8', 'my.txt:9', 'my.txt:10', 'my.txt:11']);
    assert.match(warnings[0]!, /"zz" is not a MAC prefix/);
    assert.match(warnings[1]!, /no TAB/);
    assert.match(warnings[2]!, /no vendor name/);
  });

  test('precedence: the longest prefix wins; at equal length the vendor file beats built-in and IEEE names', () => {
    setVendorOverrides(parseVendorFile('52:54\tShort\n525400\tLong QEMU\n52:54:00:12:34:56\tExact host\n00:16:3e\tMyXen\n00\tZero\n').entries);
    assert.equal(vendorOf('52:54:00:12:34:56'), 'Exact host');
    assert.equal(vendorOf('52:54:00:12:34:57'), 'Long QEMU', 'equal length (6): the file beats the built-in QEMU');
    assert.equal(vendorOf('52:54:01:00:00:00'), 'Short');
    assert.equal(vendorOf('00:16:3e:00:00:02'), 'MyXen', 'equal length (6): the file beats the IEEE registry');
    assert.equal(vendorOf('00:50:56:00:00:01'), 'VMware, Inc.', 'a 2-digit prefix loses to a 6-digit IEEE OUI');
    assert.equal(vendorOf('00:00:5e:00:01:01'), 'VRRP (last octet is VRID)', 'and to a 10-digit built-in');
    setVendorOverrides(new Map());
    assert.equal(vendorOf('52:54:00:12:34:56'), 'QEMU', 'overrides removed: the cache forgets them');
  });
});

describe('--format templates', () => {
  test('every field, with arp-scan semantics (empty when absent)', () => {
    const t = parseTemplate('${ip}|${mac}|${vendor}|${rtt}|${vlan}|${dup}|${hdrmac}|');
    assert.equal(renderTemplate(t, reply(), 1), '10.0.0.5|52:54:00:12:34:56|QEMU|0.027||||');
    assert.equal(renderTemplate(t, reply({ vlan: 42, ethSrc: '02:00:00:00:66:66', mac: '02:00:00:00:01:03', rttMs: 12.5 }), 3), '10.0.0.5|02:00:00:00:01:03|(Unknown: locally administered)|12.500|42|3|02:00:00:00:66:66|');
  });

  test('case-insensitive names; ${field;width}: right-aligned, negative left-aligned, never truncated', () => {
    const t = parseTemplate('${IP;12}|${Mac;-20}|${vendor;3}|${DUP;2}');
    assert.equal(renderTemplate(t, reply(), 2), '    10.0.0.5|52:54:00:12:34:56   |QEMU| 2');
    assert.equal(renderTemplate(parseTemplate('${vendor;-6}|'), reply({ mac: '00:16:3e:00:00:02' }), 1), 'Xensource, Inc.|');
  });

  test('escapes: \\t \\n \\r, a backslash quotes the next character', () => {
    const t = parseTemplate('${ip}\\t${mac}\\n\\\\\\$\\{x}\\r');
    assert.equal(renderTemplate(t, reply(), 1), '10.0.0.5\t52:54:00:12:34:56\n\\${x}\r');
    assert.deepEqual(parseTemplate('plain text').parts, ['plain text']);
  });

  test('unknown field, bad width, unterminated field: usage errors naming them', () => {
    usage(() => parseTemplate('${ip} ${nope}'), /--format: unknown field \$\{nope\}/);
    usage(() => parseTemplate('${name}'), /arp-scan's \$\{name\} is not available in arpinject/);
    usage(() => parseTemplate('${ip;x}'), /bad width "x"/);
    usage(() => parseTemplate('${ip'), /unterminated field at column 1/);
    usage(() => textMode({ format: '${vendor}', quiet: true }), /with --quiet only \$\{ip\} and \$\{mac\}/);
    usage(() => textMode({ plain: true, json: true }), /--json cannot be combined with --plain/);
  });

  test('hostile field values cannot start a line or move the cursor: every control character escaped', () => {
    setVendorOverrides(parseVendorFile('02:00:00:00:66\tEvil\x1b[2J\x07\u2028\u202eName\x7f\x9b').entries);
    try {
      const hostile = reply({ mac: '02:00:00:00:66:01' });
      const t = parseTemplate('${vendor}');
      const out = renderTemplate(t, hostile, 1);
      assert.equal(out, 'Evil\\x1b[2J\\x07\\u{2028}\\u{202e}Name\\x7f\\x9b');
      assert.doesNotMatch(out, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202e]/);
      const plain = new ReplyLines({ kind: 'plain' }).line(hostile);
      assert.equal(plain.split('\t').length, 3);
      assert.equal(plain.split('\n').length, 1);
      // A TAB inside a name would add a column: escaped too.
      assert.equal(safeText('a\tb'), 'a\\x09b');
      assert.equal(safeText('a\tb', false), 'a\tb');
      assert.equal(safeText('Krabbenhøft og Ingolfsson'), 'Krabbenhøft og Ingolfsson', 'printable non-ASCII kept');
    } finally {
      setVendorOverrides(new Map());
    }
  });
});

describe('--plain and --quiet lines', () => {
  test("--plain: arp-scan -x lines, (DUP: n) on a host's later replies", () => {
    const l = new ReplyLines(textMode({ plain: true })!);
    assert.equal(l.line(reply({ mac: '00:16:3e:00:00:02' })), '10.0.0.5\t00:16:3e:00:00:02\tXensource, Inc.');
    assert.equal(l.line(reply()), '10.0.0.5\t52:54:00:12:34:56\tQEMU (DUP: 2)');
    assert.equal(l.line(reply({ ip: '10.0.0.7', mac: '02:00:00:00:01:03' })), '10.0.0.7\t02:00:00:00:01:03\t(Unknown: locally administered)');
    assert.equal(l.line(reply()), '10.0.0.5\t52:54:00:12:34:56\tQEMU (DUP: 3)');
    assert.equal(l.summaryLine, false);
  });

  test('--quiet: IP and MAC only (arp-scan -q), the summary line unless --plain too', () => {
    const q = new ReplyLines(textMode({ quiet: true })!);
    assert.equal(q.line(reply()), '10.0.0.5\t52:54:00:12:34:56');
    assert.equal(q.line(reply()), '10.0.0.5\t52:54:00:12:34:56', 'no (DUP: n) in -q, as arp-scan -q -x');
    assert.equal(q.summaryLine, true);
    assert.equal(new ReplyLines(textMode({ quiet: true, plain: true })!).summaryLine, false);
    assert.equal(textMode({}), undefined);
  });
});
