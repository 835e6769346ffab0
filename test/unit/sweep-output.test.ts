import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatResponders, formatSweepSummary } from '../../src/cli/commands/sweep.js';
import { ReplyNdjson } from '../../src/sweep/ndjson.js';
import { replyRecord } from '../../src/records/records.js';
import { type ReplyView, replyViewRecord } from '../../src/sweep/engine.js';
import { decodeArpFrame, encodeArpFrame, frameVlan, parseIpv4 } from '../../src/wire/index.js';

const frame = (o: { vlan?: number; ethSrc?: string } = {}) => {
  const d = decodeArpFrame(
    encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:bb', senderIp: '10.0.0.7', targetMac: '02:00:00:00:00:aa', targetIp: '10.0.0.1', ethDst: '02:00:00:00:00:aa', ...(o.ethSrc ? { ethSrc: o.ethSrc } : {}), ...(o.vlan !== undefined ? { vlans: [{ vid: o.vlan }] } : {}) }),
  );
  assert.ok(d.ok);
  return d.value;
};

describe('sweep output', () => {
  const collect = () => {
    const chunks: Uint8Array[] = [];
    const w = new ReplyNdjson((c) => chunks.push(c));
    return { w, text: () => (w.flush(), Buffer.concat(chunks).toString('utf8')), chunks };
  };
  const rec = (iface: string, o: { vlan?: number; ethSrc?: string } = {}, t = 1_700_000_000_123.456, state = { late: false, duplicate: false, multipleMacs: false }) =>
    replyRecord(iface, frame(o), t, { tip: '10.0.0.7', sentAt: 1_700_000_000_000, seq: 1, id: 1 }, state);

  test('replies encoded in place are byte for byte JSON.stringify, one per line, in order with other records', () => {
    const { w, text } = collect();
    const cases = [
      rec('bond0'),
      { ...rec('bond0', { vlan: 42, ethSrc: '02:00:00:00:66:66' }, 1_700_000_001_000, { late: true, duplicate: true, multipleMacs: true }), seq: 3, requestId: 99, flags: ['eth-src-mismatch', 'late', 'canary'] },
      rec('bond0', {}, 1_700_000_000_000),
    ];
    const expected: string[] = [];
    for (const r of cases) {
      w.reply(r);
      expected.push(JSON.stringify(r));
    }
    w.text('{"type":"unsolicited","ip":"10.0.0.9"}');
    expected.push('{"type":"unsolicited","ip":"10.0.0.9"}');
    assert.equal(text(), expected.join('\n') + '\n');
    assert.equal(w.inPlace, true, 'the fast path was taken');
  });

  test('escaping and foreign shapes take the JSON.stringify path', () => {
    const { w, text } = collect();
    const odd = rec('eth"0\\');
    const weird = { ...rec('bond0'), time: 'caf\u00e9 "x"' };
    w.reply(odd);
    w.reply(weird);
    assert.equal(text(), `${JSON.stringify(odd)}\n${JSON.stringify(weird)}\n`);
    const other = collect();
    const extra = { ...rec('bond0'), extra: 1 };
    other.w.reply(extra);
    other.w.reply(extra);
    assert.equal(other.text(), `${JSON.stringify(extra)}\n`.repeat(2));
    assert.equal(other.w.inPlace, false);
  });

  test('chunks are owned and bounded: 2,000 replies come out whole, across several chunks', () => {
    const { w, text, chunks } = collect();
    const r = rec('bond0');
    for (let k = 0; k < 2000; k++) w.reply({ ...r, requestId: k });
    const lines = text().trimEnd().split('\n');
    assert.equal(lines.length, 2000);
    assert.deepEqual(JSON.parse(lines[1999]!), { ...r, requestId: 1999 });
    assert.ok(chunks.length > 1 && chunks.every((c) => c.length <= 64 * 1024));
  });

  test('responders table: one row per IP and MAC, sorted by address, flags merged', () => {
    const a = replyRecord('bond0', frame(), 1_700_000_000_002, { tip: '10.0.0.7', sentAt: 1_700_000_000_000, seq: 1, id: 1 }, { late: false, duplicate: false, multipleMacs: false });
    const b = { ...a, ip: '10.0.0.10', rttMs: 5 };
    const c = { ...a, flags: ['late', 'duplicate'] };
    const lines = formatResponders([b, a, c]);
    assert.match(lines[0]!, /^IP +MAC +RTT ms +vendor +flags$/);
    assert.match(lines[1]!, /^10\.0\.0\.7 +02:00:00:00:00:bb +2\.0 +\(locally administered\) +late, duplicate$/);
    assert.match(lines[2]!, /^10\.0\.0\.10 +02:00:00:00:00:bb +5\.0/);
    assert.equal(lines.length, 3);
  });

  test('summary line', () => {
    const base = {
      type: 'summary' as const, iface: 'bond0', targets: 254, canaries: 3, sent: 300, replies: 257, answered: 254, unanswered: 0, canariesAnswered: 3, unsolicited: 2, malformed: 0,
      responders: 1, findings: 2, worst: 'critical' as const, durationMs: 5300, ratePps: 500, interrupted: true, deadlineReached: false, dropped: 0,
    };
    const s = formatSweepSummary(base);
    assert.equal(s, '--- bond0: 254 targets (+3 canaries), 300 sent at 500 pps, 257 replies, 254 answered, 0 unanswered, 1 responder MAC(s), 2 finding(s), 2 unsolicited, 5.3 s, 0 lost by the capture, INTERRUPTED ---');
    assert.match(formatSweepSummary({ ...base, dropped: 7 }), /, 7 frames LOST by the capture \(replies may be missing\), INTERRUPTED/);
  });
});

describe('sweep output from the engine view (no record per reply)', () => {
  const collect = () => {
    const chunks: Uint8Array[] = [];
    const w = new ReplyNdjson((c) => chunks.push(c));
    return { w, text: () => (w.flush(), Buffer.concat(chunks).toString('utf8')) };
  };
  // The engine's view of one reply: what the engine sets (rttMs as it computes it), record() as it builds it.
  const view = (o: { bytes: Uint8Array; iface?: string; time: number; sentAt: number; wireAt: number; seq: number; requestId: number; late: boolean; duplicate: boolean; multipleMacs: boolean; canary: boolean }): ReplyView => {
    const d = decodeArpFrame(o.bytes);
    assert.ok(d.ok);
    const p = d.value.eth.payloadOffset;
    const v: ReplyView = {
      iface: o.iface ?? 'bond0',
      bytes: o.bytes,
      arpOffset: p,
      ip: parseIpv4(d.value.arp.senderIp)!,
      macId: 0,
      mac: d.value.arp.senderMac,
      ethSrcMismatch: d.value.eth.src !== d.value.arp.senderMac,
      vlan: frameVlan(d.value.eth),
      time: o.time,
      sentAt: o.sentAt,
      wireAt: o.wireAt,
      rttMs: Math.round((o.time - (Number.isNaN(o.wireAt) ? o.sentAt : o.wireAt)) * 1000) / 1000,
      seq: o.seq,
      requestId: o.requestId,
      late: o.late,
      duplicate: o.duplicate,
      multipleMacs: o.multipleMacs,
      canary: o.canary,
      record: () => replyViewRecord(v),
    };
    return v;
  };

  test('byte for byte JSON.stringify of the record, over random frames, times, RTTs and flags', () => {
    let seed = 99;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const anyMac = () => Array.from({ length: 6 }, () => rnd(256).toString(16).padStart(2, '0')).join(':');
    const pool = [anyMac(), anyMac(), anyMac()];
    const mac = () => (rnd(2) === 0 ? pool[rnd(3)]! : anyMac()); // repeats too: the encoder keeps the parts of a line that repeat
    const ip = () => Array.from({ length: 4 }, () => rnd(256)).join('.');
    const { w, text } = collect();
    const expected: string[] = [];
    for (let k = 0; k < 3000; k++) {
      const sha = mac();
      const vl = rnd(4);
      const bytes = encodeArpFrame({
        op: 2,
        senderMac: sha,
        senderIp: ip(),
        targetMac: mac(),
        targetIp: ip(),
        ethDst: mac(),
        ...(rnd(3) === 0 ? { ethSrc: mac() } : {}),
        ...(vl === 1 ? { vlans: [{ vid: rnd(4095) }] } : vl === 2 ? { vlans: [{ vid: rnd(4095) }, { vid: rnd(4095) }] } : {}),
        ...(rnd(5) === 0 ? { htype: 6 } : {}),
      });
      const time = [1_700_000_000_000 + rnd(10_000_000) + rnd(1_000_000) / 1e6, 1_700_000_000_000, 0.5, 253_402_300_799_999.5, 253_402_300_800_000, 8.64e15][k < 2900 ? 0 : rnd(6)]!;
      const sentAt = time - [rnd(2000) / 7, rnd(10) / 1000, 0, -rnd(1000) / 3, 1e13, 0.0004, 0.0005, 1.0005][rnd(8)]!;
      const v = view({ bytes, time, sentAt, wireAt: rnd(3) === 0 ? NaN : sentAt + rnd(1000) / 1e4, seq: 1 + rnd(21), requestId: [1, 9, 10, 99, 100, 4_294_967_295][rnd(6)]! + rnd(10), late: rnd(2) === 0, duplicate: rnd(2) === 0, multipleMacs: rnd(2) === 0, canary: rnd(4) === 0 });
      w.view(v);
      expected.push(JSON.stringify(v.record()));
    }
    const odd = view({ bytes: encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.2', targetIp: '10.0.0.1' }), iface: 'eth"0', time: 1_700_000_000_000, sentAt: 1_699_999_999_999, wireAt: NaN, seq: 1, requestId: 1, late: false, duplicate: false, multipleMacs: false, canary: false });
    w.view(odd);
    expected.push(JSON.stringify(odd.record()));
    assert.equal(text(), expected.join('\n') + '\n');
    assert.equal(w.viewInPlace, true, 'the views were encoded in place');
  });

  test('the repeated parts of a line (MACs, VLAN, THA/TPA, flags) follow every change, one field at a time', () => {
    const { w, text } = collect();
    const expected: string[] = [];
    const ids = new Map<string, number>();
    const base = { op: 2, senderMac: '52:54:00:00:00:01', senderIp: '10.0.0.2', targetMac: '02:00:00:00:00:aa', targetIp: '10.0.0.1', ethDst: '02:00:00:00:00:aa' } as const;
    const variants = [
      base,
      { ...base, senderMac: '00:50:56:00:00:02' },
      { ...base, ethSrc: '02:00:00:00:00:03' },
      { ...base, ethDst: 'ff:ff:ff:ff:ff:ff' },
      { ...base, vlans: [{ vid: 7 }] },
      { ...base, vlans: [{ vid: 8 }] },
      { ...base, targetMac: '02:00:00:00:00:bb' },
      { ...base, targetIp: '10.0.0.9' },
    ];
    let k = 0;
    for (const a of variants)
      for (const b of variants)
        for (const x of [a, b, a, a, b]) {
          const v = view({ bytes: encodeArpFrame(x), time: 1_700_000_000_000 + k, sentAt: 1_699_999_999_999 + k, wireAt: NaN, seq: 1, requestId: ++k, late: k % 3 === 0, duplicate: k % 5 === 0, multipleMacs: false, canary: k % 7 === 0 });
          v.macId = ids.get(v.mac) ?? ids.set(v.mac, ids.size).get(v.mac)!;
          w.view(v);
          expected.push(JSON.stringify(v.record()));
        }
    assert.equal(text(), expected.join('\n') + '\n');
    assert.equal(w.viewInPlace, true);
  });

  test('the first reply and view checked at the end of a nearly full chunk come out once, whole', () => {
    const { w, text } = collect();
    const line = `{"type":"unsolicited","pad":"${'x'.repeat(40)}"}`;
    const expected: string[] = [];
    for (let k = 0; k < Math.floor((64 * 1024 - 1000) / (line.length + 1)); k++) {
      w.text(line);
      expected.push(line);
    }
    const v = view({ bytes: encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.2', targetIp: '10.0.0.1' }), time: 1_700_000_000_000.5, sentAt: 1_699_999_999_999, wireAt: NaN, seq: 1, requestId: 1, late: false, duplicate: false, multipleMacs: false, canary: false });
    w.reply(v.record());
    expected.push(JSON.stringify(v.record()));
    assert.equal(text(), expected.join('\n') + '\n');
    // And a view first, at the same place.
    const again = collect();
    for (let k = 0; k < expected.length - 1; k++) again.w.text(line);
    again.w.view(v);
    assert.equal(again.text(), expected.join('\n') + '\n');
    assert.equal(w.inPlace && again.w.viewInPlace, true);
  });
});
