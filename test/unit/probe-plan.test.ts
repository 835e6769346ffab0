import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { judge, parseExpectation } from '../../src/probe/expect.js';
import { planProbe } from '../../src/probe/probe.js';
import { checkOp } from '../../src/probe/options.js';
import { decodeArpFrame } from '../../src/wire/index.js';
import { formatProbeRecord, formatProbeSummary } from '../../src/cli/format.js';
import { ExitCode, exitCodeForError } from '../../src/cli/exit-codes.js';
import { EnvironmentError } from '../../src/errors.js';

const base = { iface: 'mem0', sha: '02:00:00:00:00:aa', sip: '10.0.0.1' };

describe('planProbe: fields and defaults, no network', () => {
  test('defaults: request, broadcast, eth src = sha, tha zero, deduplicated targets', () => {
    const p = planProbe({ ...base, targets: ['10.0.0.2', '10.0.0.2', '8.8.8.8'] });
    assert.deepEqual(p.requests.map((r) => r.tip), ['10.0.0.2', '8.8.8.8']);
    const d = decodeArpFrame(p.requests[0]!.frame);
    assert.ok(d.ok);
    assert.equal(d.value.eth.dst, 'ff:ff:ff:ff:ff:ff');
    assert.equal(d.value.eth.src, '02:00:00:00:00:aa');
    assert.deepEqual(d.value.arp, { op: 1, htype: 1, senderMac: '02:00:00:00:00:aa', senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' });
    assert.equal(p.requests[0]!.frame.length, 60);
    assert.equal(p.fields.sipRule, 'given');
  });
  test('every field overridable', () => {
    const p = planProbe({ ...base, targets: ['10.0.0.2'], tha: 'FF-FF-FF-FF-FF-FF', ethSrc: '02:00:00:00:00:99', ethDst: '02:00:00:00:00:02', op: 'reply', vlan: 90, vlanPriority: 5 });
    const d = decodeArpFrame(p.requests[0]!.frame);
    assert.ok(d.ok);
    assert.equal(d.value.arp.op, 2);
    assert.equal(d.value.arp.targetMac, 'ff:ff:ff:ff:ff:ff');
    assert.equal(d.value.eth.src, '02:00:00:00:00:99');
    assert.equal(d.value.eth.dst, '02:00:00:00:00:02');
    assert.deepEqual(d.value.eth.vlans, [{ tpid: 0x8100, pcp: 5, dei: 0, vid: 90 }]);
  });
  test('bad values are UsageErrors with stable codes', () => {
    const cases: Array<[object, string]> = [
      [{ targets: [] }, 'ERR_INVALID_ARGUMENT'],
      [{ targets: ['10.0.0.300'] }, 'ERR_INVALID_IP'],
      [{ targets: ['10.0.0.2'], sip: '1.2.3' }, 'ERR_INVALID_IP'],
      [{ targets: ['10.0.0.2'], sha: '02:00' }, 'ERR_INVALID_MAC'],
      [{ targets: ['10.0.0.2'], ethDst: 'broadcast' }, 'ERR_INVALID_MAC'],
      [{ targets: ['10.0.0.2'], vlan: 4095 }, 'ERR_INVALID_NUMBER'],
      [{ targets: ['10.0.0.2'], vlanPriority: 8, vlan: 1 }, 'ERR_INVALID_NUMBER'],
      [{ targets: ['10.0.0.2'], op: 'nope' }, 'ERR_INVALID_NUMBER'],
    ];
    for (const [o, code] of cases) {
      assert.throws(() => planProbe({ ...base, targets: [], ...o } as never), (e: unknown) => e instanceof UsageError && e.code === code, JSON.stringify(o));
    }
  });
  test('ops by name and number', () => {
    assert.equal(checkOp('request'), 1);
    assert.equal(checkOp('is-at'), 2);
    assert.equal(checkOp('8'), 8);
    assert.equal(checkOp(65535), 65535);
    assert.throws(() => checkOp('65536'), UsageError);
  });
});

describe('expectations', () => {
  const s = (macs: Record<string, string[]>, targets: number) => ({ targets, answered: Object.keys(macs).length, claims: macs });
  test('reply / none / mac', () => {
    assert.equal(judge(parseExpectation('reply'), s({ a: ['m1'] }, 1)).ok, true);
    assert.equal(judge(parseExpectation('reply'), s({ a: ['m1'] }, 2)).ok, false);
    assert.equal(judge(parseExpectation('none'), s({}, 2)).ok, true);
    assert.equal(judge(parseExpectation('none'), s({ a: ['m1'] }, 2)).ok, false);
    const mac = parseExpectation('02:00:00:00:00:01');
    assert.equal(judge(mac, s({ a: ['02:00:00:00:00:01'] }, 1)).ok, true);
    const hijack = judge(mac, s({ a: ['02:00:00:00:00:01', '02:00:00:00:00:02'] }, 1));
    assert.equal(hijack.ok, false);
    assert.match(hijack.reason, /a by 02:00:00:00:00:02/);
    assert.equal(judge(mac, s({}, 1)).ok, false);
    assert.throws(() => parseExpectation('sometimes'), UsageError);
  });
});

describe('CLI pieces', () => {
  test('exit code table', () => {
    assert.equal(exitCodeForError(new UsageError('ERR_INVALID_IP', 'x')), ExitCode.USAGE);
    assert.equal(exitCodeForError(new EnvironmentError('ERR_PERMISSION', 'x')), ExitCode.ENVIRONMENT);
    assert.equal(exitCodeForError(new Error('boom')), ExitCode.INTERNAL);
    assert.deepEqual([ExitCode.OK, ExitCode.NOT_MET, ExitCode.USAGE, ExitCode.ENVIRONMENT, ExitCode.INTERRUPTED], [0, 1, 2, 3, 130]);
  });
  test('human lines', () => {
    const line = formatProbeRecord({
      type: 'reply', iface: 'bond0', ip: '8.8.8.8', mac: '32:6b:33:03:b2:c2', ethSrc: '02:00:00:00:00:99', ethDst: 'x', vlan: 90, rttMs: 251.3,
      seq: 1, requestId: 1, tha: 'x', tpa: 'x', time: 'x', late: false, duplicate: false, ethSrcMismatch: true, flags: ['eth-src-mismatch', 'multiple-macs'],
    });
    assert.match(line, /^reply   8\.8\.8\.8 +is-at 32:6b:33:03:b2:c2 +251\.3 ms  seq=1  \[vlan 90, ETH SRC 02:00:00:00:00:99 != SHA, MULTIPLE MACS\]$/);
    const lines = formatProbeSummary(
      { type: 'summary', iface: 'bond0', targets: 1, sent: 1, replies: 2, answered: 1, unanswered: 0, unsolicited: 0, unsolicitedByMac: {}, malformed: 0, dropped: 0, claims: { '10.0.0.5': ['a', 'b'] }, conflicts: ['10.0.0.5'], rttMs: { min: 1, avg: 2, max: 3 }, durationMs: 5, interrupted: false, expect: 'a' },
      { sip: '10.0.0.1', sha: 'm' },
      { ok: false, reason: 'claimed by another MAC: 10.0.0.5 by b' },
    );
    assert.match(lines[1]!, /, 0 lost by the capture$/);
    assert.deepEqual(lines.slice(2), ['rtt min/avg/max = 1.000/2.000/3.000 ms', 'CONFLICT: 10.0.0.5 is claimed by 2 MACs: a, b', 'expect a: NOT met (claimed by another MAC: 10.0.0.5 by b)']);
    const lossy = formatProbeSummary(
      { type: 'summary', iface: 'bond0', targets: 1, sent: 1, replies: 1, answered: 1, unanswered: 0, unsolicited: 9, unsolicitedByMac: { 'aa:aa:aa:aa:aa:aa': 9 }, malformed: 0, dropped: 12, claims: {}, conflicts: [], rttMs: null, durationMs: 5, interrupted: false },
      { sip: '10.0.0.1', sha: 'm' },
    );
    assert.ok(lossy.includes('unsolicited by MAC: aa:aa:aa:aa:aa:aa 9'));
    assert.ok(lossy.some((l) => /^LOST: the kernel dropped 12 frame\(s\)/.test(l)));
  });
});

describe('library errors name option keys; the CLI names flags', () => {
  test('planProbe / probe name the key (sha, timeoutMs), with `option` set; flagMessage maps it to the flag', async () => {
    const { planProbe, probe } = await import('../../src/probe/probe.js');
    const { flagMessage } = await import('../../src/cli/flags.js');
    try {
      planProbe({ iface: 'mem0', targets: ['10.0.0.2'], sip: '10.0.0.1', sha: 'nope' });
      assert.fail('no error');
    } catch (e: any) {
      assert.equal(e.option, 'sha');
      assert.match(e.message, /^sha: "nope" is not a MAC address/);
      assert.match(flagMessage(e.message, e.option), /^--sha: "nope" is not a MAC address/);
    }
    await assert.rejects(probe({ iface: 'mem0', targets: ['10.0.0.2'], timeoutMs: -1 }), (e: any) => e.option === 'timeoutMs' && /^timeoutMs: "-1"/.test(e.message) && flagMessage(e.message, e.option).startsWith('--timeout: '));
  });
});
