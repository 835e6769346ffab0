import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatResponders, formatSweepSummary, replyJsonWriter } from '../../src/cli/commands/sweep.js';
import { replyRecord } from '../../src/probe/records.js';
import { decodeArpFrame, encodeArpFrame } from '../../src/wire/index.js';

const frame = (o: { vlan?: number; ethSrc?: string } = {}) => {
  const d = decodeArpFrame(
    encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:bb', senderIp: '10.0.0.7', targetMac: '02:00:00:00:00:aa', targetIp: '10.0.0.1', ethDst: '02:00:00:00:00:aa', ...(o.ethSrc ? { ethSrc: o.ethSrc } : {}), ...(o.vlan !== undefined ? { vlans: [{ vid: o.vlan }] } : {}) }),
  );
  assert.ok(d.ok);
  return d.value;
};

describe('sweep output', () => {
  test('the written-out reply JSON is byte for byte JSON.stringify', () => {
    const w = replyJsonWriter();
    const cases = [
      replyRecord('bond0', frame(), 1_700_000_000_123.456, { tip: '10.0.0.7', sentAt: 1_700_000_000_000, seq: 1, id: 1 }, { late: false, duplicate: false, multipleMacs: false }),
      replyRecord('eth"0\\', frame({ vlan: 42, ethSrc: '02:00:00:00:66:66' }), 1_700_000_001_000, { tip: '10.0.0.7', sentAt: 1_700_000_000_000.5, seq: 3, id: 99 }, { late: true, duplicate: true, multipleMacs: true, extraFlags: ['canary'] }),
      replyRecord('bond0', frame(), 1_700_000_000_000, { tip: '10.0.0.7', sentAt: 1_700_000_000_000, seq: 2, id: 7 }, { late: false, duplicate: false, multipleMacs: false }),
    ];
    for (const r of cases) assert.equal(w(r), JSON.stringify(r));
  });

  test('a record of another shape falls back to JSON.stringify', () => {
    const w = replyJsonWriter();
    const r = { ...replyRecord('bond0', frame(), 1, { tip: '10.0.0.7', sentAt: 0, seq: 1, id: 1 }, { late: false, duplicate: false, multipleMacs: false }), extra: 'x"y' };
    assert.equal(w(r), JSON.stringify(r));
    assert.equal(w(r), JSON.stringify(r));
  });

  test('responders table: one row per IP and MAC, sorted by address, flags merged', () => {
    const a = replyRecord('bond0', frame(), 1_700_000_000_002, { tip: '10.0.0.7', sentAt: 1_700_000_000_000, seq: 1, id: 1 }, { late: false, duplicate: false, multipleMacs: false });
    const b = { ...a, tip: '10.0.0.10', rttMs: 5 };
    const c = { ...a, flags: ['late', 'duplicate'] };
    const lines = formatResponders([b, a, c]);
    assert.match(lines[0]!, /^IP +MAC +RTT ms +vendor +flags$/);
    assert.match(lines[1]!, /^10\.0\.0\.7 +02:00:00:00:00:bb +2\.0 +\(locally administered\) +late, duplicate$/);
    assert.match(lines[2]!, /^10\.0\.0\.10 +02:00:00:00:00:bb +5\.0/);
    assert.equal(lines.length, 3);
  });

  test('summary line', () => {
    const s = formatSweepSummary({
      type: 'summary', iface: 'bond0', targets: 254, canaries: 3, sent: 300, replies: 257, answered: 254, unanswered: 0, canariesAnswered: 3, unsolicited: 2, malformed: 0,
      responders: 1, findings: 2, worst: 'critical', durationMs: 5300, ratePps: 500, interrupted: true, deadlineReached: false,
    });
    assert.equal(s, '--- bond0: 254 targets (+3 canaries), 300 sent at 500 pps, 257 replies, 254 answered, 0 unanswered, 1 responder MAC(s), 2 finding(s), 2 unsolicited, 5.3 s, INTERRUPTED ---');
  });
});
