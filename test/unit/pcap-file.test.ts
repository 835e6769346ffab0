import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/errors.js';
import { PcapFileLink, PcapWriter, parsePcap, readPcapFile } from '../../src/link/pcap-file.js';
import { encodeArpFrame } from '../../src/wire/index.js';

const dir = mkdtempSync(join(tmpdir(), 'arpinject-pcap-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const req = encodeArpFrame({ senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' });
const rep = encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:02', senderIp: '10.0.0.2', targetMac: '02:00:00:00:00:01', targetIp: '10.0.0.1', ethDst: '02:00:00:00:00:01', vlans: [{ vid: 42, pcp: 3 }] });
const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;

describe('pcap files', () => {
  test('round trip: bytes, µs times, original length', () => {
    const f = join(dir, 'rt.pcap');
    const w = PcapWriter.open(f);
    const t0 = 1_795_000_000_123.456;
    w.write(req, t0);
    w.write(rep, t0 + 0.75, 64);
    assert.equal(w.frames, 2);
    w.close();
    w.close();
    const r = readPcapFile(f);
    assert.equal(r.linkType, 1);
    assert.equal(r.nanosecond, false);
    assert.equal(r.truncatedTail, false);
    assert.deepEqual(r.records.map((x) => x.bytes), [req, rep]);
    assert.deepEqual(r.records.map((x) => x.origLen), [60, 64]);
    assert.ok(Math.abs(r.records[0]!.time - t0) < 0.001);
    assert.ok(Math.abs(r.records[1]!.time - (t0 + 0.75)) < 0.001);
  });

  test('nanosecond variant keeps sub-µs', () => {
    const f = join(dir, 'ns.pcap');
    const w = PcapWriter.open(f, { nanosecond: true });
    w.write(req, 1000.0004);
    w.close();
    const r = readPcapFile(f);
    assert.equal(r.nanosecond, true);
    assert.ok(Math.abs(r.records[0]!.time - 1000.0004) < 1e-6);
  });

  test('big-endian files, truncated tails, garbage, pcapng', () => {
    const be = new Uint8Array(24 + 16 + 4);
    const dv = new DataView(be.buffer);
    dv.setUint32(0, 0xa1b2c3d4, false);
    dv.setUint16(4, 2, false);
    dv.setUint16(6, 4, false);
    dv.setUint32(16, 65535, false);
    dv.setUint32(20, 1, false);
    dv.setUint32(24, 7, false);
    dv.setUint32(28, 500, false);
    dv.setUint32(32, 4, false);
    dv.setUint32(36, 4, false);
    be.set([1, 2, 3, 4], 40);
    const r = parsePcap(be);
    assert.ok(!('error' in r));
    assert.deepEqual(r.records.map((x) => [Array.from(x.bytes), x.time]), [[[1, 2, 3, 4], 7000.5]]);
    const cut = parsePcap(be.subarray(0, be.length - 1));
    assert.ok(!('error' in cut) && cut.truncatedTail && cut.records.length === 0);
    const cut2 = parsePcap(be.subarray(0, 30));
    assert.ok(!('error' in cut2) && cut2.truncatedTail);
    assert.match((parsePcap(new Uint8Array(10)) as { error: string }).error, /too short/);
    assert.match((parsePcap(new Uint8Array(40).fill(7)) as { error: string }).error, /not a pcap file/);
    const ng = new Uint8Array(40);
    new DataView(ng.buffer).setUint32(0, 0x0a0d0d0a, true);
    assert.match((parsePcap(ng) as { error: string }).error, /pcapng is not supported/);
    const header = PcapWriter.open(join(dir, 'empty.pcap'));
    header.close();
    assert.deepEqual(readPcapFile(join(dir, 'empty.pcap')).records, []);
    writeFileSync(join(dir, 'junk.pcap'), 'hello world, not a capture');
    assert.throws(() => readPcapFile(join(dir, 'junk.pcap')), (e: unknown) => e instanceof UsageError && /junk\.pcap: not a pcap file/.test(e.message));
  });

  test('a file link replays records into handlers in order; it cannot send', () => {
    const f = join(dir, 'replay.pcap');
    const w = PcapWriter.open(f);
    w.write(req, 1);
    w.write(rep, 2);
    w.close();
    const link = PcapFileLink.open(f);
    const seen: number[] = [];
    link.onFrame((c) => seen.push(c.time));
    assert.equal(link.replay(), 2);
    assert.deepEqual(seen, [1, 2]);
    assert.throws(() => link.send(), UsageError);
  });

  test('tcpdump -r reads what we write (untagged and 802.1Q)', { skip: !hasTcpdump && 'tcpdump not installed' }, () => {
    const f = join(dir, 'td.pcap');
    const w = PcapWriter.open(f);
    w.write(req, Date.now());
    w.write(rep, Date.now());
    w.close();
    const text = execFileSync('tcpdump', ['-r', f, '-nn', '-e'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = text.trim().split('\n');
    assert.match(lines[0]!, /02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP .*Request who-has 10\.0\.0\.2 tell 10\.0\.0\.1/);
    assert.match(lines[1]!, /vlan 42, p 3, ethertype ARP .*Reply 10\.0\.0\.2 is-at 02:00:00:00:00:02/);
  });

  test('durability: a writer killed with SIGKILL leaves every written record readable', () => {
    const f = join(dir, 'killed.pcap');
    const mod = fileURLToPath(new URL('../../src/link/pcap-file.ts', import.meta.url));
    const script = `import { PcapWriter } from ${JSON.stringify(mod)};
      const w = PcapWriter.open(${JSON.stringify(f)});
      for (let i = 0; i < 500; i++) w.write(new Uint8Array(60).fill(i & 255), 1000 + i);
      process.kill(process.pid, 'SIGKILL');`;
    const s = join(dir, 'kill.mts');
    writeFileSync(s, script);
    const r = spawnSync(process.execPath, ['--import', 'tsx', s], { encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL');
    const p = readPcapFile(f);
    assert.equal(p.records.length, 500);
    assert.equal(p.truncatedTail, false);
    assert.equal(p.records[499]!.bytes[0], 499 & 255);
    assert.ok(readFileSync(f).length === 24 + 500 * (16 + 60));
  });
});
