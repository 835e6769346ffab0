/**
 * The watch analyser's rules one by one, on frames built here (the fixture files are covered by
 * watch.test.ts), plus bounded memory, a fuzz run, the text format and the metrics' series cap.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ArpWatcher, type ArpRecord, type WatchFinding, type WatchOptions, type WatchRecord } from '../../src/watch/analyzer.js';
import { formatWatchRecord, formatWatchSummary } from '../../src/watch/format.js';
import { WatchMetrics } from '../../src/watch/metrics.js';
import { type ArpFrameSpec, encodeArpFrame } from '../../src/wire/index.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const R = { mac: '02:00:00:00:00:01', ip: '10.0.0.1' };

function run(frames: Array<[number, ArpFrameSpec | Uint8Array]>, opts: WatchOptions = {}) {
  const records: WatchRecord[] = [];
  const w = new ArpWatcher((r) => records.push(r), opts);
  for (const [dt, f] of frames) w.ingest({ time: T0 + dt, bytes: f instanceof Uint8Array ? f : encodeArpFrame(f) });
  const all = records.filter((r): r is WatchFinding => r.type === 'finding');
  /** Every finding but new-station (each test's first sighting of a host; tested on its own). */
  const findings = all.filter((f) => f.kind !== 'new-station');
  const arp = records.filter((r): r is ArpRecord => r.type === 'arp');
  return { w, records, findings, arp, /** Every kind but new-station (each test's first sighting of a host; tested on its own). */
    kinds: findings.filter((f) => f.kind !== 'new-station').map((f) => `${f.kind}:${f.severity}`), summary: w.summary() };
}
const req = (tip: string, from = R, extra: Partial<ArpFrameSpec> = {}): ArpFrameSpec => ({ senderMac: from.mac, senderIp: from.ip, targetIp: tip, ...extra });
const rep = (ip: string, mac: string, to = R, extra: Partial<ArpFrameSpec> = {}): ArpFrameSpec => ({ op: 2, senderMac: mac, senderIp: ip, targetMac: to.mac, targetIp: to.ip, ethDst: to.mac, ...extra });

describe('watch rules', () => {
  test('the ARP bubble pattern: two hosts asking from 169.254.1.1 move it between their MACs', () => {
    // Seed 002: BM2's and then BM1's own requests carry 169.254.1.1; every listener's cache follows.
    const bm1 = { mac: '98:03:9b:a0:98:2a', ip: '169.254.1.1' };
    const bm2 = { mac: '98:03:9b:a9:78:ca', ip: '169.254.1.1' };
    const a = run([
      [0, req('10.51.163.7', bm2)],
      [100, req('10.51.162.74', bm1)],
    ]);
    assert.deepEqual(a.kinds, ['bogus-sender:warning', 'bogus-sender:warning', 'mac-changed:warning']);
    assert.deepEqual(a.findings.map((f) => f.mac), [bm2.mac, bm1.mac, bm1.mac]);
    assert.deepEqual(a.findings[0]!.evidence, { op: 1, reason: 'link-local' });
    assert.deepEqual(a.summary.multiMacIps, { '169.254.1.1': [bm2.mac, bm1.mac] });
    assert.deepEqual(run([[0, req('10.51.163.7', bm2)]], { hostScoped: ['169.254.1.1'] }).findings[0]!.evidence, { op: 1, reason: 'host-scoped' });
  });

  test('one request answered by two MACs: ip-conflict (warning), both paired', () => {
    const a = run([
      [0, req('10.0.0.5')],
      [1, rep('10.0.0.5', '02:00:00:00:00:0a')],
      [2, rep('10.0.0.5', '02:00:00:00:00:0b')],
      [3, rep('10.0.0.5', '02:00:00:00:00:0b')],
    ]);
    assert.deepEqual(a.kinds, ['ip-conflict:warning', 'mac-changed:warning']);
    assert.deepEqual(a.findings[0]!.evidence, { macs: ['02:00:00:00:00:0a', '02:00:00:00:00:0b'], asker: '10.0.0.1' });
    assert.equal(a.summary.paired, 3);
    // The same MAC answering twice (a retransmission) is not a duplicate.
    assert.deepEqual(run([[0, req('10.0.0.5')], [1, rep('10.0.0.5', '02:00:00:00:00:0a')], [2, rep('10.0.0.5', '02:00:00:00:00:0a')]]).kinds, []);
  });

  test('pairing: a retried request is the one answered (latency from the newest), asker preferred, window respected', () => {
    const other = { mac: '02:00:00:00:00:77', ip: '10.0.0.77' };
    const a = run([
      [0, req('10.0.0.2')],
      [1000, req('10.0.0.2')],
      [1000.5, req('10.0.0.2', other)],
      [1001.25, rep('10.0.0.2', '02:00:00:00:00:02')],
      [1002, rep('10.0.0.2', '02:00:00:00:00:02', other)],
      [9000, rep('10.0.0.2', '02:00:00:00:00:02')],
    ]);
    assert.deepEqual(a.arp.filter((r) => r.opcode === 2).map((r) => r.answers), [
      { asker: '10.0.0.1', askerMac: R.mac, latencyMs: 1.25 },
      { asker: '10.0.0.77', askerMac: other.mac, latencyMs: 1.5 },
      undefined,
    ]);
    assert.deepEqual(a.kinds, ['unsolicited:info'], 'the reply 8 s later answers nothing');
    // VLANs are separate pairing domains.
    const v = run([[0, req('10.0.0.3', R, { vlans: [{ vid: 42 }] })], [1, rep('10.0.0.3', '02:00:00:00:00:03', R, { vlans: [{ vid: 43 }] })]]);
    assert.equal(v.arp[1]!.answers, undefined);
  });

  test('QinQ: both tags in the record, the inner one pairs', () => {
    const a = run([
      [0, req('10.0.0.3', R, { vlans: [{ vid: 100 }, { vid: 42 }] })],
      [1, rep('10.0.0.3', '02:00:00:00:00:03', R, { vlans: [{ vid: 100 }, { vid: 42 }] })],
    ]);
    assert.deepEqual([a.arp[0]!.vlan, a.arp[0]!.vlans], [42, [100, 42]]);
    assert.equal(a.arp[1]!.answers?.asker, '10.0.0.1');
    assert.match(formatWatchRecord(a.arp[0]!), / vlan 100 vlan 42 ARP Request who-has 10\.0\.0\.3 tell 10\.0\.0\.1$/);
  });

  test('bogus senders: loopback, multicast and broadcast IPs; broadcast, multicast and zero MACs; DAD is fine', () => {
    const reasons = (f: ArpFrameSpec) => run([[0, f]]).findings.filter((x) => x.kind === 'bogus-sender' || x.kind === 'loopback-sender').map((x) => `${x.evidence.reason}:${x.severity}`);
    assert.deepEqual(reasons(req('10.0.0.2', { mac: '02:00:00:00:00:09', ip: '127.0.0.1' })), ['loopback:critical']);
    assert.deepEqual(reasons(req('10.0.0.2', { mac: '02:00:00:00:00:09', ip: '224.0.0.1' })), ['multicast-ip:warning']);
    assert.deepEqual(reasons(req('10.0.0.2', { mac: '02:00:00:00:00:09', ip: '255.255.255.255' })), ['broadcast-ip:warning']);
    assert.deepEqual(reasons(rep('10.0.0.2', 'ff:ff:ff:ff:ff:ff')), ['broadcast-mac:warning']);
    assert.deepEqual(reasons(rep('10.0.0.2', '01:00:5e:00:00:01')), ['multicast-mac:warning']);
    assert.deepEqual(reasons(rep('10.0.0.2', '00:00:00:00:00:00')), ['zero-mac:warning']);
    assert.deepEqual(reasons(req('10.0.0.2', { mac: '02:00:00:00:00:09', ip: '0.0.0.0' })), [], 'an RFC 5227 probe');
    assert.deepEqual(reasons(req('10.0.0.2', { mac: '02:00:00:00:00:09', ip: '0.0.0.0' }, { targetMac: '02:00:00:00:00:01' })), ['unspecified:warning']);
  });

  test('storm: replies spread wider than the window are not a storm; findings repeat once per window', () => {
    const spread = Array.from({ length: 20 }, (_, i): [number, ArpFrameSpec] => [i * 1000, rep(`10.0.0.${i + 2}`, '32:6b:33:03:b2:c2')]);
    assert.deepEqual(run(spread, { stormIps: 16, stormWindowMs: 5000 }).kinds.filter((k) => k.startsWith('reply-storm')), []);
    const burst = (at: number) => Array.from({ length: 20 }, (_, i): [number, ArpFrameSpec] => [at + i, rep(`10.0.0.${i + 2}`, '32:6b:33:03:b2:c2')]);
    const a = run([...burst(0), ...burst(1000), ...burst(20_000)], { stormWindowMs: 10_000 });
    assert.deepEqual(a.kinds.filter((k) => k.startsWith('reply-storm')), ['reply-storm:critical', 'reply-storm:critical'], 'at 0 and again at 20 s, not at 1 s');
  });

  test('flip-flop needs two changes within the window', () => {
    const flips = (gap: number) => run([0, 1, 2].map((i): [number, ArpFrameSpec] => [i * gap, rep('10.0.0.5', i % 2 ? '02:00:00:00:00:0b' : '02:00:00:00:00:0a')]), { flipWindowMs: 60_000 }).kinds;
    assert.deepEqual(flips(1000), ['unsolicited:info', 'unsolicited:info', 'mac-changed:warning', 'flip-flop:warning'], 'unsolicited: once per MAC and storm window');
    assert.deepEqual(flips(61_000).filter((k) => !k.startsWith('unsolicited')), ['mac-changed:warning', 'mac-changed:warning']);
  });
});

describe('watch: bounded memory', () => {
  test('the table is capped, least recently seen first, and evictions are counted', () => {
    const frames: Array<[number, ArpFrameSpec]> = [];
    for (let i = 0; i < 3000; i++) frames.push([i, req('10.0.0.1', { mac: '02:00:00:00:00:09', ip: `10.1.${i >> 8}.${i & 255}` })]);
    frames.push([3000, req('10.0.0.1', { mac: '02:00:00:00:00:09', ip: '10.1.11.183' })]); // i = 2999: already in, refreshed
    const a = run(frames, { maxTableIps: 1000 });
    assert.equal(a.w.sizes().table, 1000);
    assert.equal(a.summary.evicted, 2000);
    assert.deepEqual([a.summary.ips, a.summary.macs], [1000, 1]);
    const kept = a.w.entries().map((e) => e.ip);
    assert.deepEqual([kept[0], kept.at(-1)], ['10.1.7.208', '10.1.11.183'], 'i = 2000 is the oldest kept; the refreshed i = 2999 is the newest');
  });

  test('pending requests, storm trackers and dedup keys are dropped once no frame can use them', () => {
    const records: WatchRecord[] = [];
    const w = new ArpWatcher((r) => records.push(r));
    // 70,000 requests for distinct IPs and 70,000 distinct MACs replying, all within one second.
    for (let i = 0; i < 70_000; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      w.ingest({ time: T0 + i / 100, bytes: encodeArpFrame(req(ip)) });
      w.ingest({ time: T0 + i / 100, bytes: encodeArpFrame(rep(`172.16.${(i >> 8) & 255}.${i & 255}`, `02:01:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`)) });
    }
    const busy = w.sizes();
    assert.ok(busy.pending <= 65_536, `pending ${busy.pending}`);
    assert.ok(busy.replyMacs <= 65_536, `replyMacs ${busy.replyMacs}`);
    assert.ok(busy.raised <= 100_000, `raised ${busy.raised}`);
    // A minute of frame time later, one more frame: everything transient is gone.
    w.ingest({ time: T0 + 120_000, bytes: encodeArpFrame(req('10.0.0.9')) });
    const quiet = w.sizes();
    assert.deepEqual([quiet.pending, quiet.replyMacs, quiet.raised], [1, 0, 0]);
    assert.equal(w.summary().frames, 140_001);
  });
});

describe('watch: fuzz', () => {
  test('20,000 mutated and random frames: nothing thrown, every counter adds up', () => {
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const base = [
      encodeArpFrame(req('10.0.0.2')),
      encodeArpFrame(rep('10.0.0.2', '02:00:00:00:00:02')),
      encodeArpFrame(req('10.0.0.3', R, { vlans: [{ vid: 42 }] })),
      encodeArpFrame(req('10.0.0.3', R, { vlans: [{ vid: 1 }, { vid: 42 }] })),
    ];
    const records: WatchRecord[] = [];
    const w = new ArpWatcher((r) => records.push(r), { stormIps: 4 });
    for (let i = 0; i < 20_000; i++) {
      let b: Uint8Array;
      const mode = rnd();
      if (mode < 0.2) b = Uint8Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256));
      else {
        b = new Uint8Array(pick(base));
        const flips = 1 + Math.floor(rnd() * 4);
        for (let k = 0; k < flips; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
        if (rnd() < 0.3) b = b.subarray(0, Math.floor(rnd() * b.length));
        if (rnd() < 0.1 && b.length >= 14) {
          // Stack 1-4 extra tags in front of whatever follows.
          const tags = 1 + Math.floor(rnd() * 4);
          const out = new Uint8Array(b.length + tags * 4);
          out.set(b.subarray(0, 12));
          for (let k = 0; k < tags; k++) out.set([0x81, 0x00, 0, k + 1], 12 + k * 4);
          out.set(b.subarray(12), 12 + tags * 4);
          b = out;
        }
      }
      w.ingest({ time: T0 + i, bytes: b });
    }
    const s = w.summary();
    assert.equal(s.frames, 20_000);
    assert.equal(s.frames, s.arp + s.malformed + s.ignored);
    assert.equal(s.arp, s.requests + s.replies + s.otherOps);
    assert.equal(s.malformed, Object.values(s.malformedByCode).reduce((x, y) => x + y, 0));
    assert.equal(s.findings, Object.values(s.findingsByKind).reduce((x, y) => x + y, 0));
    assert.equal(s.findings, records.filter((r) => r.type === 'finding').length);
    assert.equal(s.malformed, records.filter((r) => r.type === 'malformed').length);
    assert.equal(s.arp, records.filter((r) => r.type === 'arp').length);
    assert.ok(s.malformed > 1000 && s.arp > 1000 && s.ignored > 1000, JSON.stringify(s.malformedByCode));
    for (const r of records) assert.equal(typeof formatWatchRecord(r), 'string');
    assert.doesNotThrow(() => JSON.stringify(records));
  });
});

describe('watch: text format', () => {
  test('tcpdump-like lines for each record type and the summary', () => {
    const a = run([
      [0, req('10.0.0.2')],
      [10, rep('10.0.0.2', '02:00:00:00:00:02')],
      [20, rep('10.0.0.9', '02:00:00:00:00:09', R, { ethSrc: '02:00:00:00:00:66' })],
      [30, Uint8Array.from([...encodeArpFrame(req('10.0.0.2')).subarray(0, 20)])],
    ]);
    const lines = a.records.filter((r) => !(r.type === 'finding' && r.kind === 'new-station')).map((r) => formatWatchRecord(r));
    assert.deepEqual(lines, [
      '12:00:00.000 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff ARP Request who-has 10.0.0.2 tell 10.0.0.1',
      '12:00:00.010 02:00:00:00:00:02 > 02:00:00:00:00:01 ARP Reply 10.0.0.2 is-at 02:00:00:00:00:02 (to 10.0.0.1, 10 ms after the request)',
      '12:00:00.020 02:00:00:00:00:66 > 02:00:00:00:00:01 ARP Reply 10.0.0.9 is-at 02:00:00:00:00:09 (eth src 02:00:00:00:00:66) [no request seen]',
      '12:00:00.020 !! WARNING eth-src-mismatch: ARP reply claiming 02:00:00:00:00:09 comes from Ethernet source 02:00:00:00:00:66',
      '12:00:00.020 !! info unsolicited: 02:00:00:00:00:09 says 10.0.0.9 is-at 02:00:00:00:00:09 to 10.0.0.1 (02:00:00:00:00:01) without a request seen',
      lines[5]!,
      lines[6]!,
    ]);
    assert.match(lines[5]!, /^12:00:00\.030 MALFORMED 20 bytes: .*"ethSrc":"02:00:00:00:00:01"/);
    assert.match(lines[6]!, /^12:00:00\.030 !! info malformed: /);
    const sum = formatWatchSummary(a.summary);
    assert.equal(sum[0], '--- 4 frames: 1 requests, 2 replies (1 paired with a request), 0 other ops, 0 gratuitous, 1 malformed, 0 not ARP; 3 stations, 3 MACs; 0.0 s ---');
    assert.equal(sum[1], 'findings: 6 (new-station 3, eth-src-mismatch 1, unsolicited 1, malformed 1)');
    assert.equal(sum[2], 'malformed by issue: TRUNCATED 1');
  });
});

describe('watch metrics', () => {
  test('per-IP and per-MAC series are capped and what is left out is counted; table gauges read the analyser', async () => {
    const m = new WatchMetrics({ maxSeries: 10 });
    const w = new ArpWatcher((r) => m.observe(r));
    m.track(w);
    for (let i = 0; i < 30; i++) w.ingest({ time: T0 + i, bytes: encodeArpFrame(rep(`10.0.1.${i}`, `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`)) });
    w.ingest({ time: T0 + 40, bytes: encodeArpFrame(rep('10.0.1.0', '02:00:00:00:09:99')) });
    const text = await m.text();
    assert.equal((text.match(/^arpinject_watch_ip_macs\{/gm) ?? []).length, 10);
    assert.equal((text.match(/^arpinject_watch_replies_total\{/gm) ?? []).length, 10);
    assert.match(text, /arpinject_watch_series_dropped_total\{metric="arpinject_watch_ip_macs"\} 20/);
    assert.match(text, /arpinject_watch_series_dropped_total\{metric="arpinject_watch_replies_total"\} 21/);
    assert.match(text, /arpinject_watch_ip_macs\{ip="10\.0\.1\.0"\} 2/);
    assert.match(text, /^arpinject_watch_table_ips 30$/m);
    assert.match(text, /^arpinject_watch_conflicted_ips 1$/m);
    assert.match(text, /arpinject_watch_frames_total\{op="reply"\} 31/);
  });

  test('serve: /metrics over HTTP on 127.0.0.1, 404 elsewhere, close() ends keep-alive connections', async () => {
    const m = new WatchMetrics();
    const server = await m.serve(0);
    const { port } = server.address() as { port: number };
    const ok = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(await ok.text(), /# TYPE arpinject_watch_frames_total counter/);
    const nf = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(nf.status, 404);
    await nf.text();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.equal(server.listening, false);
  });
});

describe('watch: raw fields of frames whose Ethernet header does not parse', () => {
  test('too many tags: addresses, every tag, the bytes; cut short: what is there', async () => {
    const { rawEthernet } = await import('../../src/watch/analyzer.js');
    const f = encodeArpFrame({ ...req('10.0.0.2'), vlans: [{ vid: 1 }, { vid: 2 }, { vid: 3 }] });
    const a = run([[0, f]]);
    const m = a.records.find((r) => r.type === 'malformed')!;
    assert.ok(m.type === 'malformed');
    assert.equal(m.issue.code, 'TOO_MANY_TAGS');
    assert.deepEqual({ ...m.raw, hex: undefined }, { ethDst: 'ff:ff:ff:ff:ff:ff', ethSrc: R.mac, vlans: [1, 2, 3], etherType: 0x0806, hex: undefined });
    assert.equal(m.raw.hex, Buffer.from(f).toString('hex'));
    assert.deepEqual(rawEthernet(Uint8Array.from([1, 2, 3])), { hex: '010203' });
    assert.deepEqual(rawEthernet(f.subarray(0, 13)), { ethDst: 'ff:ff:ff:ff:ff:ff', ethSrc: R.mac, hex: Buffer.from(f.subarray(0, 13)).toString('hex') });
    assert.deepEqual([rawEthernet(f.subarray(0, 15)).vlans, rawEthernet(f.subarray(0, 15)).etherType], [undefined, 0x8100], 'a tag cut short is not a tag');
    assert.equal(rawEthernet(new Uint8Array(200)).hex, '00'.repeat(64));
  });
});
