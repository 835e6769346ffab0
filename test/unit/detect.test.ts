import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Observations, detect } from '../../src/detect/findings.js';
import { U32Map } from '../../src/detect/u32map.js';
import type { ReplyRecord } from '../../src/records/records.js';
import { formatIpv4, parseIpv4 } from '../../src/wire/address.js';

const rep = (tip: string, mac: string, o: Partial<ReplyRecord> = {}): ReplyRecord => ({
  type: 'reply', iface: 'x', ip: tip, mac, ethSrc: mac, ethDst: 'x', vlan: null, rttMs: 1, seq: 1, requestId: 1, tha: 'x', tpa: 'x', time: 'x',
  late: false, duplicate: false, ethSrcMismatch: false, flags: [], ...o,
});

describe('U32Map', () => {
  test('agrees with a Map through growth, for keys across the whole uint32 range', () => {
    const m = new U32Map(4);
    const ref = new Map<number, number>();
    let x = 12345;
    for (let k = 0; k < 20_000; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const key = k % 3 === 0 ? x : (0x0a000000 + k) >>> 0; // random, and a dense block as in a sweep
      m.set(key, k);
      ref.set(key, k);
    }
    for (const key of [0, 0xffffffff, 0x80000000]) {
      m.set(key, 7);
      ref.set(key, 7);
    }
    assert.equal(m.size, ref.size);
    for (const [key, v] of ref) assert.equal(m.get(key), v);
    assert.equal(m.get(0x0b000000), -1);
    assert.equal(m.has(0x0b000000), false);
    let seen = 0;
    m.forEach((key, v) => {
      assert.equal(ref.get(key), v);
      seen++;
    });
    assert.equal(seen, ref.size);
  });
});

describe('Observations', () => {
  const P = '02:00:00:00:00:aa';
  test('addIp (numbers, as the sweep feeds it) reaches the same verdict as add (records)', () => {
    const replies = [rep('198.51.100.234', P)];
    for (let i = 1; i <= 40; i++) replies.push(rep(`10.0.0.${i}`, P));
    replies.push(rep('10.0.0.5', '02:00:00:00:00:05'), rep('10.0.0.5', '02:00:00:00:00:05', { duplicate: true }));
    replies.push(rep('10.0.0.9', '02:00:00:00:00:09', { ethSrc: '02:00:00:00:00:99', ethSrcMismatch: true }));
    const a = new Observations(['198.51.100.234']);
    const b = new Observations(['198.51.100.234']);
    for (const r of replies) {
      a.add(r);
      b.addIp(parseIpv4(r.ip)!, r);
    }
    assert.deepEqual(a.findings({}), b.findings({}));
    assert.equal(a.responders, 3);
    const kinds = a.findings({}).map((f) => [f.kind, f.severity, f.ips.length]);
    assert.deepEqual(kinds, [
      ['hijack', 'critical', 40],
      ['ip-conflict', 'critical', 1],
      ['ip-conflict', 'critical', 1],
      ['eth-src-mismatch', 'warning', 1],
    ]);
  });

  test('a /16 claimed by one MAC: counts, a sorted sample of 50, and the canary', () => {
    const obs = new Observations(['192.0.2.234']);
    const base = parseIpv4('10.99.0.0')!;
    // Reverse order: the sample is sorted by address, not by arrival.
    for (let k = 65535; k >= 0; k--) obs.addIp(base + k, { mac: P, ethSrc: P, ethSrcMismatch: false });
    obs.addIp(parseIpv4('192.0.2.234')!, { mac: P, ethSrc: P, ethSrcMismatch: false });
    const f = obs.findings({ maxIpsPerMac: 1000 });
    assert.deepEqual(f.map((x) => x.kind), ['hijack'], 'a canary answered and more on-link IPs than the threshold: one hijack finding');
    assert.equal(f[0]!.evidence.onLinkClaimed, 65536);
    assert.deepEqual(f[0]!.evidence.canaries, ['192.0.2.234']);
    assert.deepEqual(f[0]!.ips, Array.from({ length: 50 }, (_, k) => formatIpv4(base + k)));
    assert.match(f[0]!.message, /answers for off-link 192\.0\.2\.234 and claims 65536 on-link IPs \(threshold 1000\)/);
  });

  test('three MACs on one IP are one conflict listing all three, in order of arrival', () => {
    const f = detect({ replies: [rep('10.0.0.5', 'aa:00:00:00:00:01'), rep('10.0.0.5', 'aa:00:00:00:00:02'), rep('10.0.0.5', 'aa:00:00:00:00:01'), rep('10.0.0.5', 'aa:00:00:00:00:03')] });
    assert.equal(f.length, 1);
    assert.deepEqual(f[0]!.evidence.macs, ['aa:00:00:00:00:01', 'aa:00:00:00:00:02', 'aa:00:00:00:00:03']);
  });

  test('baseline: a canary is never a new host; swept() limits missing hosts to what was asked', () => {
    const baseline = new Map([
      ['10.0.0.5', 'aa:00:00:00:00:05'],
      ['10.0.9.9', 'aa:00:00:00:09:09'],
    ]);
    const f = detect({ replies: [rep('192.0.2.234', P), rep('10.0.0.5', 'aa:00:00:00:00:05')], canaries: ['192.0.2.234'], baseline, swept: (ip) => ip.startsWith('10.0.0.') });
    assert.deepEqual(f.map((x) => x.kind), ['proxy-arp-router'], 'a canary only: a router with proxy_arp, a warning');
  });

  test('a proxy-ARP router (off-link only) is a warning; the same MAC taking on-link IPs is a hijack', () => {
    const localNets = [{ base: parseIpv4('10.0.0.0')!, len: 24 }];
    const gw = 'aa:00:00:00:00:01';
    // A Cisco-style gateway: answers the canaries and an off-link target, plus its own address.
    const router = detect({ replies: [rep('192.0.2.234', gw), rep('8.8.8.8', gw), rep('10.0.0.1', gw)], canaries: ['192.0.2.234'], localNets });
    assert.deepEqual(router.map((x) => [x.kind, x.severity]), [['proxy-arp-router', 'warning']]);
    assert.deepEqual(router[0]!.evidence.offLink, ['8.8.8.8', '192.0.2.234']);
    // The same MAC also answering an on-link IP that its owner answers: taking it.
    const taken = detect({ replies: [rep('8.8.8.8', gw), rep('10.0.0.1', gw), rep('10.0.0.7', 'aa:00:00:00:00:07'), rep('10.0.0.7', gw)], localNets });
    assert.deepEqual(taken.map((x) => [x.kind, x.severity]), [['hijack', 'critical'], ['ip-conflict', 'critical']]);
    // Off-link answers + more on-link claims than the threshold that no baseline gives it.
    const many = Array.from({ length: 40 }, (_, i) => rep(`10.0.0.${i + 10}`, gw));
    assert.deepEqual(detect({ replies: [rep('8.8.8.8', gw), ...many], localNets }).map((x) => x.kind), ['hijack']);
    const baseline = new Map(many.map((r) => [r.ip, gw]));
    assert.deepEqual(detect({ replies: [rep('8.8.8.8', gw), ...many], localNets, baseline }).map((x) => x.kind), ['proxy-arp-router', 'new-host'], 'the baseline gives it those 40 (8.8.8.8 is not in it)');
  });

  test('a host that owns 40 addresses, all in the baseline: no finding (baseline IPs never count toward many-ips)', () => {
    const mac = 'aa:00:00:00:00:40';
    const replies = Array.from({ length: 40 }, (_, i) => rep(`10.0.2.${i + 1}`, mac));
    assert.deepEqual(detect({ replies }).map((x) => x.kind), ['many-ips'], 'without a baseline: many-ips');
    assert.deepEqual(detect({ replies, baseline: new Map(replies.map((r) => [r.ip, mac])) }), []);
  });
});
