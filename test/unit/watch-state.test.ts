/**
 * The station database (watch --state): arpwatch's arp.dat read and written. Checked against arpwatch
 * itself (2.1a15, Debian's, unpacked by .ci/setup.sh into .ci/tools): the file arpwatch writes from a
 * capture is the table arpinject builds from the same capture, and arpwatch reading arpinject's file
 * knows every station in it (no "new station" report). Plus corrupt lines, atomic writes, the CLI.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PcapWriter, readPcapFile } from '../../src/link/pcap-file.js';
import { ArpWatcher, type WatchRecord } from '../../src/watch/analyzer.js';
import { formatArpDat, parseArpDat, readStateFile, writeStateFile } from '../../src/watch/state.js';
import { type ArpFrameSpec, encodeArpFrame } from '../../src/wire/index.js';
import { CLI, runCli } from '../helpers/cli.js';

const ARPWATCH = fileURLToPath(new URL('../../.ci/tools/usr/sbin/arpwatch', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'arpinject-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const GW = { mac: '02:00:00:00:00:01', ip: '10.77.0.1' };
const req = (tip: string, from: { mac: string; ip: string }): ArpFrameSpec => ({ senderMac: from.mac, senderIp: from.ip, targetIp: tip });
const rep = (ip: string, mac: string, to: { mac: string; ip: string }): ArpFrameSpec => ({ op: 2, senderMac: mac, senderIp: ip, targetMac: to.mac, targetIp: to.ip, ethDst: to.mac });

/** A capture: the gateway and 5 hosts talk, then 10.77.0.3 is taken by another MAC. */
function capture(name: string, hosts = 5, spoof = true): string {
  const file = join(dir, name);
  const w = PcapWriter.open(file, { nanosecond: false });
  let t = T0;
  const put = (f: ArpFrameSpec) => {
    w.writeCaptured({ time: t, bytes: encodeArpFrame(f), capturedLength: 60, originalLength: 60, truncated: false });
    t += 1000;
  };
  for (let i = 2; i < 2 + hosts; i++) {
    put(req(`10.77.0.${i}`, GW));
    put(rep(`10.77.0.${i}`, `02:00:00:00:00:${i.toString(16).padStart(2, '0')}`, GW));
  }
  if (spoof) put(rep('10.77.0.3', '0a:0b:00:00:00:66', GW));
  w.close();
  return file;
}

function analyse(file: string, known = parseArpDat('').stations) {
  const records: WatchRecord[] = [];
  const w = new ArpWatcher((r) => records.push(r), { known });
  for (const r of readPcapFile(file).records) w.ingest({ time: r.time, bytes: r.bytes });
  return { w, records };
}

describe('arp.dat', () => {
  test('parse: arpwatch columns, optional ones, the two arpinject adds; the newest pairing is the station, the one before its previous MAC', () => {
    const p = parseArpDat(
      [
        '# a comment',
        '2:0:0:0:0:1\t10.77.0.1\t1764600000\t\t(from file)',
        '02:00:00:00:00:02\t10.77.0.2\t1764600001\tweb1\tbond0\t1764500000\t',
        '0a:0b:00:00:00:66\t10.77.0.2\t1764600002\t\tbond0',
        '02:00:00:00:00:05\t10.77.0.5',
        '02:00:00:00:0a:10\t10.77.0.5\t1764600003\t\ttrunk0\t1764600003\t10',
        '',
      ].join('\n'),
    );
    assert.deepEqual(p.skipped, []);
    assert.equal(p.lines, 5);
    const by = new Map(p.stations.map((s) => [`${s.ip}/${s.vlan}`, s]));
    assert.equal(by.get('10.77.0.1/null')!.mac, '02:00:00:00:00:01', 'unpadded MAC (arpwatch may write them so)');
    const two = by.get('10.77.0.2/null')!;
    assert.deepEqual([two.mac, two.previousMac, two.lastSeen, two.previousSeen], ['0a:0b:00:00:00:66', '02:00:00:00:00:02', 1764600002000, 1764600001000]);
    assert.equal(by.get('10.77.0.5/null')!.lastSeen, 0, 'MAC and IP only: timestamp 0, as arpwatch');
    assert.equal(by.get('10.77.0.5/10')!.mac, '02:00:00:00:0a:10', 'a VLAN column keeps trunk stations apart');
  });

  test('corrupt and foreign lines are reported with their line number and skipped, never thrown', () => {
    const p = parseArpDat(['02:00:00:00:00:01\t10.77.0.1\t1', 'garbage', 'zz:00:00:00:00:01\t10.0.0.1', '02:00:00:00:00:01\t10.0.0.300', '02:00:00:00:00:01\t10.0.0.1\tyesterday', '02:00:00:00:00:01\t10.0.0.1\t1\t\t\t\t5000', '\u0000\u0001\t\t'].join('\r\n'));
    assert.deepEqual(
      p.skipped.map((s) => s.line),
      [2, 3, 4, 5, 6, 7],
    );
    assert.match(p.skipped[0]!.reason, /not tab-separated/);
    assert.match(p.skipped[4]!.reason, /bad VLAN/);
    assert.equal(p.stations.length, 1);
  });

  test('written atomically: the old file survives a failed write, no temporary file is left', () => {
    const f = join(dir, 'atomic.dat');
    writeStateFile(f, 'one\n');
    assert.equal(readFileSync(f, 'utf8'), 'one\n');
    writeStateFile(f, 'two\n');
    assert.equal(readFileSync(f, 'utf8'), 'two\n');
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp-')), []);
    assert.throws(() => writeStateFile(join(dir, 'no-such-dir', 'x.dat'), 'x'), (e: Error & { code?: string }) => e.code === 'ERR_FILE');
    if (existsSync('/dev/full')) assert.throws(() => writeStateFile('/dev/full', 'x'), (e: Error & { code?: string }) => e.code === 'ERR_FILE');
    assert.equal(readStateFile(join(dir, 'missing.dat')).existed, false, 'a missing file is an empty database');
    // A symlink is followed: the file it points to is replaced, the link stays a link.
    const real = join(dir, 'real.dat');
    const link = join(dir, 'link.dat');
    writeFileSync(real, 'old\n');
    symlinkSync(real, link);
    writeStateFile(link, 'new\n');
    assert.equal(readFileSync(real, 'utf8'), 'new\n');
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is not replaced by a file');
  });

  test('round trip: the table written and read back is the same stations with their previous MACs', () => {
    const { w } = analyse(capture('rt.pcap'));
    const text = formatArpDat(w.stations(), 'bond0');
    const back = parseArpDat(text);
    assert.deepEqual(back.skipped, []);
    const key = (s: { ip: string; mac: string; vlan: number | null; previousMac?: string }) => `${s.ip} ${s.vlan} ${s.mac} ${s.previousMac ?? '-'}`;
    assert.deepEqual(back.stations.map(key).sort(), w.stations().map(key).sort());
    assert.ok(text.includes('0a:0b:00:00:00:66\t10.77.0.3\t'), text);
    assert.ok(text.includes('02:00:00:00:00:03\t10.77.0.3\t'), 'the previous pairing is kept, as arpwatch keeps it');
  });
});

describe('arp.dat against arpwatch 2.1a15', { skip: existsSync(ARPWATCH) ? false : `arpwatch not unpacked at ${ARPWATCH} (run .ci/setup.sh)` }, () => {
  const arpwatch = (pcap: string, dat: string) => {
    const r = spawnSync(ARPWATCH, ['-d', '-r', pcap, '-f', dat], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, `arpwatch: ${r.stderr}`);
    return r.stdout + r.stderr;
  };

  test("arpwatch's arp.dat from a capture is the station table arpinject builds from the same capture", () => {
    const pcap = capture('aw1.pcap');
    const dat = join(dir, 'aw1.dat');
    writeFileSync(dat, '');
    const report = arpwatch(pcap, dat);
    assert.match(report, /changed ethernet address \(10\.77\.0\.3\)/, 'arpwatch saw the spoof');
    const theirs = readStateFile(dat);
    assert.deepEqual(theirs.skipped, [], 'every line arpwatch wrote is read');
    const ours = analyse(pcap).w.stations();
    const pairs = (xs: Array<{ ip: string; mac: string; previousMac?: string }>) => xs.map((s) => `${s.ip} ${s.mac} ${s.previousMac ?? '-'}`).sort();
    assert.deepEqual(pairs(theirs.stations), pairs(ours));
    // Started from arpwatch's file, arpinject knows every station: a new one only for a new host.
    const more = capture('aw1b.pcap', 6, false);
    const next = analyse(more, theirs.stations);
    const news = next.records.filter((r) => r.type === 'finding' && r.kind === 'new-station').map((r) => r.type === 'finding' && r.ips[0]);
    assert.deepEqual(news, ['10.77.0.7']);
  });

  test("arpwatch reading arpinject's file knows every station in it (no new station reported)", () => {
    const pcap = capture('aw2.pcap', 5, false);
    const dat = join(dir, 'aw2.dat');
    writeFileSync(dat, formatArpDat(analyse(pcap).w.stations(), 'bond0'));
    const report = arpwatch(capture('aw2b.pcap', 6, false), dat);
    const reported = [...report.matchAll(/Subject: new station \((\S+)\)/g)].map((m) => m[1]);
    assert.deepEqual(reported, ['10.77.0.7'], report);
  });
});

describe('watch --state and stations (CLI)', () => {
  test('SIGKILL loses at most the last --state-interval: a watch reading a FIFO, killed, left its stations on disk', async () => {
    const fifo = join(dir, 'kill.fifo');
    const state = join(dir, 'kill.dat');
    spawnSync('mkfifo', [fifo]);
    const child = spawn(process.execPath, [CLI, 'watch', '--read', fifo, '--state', state, '--state-interval', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Writer: the pcap header and three hosts' frames, then the FIFO stays open (the watch keeps reading).
    const { openSync: open, writeSync: write, closeSync: close } = await import('node:fs');
    const fd = open(fifo, 'w');
    try {
      write(fd, readFileSync(capture('kill.pcap', 3, false)));
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(child.exitCode, null, 'still running');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    } finally {
      close(fd);
    }
    const saved = readStateFile(state);
    assert.deepEqual(saved.stations.map((s) => s.ip).sort(), ['10.77.0.1', '10.77.0.2', '10.77.0.3', '10.77.0.4']);
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp-')), [], 'no temporary file left behind');
  });


  test('a second run from the state file raises no new-station for known stations; stations prints it; ARPINJECT_STATE works', async () => {
    const state = join(dir, 'cli.dat');
    const first = await runCli(undefined, ['watch', '--read', capture('cli1.pcap', 3, false), '--state', state, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const news1 = first.records.filter((r) => r.type === 'finding' && r.kind === 'new-station').length;
    assert.equal(news1, 4, 'the gateway and 3 hosts');
    const s1 = first.records.find((r) => r.type === 'summary')!;
    assert.deepEqual(s1.state, { file: state, loaded: 0, skippedLines: 0, written: 1, saved: true });
    const second = await runCli(undefined, ['watch', '--read', capture('cli2.pcap', 4, false), '--json'], { env: { ...process.env, ARPINJECT_STATE: state } });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(second.records.filter((r) => r.type === 'finding' && r.kind === 'new-station').map((r) => (r.ips as string[])[0]), ['10.77.0.5']);
    const list = await runCli(undefined, ['stations', '--state', state, '--json']);
    assert.equal(list.code, 0, list.stderr);
    const rows = list.records.filter((r) => r.type === 'station');
    assert.deepEqual(rows.map((r) => r.ip), ['10.77.0.1', '10.77.0.2', '10.77.0.3', '10.77.0.4', '10.77.0.5']);
    assert.equal(rows[0]!.iface, capture('cli2.pcap', 4, false));
    const text = await runCli(undefined, ['stations', '--state', state]);
    assert.match(text.stdout, /^IP\s+VLAN\s+MAC\s+VENDOR/m);
    assert.match(text.stdout, /10\.77\.0\.5\s+-\s+02:00:00:00:00:05/);
  });

  test('a state file that cannot be written at the end: the summary says saved: false, exit 3; a bad --local-net is exit 2', async () => {
    const state = join(dir, 'no-such-dir', 's.dat');
    const r = await runCli(undefined, ['watch', '--read', capture('unwritable.pcap', 1, false), '--state', state, '--json']);
    assert.equal(r.code, 3, r.stderr);
    const s = r.records.find((x) => x.type === 'summary')!;
    assert.deepEqual([s.state.saved, s.state.written], [false, 0]);
    assert.match(r.stderr, /cannot write state file/);
    const bad = await runCli(undefined, ['watch', '--read', capture('badnet.pcap', 1, false), '--local-net', '10.0.0.0/33']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--local-net: target "10\.0\.0\.0\/33": prefix length must be 0-32/);
  });

  test('a corrupt state line is a warning with its line number, not a failure; a missing file for stations is exit 2', async () => {
    const state = join(dir, 'corrupt.dat');
    writeFileSync(state, '02:00:00:00:00:02\t10.77.0.2\t1764600001\n\u0000garbage\n');
    const r = await runCli(undefined, ['watch', '--read', capture('c.pcap', 1, false), '--state', state, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /state file line 2 skipped/);
    const none = await runCli(undefined, ['stations', '--state', join(dir, 'nope.dat')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /does not exist/);
  });
});
