import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ARP,
  decodeArpFrame,
  encodeArpFrame,
  formatIpv4,
  formatMac,
  inPrefix,
  normalizeMac,
  parseArp,
  parseEthernet,
  parseIpv4,
  parseMac,
  arpOffsetOf,
  frameVlan,
  scanArpFrame,
  vlanOf,
} from '../../src/wire/index.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)));

// Pattern vector (smoltcp style): eth dst ff.., src 11.., ARP request sha 11.., spa 0a000001 (10.0.0.1),
// tha 00.., tpa 0a000002 (10.0.0.2), then 18 bytes of padding to 60.
const REQUEST_60 = hex(`
  ffffffffffff 111111111111 0806
  0001 0800 06 04 0001
  111111111111 0a000001
  000000000000 0a000002
  000000000000000000000000000000000000`);

// The reply from the GRNET write-up (seed 000): "32:6b:33:03:b2:c2 > de:ad:be:ef:de:ad, ARP Reply
// 8.8.8.8 is-at 32:6b:33:03:b2:c2", 42 bytes as the sender's capture shows it (unpadded).
const SEED_REPLY_42 = hex(`
  deadbeefdead 326b3303b2c2 0806
  0001 0800 06 04 0002
  326b3303b2c2 08080808
  deadbeefdead 0a000001`);

// Same reply, 802.1Q tag vid 90 pcp 5 dei 1 (0xb05a).
const SEED_REPLY_TAGGED = hex(`
  deadbeefdead 326b3303b2c2 8100 b05a 0806
  0001 0800 06 04 0002
  326b3303b2c2 08080808
  deadbeefdead 0a000001`);

describe('addresses', () => {
  test('MAC forms', () => {
    assert.equal(normalizeMac('AA-BB-CC-DD-EE-FF'), 'aa:bb:cc:dd:ee:ff');
    assert.equal(normalizeMac('a:b:c:d:e:f'), '0a:0b:0c:0d:0e:0f');
    assert.equal(normalizeMac('aabbccddeeff'), 'aa:bb:cc:dd:ee:ff');
    for (const bad of ['', 'aa:bb:cc:dd:ee', 'aa:bb:cc:dd:ee:ff:00', 'gg:bb:cc:dd:ee:ff', 'aabbccddeef', 'aa:bb:cc:dd:ee:fff'])
      assert.equal(parseMac(bad), undefined, bad);
    assert.equal(formatMac(hex('00deadbeef01'), 0), '00:de:ad:be:ef:01');
  });
  test('IPv4 strict parse', () => {
    assert.equal(parseIpv4('10.0.0.2'), 0x0a000002);
    assert.equal(formatIpv4(0xcb007101), '203.0.113.1');
    for (const bad of ['10.0.0', '10.0.0.256', '010.0.0.1', '1.2.3.4.5', '', 'a.b.c.d', '10.0.0.1/24', ' 10.0.0.'])
      assert.equal(parseIpv4(bad), undefined, bad);
    assert.ok(inPrefix(0x0a000006, 0x0a000000, 29));
    assert.ok(!inPrefix(0x0a000008, 0x0a000000, 29));
    assert.ok(inPrefix(0x08080808, 0, 0));
  });
});

describe('ethernet + 802.1Q', () => {
  test('untagged header', () => {
    const r = parseEthernet(REQUEST_60);
    assert.ok(r.ok);
    assert.deepEqual(r.value, { dst: 'ff:ff:ff:ff:ff:ff', src: '11:11:11:11:11:11', vlans: [], etherType: 0x0806, payloadOffset: 14 });
  });
  test('tag fields: pcp, dei, vid', () => {
    const r = parseEthernet(SEED_REPLY_TAGGED);
    assert.ok(r.ok);
    assert.deepEqual(r.value.vlans, [{ tpid: 0x8100, pcp: 5, dei: 1, vid: 90 }]);
    assert.equal(r.value.payloadOffset, 18);
  });
  test('three stacked tags are refused, two are decoded', () => {
    const two = encodeArpFrame({ senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2', vlans: [{ vid: 100, tpid: 0x88a8 }, { vid: 42 }] });
    const d = decodeArpFrame(two);
    assert.ok(d.ok);
    assert.deepEqual(d.value.eth.vlans.map((v) => [v.tpid, v.vid]), [[0x88a8, 100], [0x8100, 42]]);
    const three = encodeArpFrame({ senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2', vlans: [{ vid: 1 }, { vid: 2 }, { vid: 3 }] });
    const r = decodeArpFrame(three);
    assert.ok(!r.ok);
    assert.equal(r.issue.code, 'TOO_MANY_TAGS');
  });
});

describe('ARP parse', () => {
  test('deconstruct the pattern request', () => {
    const d = decodeArpFrame(REQUEST_60);
    assert.ok(d.ok);
    assert.deepEqual(d.value.arp, { op: 1, htype: 1, senderMac: '11:11:11:11:11:11', senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' });
    assert.equal(d.value.trailerLen, 18);
  });
  test('the seed reply, plain and tagged', () => {
    for (const bytes of [SEED_REPLY_42, SEED_REPLY_TAGGED]) {
      const d = decodeArpFrame(bytes);
      assert.ok(d.ok);
      assert.equal(d.value.arp.op, 2);
      assert.equal(d.value.arp.senderIp, '8.8.8.8');
      assert.equal(d.value.arp.senderMac, '32:6b:33:03:b2:c2');
      assert.equal(d.value.arp.targetMac, 'de:ad:be:ef:de:ad');
      assert.equal(d.value.arp.targetIp, '10.0.0.1');
      assert.equal(d.value.eth.src, '32:6b:33:03:b2:c2');
      assert.equal(d.value.trailerLen, 0);
    }
  });
  test('every truncation length is TRUNCATED, never a throw', () => {
    for (const full of [SEED_REPLY_42, SEED_REPLY_TAGGED]) {
      for (let n = 0; n < full.length; n++) {
        const d = decodeArpFrame(full.subarray(0, n));
        assert.ok(!d.ok, `length ${n}`);
        assert.equal(d.issue.code, 'TRUNCATED', `length ${n}: ${d.issue.message}`);
        assert.ok(d.issue.needed! > n);
      }
    }
  });
  test('hlen/plen/htype/ptype lies are UNSUPPORTED_FORMAT with the raw header kept', () => {
    const cases: Array<[number, number, string]> = [
      [18, 0x07, 'hlen'], // hlen 7
      [19, 0x10, 'plen'], // plen 16
      [15, 0x20, 'htype'], // htype 0x0020
      [16, 0x86, 'ptype'], // ptype 0x86dd-ish
    ];
    for (const [index, value, what] of cases) {
      const b = new Uint8Array(SEED_REPLY_42);
      b[index] = value;
      const d = decodeArpFrame(b);
      assert.ok(!d.ok, what);
      assert.equal(d.issue.code, 'UNSUPPORTED_FORMAT', what);
      assert.ok(d.arpHeader, what);
    }
    // IEEE 802 hardware type (6) is what the kernel also accepts: decoded.
    const b = new Uint8Array(SEED_REPLY_42);
    b[15] = 6;
    const d = decodeArpFrame(b);
    assert.ok(d.ok);
    assert.equal(d.value.arp.htype, 6);
  });
  test('non-ARP ethertype is NOT_ARP', () => {
    const b = new Uint8Array(REQUEST_60);
    b[12] = 0x08;
    b[13] = 0x00;
    const d = decodeArpFrame(b);
    assert.ok(!d.ok);
    assert.equal(d.issue.code, 'NOT_ARP');
  });
  test('random bytes never throw', () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let i = 0; i < 5000; i++) {
      const len = rnd() % 80;
      const b = Uint8Array.from({ length: len }, rnd);
      if (i % 3 === 0 && len > 14) {
        b[12] = 0x08;
        b[13] = 0x06;
      }
      const d = decodeArpFrame(b);
      assert.equal(typeof d.ok, 'boolean');
    }
  });
  test('parseArp at an offset past the end', () => {
    const r = parseArp(new Uint8Array(4), 10);
    assert.ok(!r.ok);
    assert.equal(r.issue.code, 'TRUNCATED');
  });
});

describe('emit', () => {
  test('construct the pattern request byte for byte (padded to 60)', () => {
    const b = encodeArpFrame({ senderMac: '11:11:11:11:11:11', senderIp: '10.0.0.1', targetIp: '10.0.0.2' });
    assert.deepEqual(b, REQUEST_60);
  });
  test('construct the seed reply tagged, unpadded', () => {
    const b = encodeArpFrame({
      op: 2,
      senderMac: '32:6b:33:03:b2:c2',
      senderIp: '8.8.8.8',
      targetMac: 'de:ad:be:ef:de:ad',
      targetIp: '10.0.0.1',
      ethDst: 'de:ad:be:ef:de:ad',
      vlans: [{ vid: 90, pcp: 5, dei: 1 }],
      pad: false,
    });
    assert.deepEqual(b, SEED_REPLY_TAGGED);
  });
  test('tagged frames are padded to 60 too', () => {
    assert.equal(encodeArpFrame({ senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2', vlans: [{ vid: 42 }] }).length, 60);
  });
  test('field overrides: eth src != sha, eth dst, op, tha, header lies', () => {
    const b = encodeArpFrame({
      op: 0x1234,
      senderMac: '02:00:00:00:00:01',
      senderIp: '0.0.0.0',
      targetIp: '10.0.0.2',
      targetMac: 'ff:ff:ff:ff:ff:ff',
      ethSrc: '02:00:00:00:00:99',
      ethDst: '02:00:00:00:00:02',
      hlen: 7,
    });
    const e = parseEthernet(b);
    assert.ok(e.ok);
    assert.equal(e.value.src, '02:00:00:00:00:99');
    assert.equal(e.value.dst, '02:00:00:00:00:02');
    assert.equal(b[14 + ARP.hlen], 7);
    b[14 + ARP.hlen] = 6;
    const d = decodeArpFrame(b);
    assert.ok(d.ok);
    assert.equal(d.value.arp.op, 0x1234);
    assert.equal(d.value.arp.targetMac, 'ff:ff:ff:ff:ff:ff');
    assert.equal(d.value.arp.senderIp, '0.0.0.0');
  });
  test('round trip parse(emit(x)) for many field combinations', () => {
    for (let i = 0; i < 300; i++) {
      const spec = {
        op: (i % 3) + 1,
        senderMac: formatMac(Uint8Array.of(2, i & 255, 3, 4, 5, (i * 7) & 255)),
        senderIp: formatIpv4((0x0a000000 + i * 977) >>> 0),
        targetMac: formatMac(Uint8Array.of(0, 1, 2, 3, 4, i & 255)),
        targetIp: formatIpv4((0xc0000200 + i) >>> 0),
        vlans: i % 2 ? [{ vid: i % 4095, pcp: i % 8 }] : [],
      };
      const d = decodeArpFrame(encodeArpFrame(spec));
      assert.ok(d.ok);
      assert.equal(d.value.arp.op, spec.op);
      assert.equal(d.value.arp.senderMac, spec.senderMac);
      assert.equal(d.value.arp.senderIp, spec.senderIp);
      assert.equal(d.value.arp.targetMac, spec.targetMac);
      assert.equal(d.value.arp.targetIp, spec.targetIp);
      assert.deepEqual(d.value.eth.vlans.map((v) => [v.vid, v.pcp]), spec.vlans.map((v) => [v.vid, v.pcp]));
    }
  });
  test('programmer errors throw TypeError (not wire data)', () => {
    assert.throws(() => encodeArpFrame({ senderMac: 'nope', senderIp: '10.0.0.1', targetIp: '10.0.0.2' }), TypeError);
    assert.throws(() => encodeArpFrame({ senderMac: '02:00:00:00:00:01', senderIp: '10.0.0', targetIp: '10.0.0.2' }), TypeError);
  });
});

describe('scanArpFrame (the hot path verdict)', () => {
  test('agrees with decodeArpFrame on every mutation of tagged and untagged frames', () => {
    const bases = [
      encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.2', targetIp: '10.0.0.1', targetMac: '02:00:00:00:00:02' }),
      encodeArpFrame({ op: 1, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.2', targetIp: '10.0.0.1', vlans: [{ vid: 7 }] }),
      encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.2', targetIp: '10.0.0.1', vlans: [{ vid: 100 }, { vid: 4094 }], pad: false }),
      encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.2', targetIp: '10.0.0.1', htype: 6 }),
    ];
    // Deterministic pseudo-random mutations: cut lengths, and bytes in the header fields changed to
    // values that matter (tag types, ARP type, htype/ptype/hlen/plen) or anything.
    let seed = 12345;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const interesting = [0x00, 0x01, 0x04, 0x06, 0x08, 0x81, 0x88, 0xa8, 0x06, 0xff];
    let checked = 0;
    for (const base of bases) {
      for (let cut = 0; cut <= base.length; cut++) {
        const b = base.slice(0, cut);
        const s = scanArpFrame(b);
        const d = decodeArpFrame(b);
        assert.equal(s >= 0, d.ok, `cut ${cut}`);
        checked++;
      }
      for (let k = 0; k < 3000; k++) {
        const b = base.slice();
        for (let m = 0, n = 1 + rnd(3); m < n; m++) b[12 + rnd(Math.min(24, b.length - 12))] = rnd(2) ? interesting[rnd(interesting.length)]! : rnd(256);
        const s = scanArpFrame(b);
        const d = decodeArpFrame(b);
        assert.equal(s >= 0, d.ok, `mutation ${k} of ${Buffer.from(b).toString('hex')}`);
        if (d.ok) {
          assert.equal(arpOffsetOf(s), d.value.eth.payloadOffset);
          assert.equal(vlanOf(s), frameVlan(d.value.eth));
        }
        checked++;
      }
    }
    assert.ok(checked > 12_000);
  });
});
