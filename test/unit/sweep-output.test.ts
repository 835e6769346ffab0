import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatResponders, formatSweepSummary } from '../../src/cli/commands/sweep.js';
import { ReplyNdjson } from '../../src/sweep/ndjson.js';
import { replyRecord } from '../../src/records/records.js';
import { decodeArpFrame, encodeArpFrame } from '../../src/wire/index.js';

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
