import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readPcapFile } from '../../src/link/pcap-file.js';
import { ArpWatcher, type WatchRecord } from '../../src/watch/analyzer.js';
import { WatchMetrics } from '../../src/watch/metrics.js';
import { encodeArpFrame } from '../../src/wire/index.js';
import { buildFixtures } from '../fixtures/make-fixtures.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

function analyse(name: string, opts = {}) {
  const records: WatchRecord[] = [];
  const w = new ArpWatcher((r) => records.push(r), opts);
  for (const r of readPcapFile(fixture(name)).records) w.ingest({ bytes: r.bytes, time: r.time });
  const all = records.filter((r) => r.type === 'finding');
  /** Every finding but new-station (each test's first sighting of a host; tested on its own). */
  const findings = all.filter((f) => f.type === 'finding' && f.kind !== 'new-station');
  return {
    records,
    findings,
    all,
    kinds: findings.map((f) => `${f.kind}:${f.severity}`), summary: w.summary() };
}

describe('watch analyser on the committed fixtures', () => {
  test('the committed files are what make-fixtures.ts writes', () => {
    for (const [name, frames] of Object.entries(buildFixtures())) {
      const got = readPcapFile(fixture(name)).records.map((r) => Array.from(r.bytes));
      assert.deepEqual(got, frames.map((f) => Array.from(f)), name);
    }
  });
  test('pair: requests paired with replies (VLAN too), latency from the wire', () => {
    const a = analyse('pair.pcap');
    assert.deepEqual(a.kinds, []);
    const replies = a.records.filter((r) => r.type === 'arp' && r.opcode === 2);
    assert.deepEqual(replies.map((r) => r.type === 'arp' && [r.spa, r.vlan, r.answers?.asker, r.answers?.latencyMs]), [['10.0.0.2', null, '10.0.0.1', 10], ['10.0.0.3', 42, '10.0.0.1', 10]]);
    assert.equal(a.summary.paired, 2);
  });
  test('storm: one MAC replying for 20 IPs is a critical reply-storm, raised once', () => {
    const a = analyse('storm.pcap');
    assert.deepEqual(a.kinds, ['reply-storm:critical']);
    assert.equal(a.findings[0]!.type === 'finding' && a.findings[0]!.mac, '32:6b:33:03:b2:c2');
    assert.deepEqual(analyse('storm.pcap', { stormIps: 32 }).kinds, [], 'threshold configurable');
  });
  test('flip-flop, gratuitous, bubble, eth-src', () => {
    assert.deepEqual(analyse('flipflop.pcap').kinds, ['mac-changed:warning', 'flip-flop:warning']);
    assert.deepEqual(analyse('flipflop.pcap').summary.multiMacIps, { '10.0.0.5': ['02:00:00:00:00:0a', '02:00:00:00:00:0b'] });
    assert.deepEqual(analyse('gratuitous.pcap').kinds, ['gratuitous:info']);
    assert.deepEqual(analyse('bubble.pcap').kinds, ['bogus-sender:warning']);
    assert.deepEqual(analyse('bubble.pcap', { hostScoped: ['169.254.1.1'] }).kinds, ['host-scoped-sender:critical'], 'a configured host-scope address is critical');
    assert.deepEqual(analyse('eth-src.pcap').kinds, ['eth-src-mismatch:warning']);
  });
  test('hostile frames: counted, shown with raw fields, never thrown; the counters add up', () => {
    const a = analyse('hostile.pcap');
    const s = a.summary;
    assert.deepEqual([s.frames, s.malformed, s.ignored, s.arp], [9, 8, 1, 0]);
    assert.equal(s.frames, s.arp + s.malformed + s.ignored);
    const codes = a.records.filter((r) => r.type === 'malformed').map((r) => r.type === 'malformed' && r.issue.code);
    assert.deepEqual(codes, ['TRUNCATED', 'TRUNCATED', 'TRUNCATED', 'UNSUPPORTED_FORMAT', 'UNSUPPORTED_FORMAT', 'UNSUPPORTED_FORMAT', 'TOO_MANY_TAGS', 'UNSUPPORTED_FORMAT']);
    const lie = a.records.find((r) => r.type === 'malformed' && r.raw.hlen === 7);
    assert.ok(lie && lie.type === 'malformed' && lie.raw.ethSrc === '02:00:00:00:00:02');
    assert.deepEqual(a.kinds, ['malformed:info', 'malformed:info', 'malformed:info']);
  });
  test('unsolicited reply and sender 0.0.0.0 outside DAD; a DAD probe is fine', () => {
    const records: WatchRecord[] = [];
    const w = new ArpWatcher((r) => records.push(r));
    w.ingest({ time: 1, bytes: encodeArpFrame({ senderMac: '02:00:00:00:00:01', senderIp: '0.0.0.0', targetIp: '10.0.0.9' }) });
    w.ingest({ time: 2, bytes: encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:02', senderIp: '10.0.0.9', targetIp: '10.0.0.1', targetMac: '02:00:00:00:00:01' }) });
    w.ingest({ time: 3, bytes: encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:03', senderIp: '0.0.0.0', targetIp: '10.0.0.1', targetMac: '02:00:00:00:00:01' }) });
    assert.deepEqual(records.filter((r) => r.type === 'finding').map((r) => r.type === 'finding' && r.kind), ['unsolicited', 'new-station', 'bogus-sender', 'unsolicited']);
  });
  test('metrics: frames by op, findings by kind, MACs per IP, replies per MAC', async () => {
    const m = new WatchMetrics();
    const w = new ArpWatcher((r) => m.observe(r));
    for (const r of readPcapFile(fixture('flipflop.pcap')).records) w.ingest({ bytes: r.bytes, time: r.time });
    for (const r of readPcapFile(fixture('hostile.pcap')).records) w.ingest({ bytes: r.bytes, time: r.time });
    const text = await m.text();
    assert.match(text, /arpinject_watch_frames_total\{op="request"\} 4/);
    assert.match(text, /arpinject_watch_frames_total\{op="malformed"\} 8/);
    assert.match(text, /arpinject_watch_findings_total\{kind="flip-flop",severity="warning"\} 1/);
    assert.match(text, /arpinject_watch_ip_macs\{ip="10\.0\.0\.5"\} 2/);
    assert.match(text, /arpinject_watch_replies_total\{mac="02:00:00:00:00:0a"\} 2/);
  });
});
