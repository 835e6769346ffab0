import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryLink } from '../../src/link/memory-link.js';
import { FakeClock } from '../../src/time/clock.js';
import { answers, matchKey } from '../../src/correlate/match.js';
import { judge, parseExpectation } from '../../src/probe/expect.js';
import { type SessionOptions, runSession } from '../../src/probe/session.js';
import { decodeArpFrame, encodeArpFrame } from '../../src/wire/index.js';

const ME = '02:00:00:00:00:aa';
const request = (tip: string, vlan?: number) =>
  encodeArpFrame({ senderMac: ME, senderIp: '10.0.0.1', targetIp: tip, ...(vlan !== undefined ? { vlans: [{ vid: vlan }] } : {}) });
const reply = (ip: string, mac: string, o: { ethSrc?: string; vlan?: number } = {}) =>
  encodeArpFrame({
    op: 2,
    senderMac: mac,
    senderIp: ip,
    targetMac: ME,
    targetIp: '10.0.0.1',
    ethDst: ME,
    ...(o.ethSrc ? { ethSrc: o.ethSrc } : {}),
    ...(o.vlan !== undefined ? { vlans: [{ vid: o.vlan }] } : {}),
  });

function setup(tips: string[], extra: Partial<SessionOptions> = {}, vlan?: number) {
  const clock = new FakeClock();
  const link = new MemoryLink(clock);
  const start = clock.now();
  const run = () => runSession({ link, clock, requests: tips.map((tip) => ({ tip, frame: request(tip, vlan) })), ...extra });
  return { clock, link, start, run };
}

const decode = (b: Uint8Array) => {
  const d = decodeArpFrame(b);
  assert.ok(d.ok);
  return d.value;
};

describe('match (scapy answers/hashret)', () => {
  test('a reply answers the request for its sender IP on the same VLAN, whatever the MACs', () => {
    const req = decode(request('10.0.0.2'));
    assert.ok(answers(decode(reply('10.0.0.2', '02:00:00:00:00:01')), req));
    assert.ok(answers(decode(reply('10.0.0.2', '02:00:00:00:00:02', { ethSrc: '02:00:00:00:00:99' })), req), 'spoofed eth src still pairs');
    assert.equal(matchKey(req), matchKey(decode(reply('10.0.0.2', '02:00:00:00:00:01'))));
  });
  test('wrong IP, wrong VLAN, request-for-request and reply-for-reply do not answer', () => {
    const req = decode(request('10.0.0.2'));
    assert.ok(!answers(decode(reply('10.0.0.3', '02:00:00:00:00:01')), req));
    assert.ok(!answers(decode(reply('10.0.0.2', '02:00:00:00:00:01', { vlan: 7 })), req));
    assert.ok(!answers(req, req), 'a request does not answer itself');
    const rep = decode(reply('10.0.0.2', '02:00:00:00:00:01'));
    assert.ok(!answers(rep, rep));
    assert.notEqual(matchKey(decode(request('10.0.0.2', 7))), matchKey(req));
  });
});

describe('probe session on a memory link with a fake clock', () => {
  test('answered target: RTT from the request, returns as soon as everything is answered', async () => {
    const { clock, link, start, run } = setup(['10.0.0.2']);
    const p = run();
    assert.equal(link.sentFrames.length, 1);
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01'), 7);
    clock.advance(7);
    const r = await p;
    assert.equal(clock.now() - start, 7, 'no waiting for the timeout');
    assert.equal(r.replies.length, 1);
    assert.equal(r.replies[0]!.rttMs, 7);
    assert.equal(r.replies[0]!.mac, '02:00:00:00:00:01');
    assert.equal(r.replies[0]!.tpa, '10.0.0.1');
    assert.deepEqual(r.summary.claims, { '10.0.0.2': ['02:00:00:00:00:01'] });
    assert.equal(r.summary.answered, 1);
    assert.equal(r.summary.sent, 1);
    assert.equal(r.timeouts.length, 0);
  });

  test('unanswered target times out after timeoutMs', async () => {
    const { clock, run } = setup(['10.0.0.6'], { timeoutMs: 800 });
    const p = run();
    clock.advance(799);
    let settled = false;
    void p.then(() => (settled = true));
    await Promise.resolve();
    assert.equal(settled, false);
    clock.advance(1);
    const r = await p;
    assert.deepEqual(r.timeouts.map((t) => [t.ip, t.timeoutMs]), [['10.0.0.6', 800]]);
    assert.equal(r.summary.unanswered, 1);
    assert.equal(judge(parseExpectation(undefined), r.summary).ok, false);
    assert.equal(judge(parseExpectation('none'), r.summary).ok, true);
  });

  test('two MACs for one IP are both kept and reported as a conflict', async () => {
    const { clock, link, run } = setup(['10.0.0.5'], { waitMs: 100 });
    const p = run();
    link.injectLater(reply('10.0.0.5', '02:00:00:00:00:01'), 1);
    link.injectLater(reply('10.0.0.5', '02:00:00:00:00:02'), 40);
    clock.advance(100);
    const r = await p;
    assert.deepEqual(r.replies.map((x) => x.mac), ['02:00:00:00:00:01', '02:00:00:00:00:02']);
    assert.deepEqual(r.replies.map((x) => x.seq), [1, 1]);
    assert.deepEqual(r.summary.conflicts, ['10.0.0.5']);
    assert.ok(r.replies[1]!.flags.includes('multiple-macs'));
    assert.equal(judge(parseExpectation('02:00:00:00:00:01'), r.summary).ok, false);
    assert.equal(judge(parseExpectation('reply'), r.summary).ok, true);
  });

  test('without --wait the run ends at the first reply; a second MAC needs the listening window', async () => {
    const { clock, link, run } = setup(['10.0.0.5']);
    const p = run();
    link.injectLater(reply('10.0.0.5', '02:00:00:00:00:01'), 1);
    link.injectLater(reply('10.0.0.5', '02:00:00:00:00:02'), 40);
    clock.advance(100);
    const r = await p;
    assert.equal(r.replies.length, 1);
  });

  test('Ethernet source != sender MAC is flagged', async () => {
    const { clock, link, run } = setup(['10.0.0.2']);
    const p = run();
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01', { ethSrc: '02:00:00:00:00:99' }), 2);
    clock.advance(2);
    const r = await p;
    assert.equal(r.replies[0]!.ethSrcMismatch, true);
    assert.equal(r.replies[0]!.ethSrc, '02:00:00:00:00:99');
    assert.deepEqual(r.replies[0]!.flags, ['eth-src-mismatch']);
  });

  test('replies that answer nothing we sent are unsolicited; malformed frames are counted and dropped', async () => {
    const { clock, link, run } = setup(['10.0.0.2'], { waitMs: 50 });
    const p = run();
    link.injectLater(reply('10.0.0.77', '02:00:00:00:00:07'), 1);
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01', { vlan: 9 }), 2); // right IP, wrong VLAN
    link.injectLater(new Uint8Array([1, 2, 3]), 3);
    const trunc = reply('10.0.0.2', '02:00:00:00:00:01').subarray(0, 30);
    link.injectLater(trunc, 4);
    link.injectLater(request('10.0.0.2'), 5); // somebody else's request: ignored
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01'), 6);
    clock.advance(50);
    const r = await p;
    assert.deepEqual(r.unsolicited.map((u) => [u.ip, u.vlan]), [['10.0.0.77', null], ['10.0.0.2', 9]]);
    assert.equal(r.summary.malformed, 2);
    assert.equal(r.summary.unsolicited, 2);
    assert.equal(r.replies.length, 1);
  });

  test('a late reply after the timeout is kept when listening (--wait), flagged late', async () => {
    const { clock, link, run } = setup(['10.0.0.2'], { timeoutMs: 100, waitMs: 500 });
    const p = run();
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01'), 300);
    clock.advance(500);
    const r = await p;
    assert.deepEqual(r.records.map((x) => x.type), ['timeout', 'reply']);
    assert.equal(r.replies[0]!.late, true);
    assert.equal(r.replies[0]!.rttMs, 300);
    assert.equal(r.summary.answered, 1, 'a late answer is still an answer');
  });

  test('--count rounds: each reply pairs with its own request even when one arrives after the next request', async () => {
    const { clock, link, run } = setup(['10.0.0.2'], { count: 3, intervalMs: 100, timeoutMs: 250 });
    const p = run();
    // request 1 at t=0 answered at 150 (after request 2 at t=100); request 2 at 120; request 3 at 205
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01'), 120);
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01'), 150);
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01'), 205);
    clock.advance(1000);
    const r = await p;
    assert.equal(link.sentFrames.length, 3);
    assert.deepEqual(link.sentFrames.map((f) => f.time - link.sentFrames[0]!.time), [0, 100, 200]);
    assert.deepEqual(r.replies.map((x) => [x.seq, x.rttMs]), [[1, 120], [2, 50], [3, 5]]);
    assert.equal(r.summary.sent, 3);
    assert.equal(r.timeouts.length, 0);
  });

  test('several targets: one round, each reply to its target', async () => {
    const { clock, link, run } = setup(['10.0.0.2', '10.0.0.6', '8.8.8.8'], { timeoutMs: 1000 });
    const p = run();
    assert.deepEqual(link.sentFrames.map((f) => decode(f.bytes).arp.targetIp), ['10.0.0.2', '10.0.0.6', '8.8.8.8']);
    link.injectLater(reply('8.8.8.8', '02:00:00:00:00:01'), 300);
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01'), 600);
    clock.advance(1000);
    const r = await p;
    assert.deepEqual(r.replies.map((x) => x.ip), ['8.8.8.8', '10.0.0.2']);
    assert.deepEqual(r.timeouts.map((x) => x.ip), ['10.0.0.6']);
    assert.equal(r.summary.answered, 2);
    assert.equal(r.summary.unanswered, 1);
  });

  test('VLAN-tagged requests pair with replies on the same VLAN', async () => {
    const { clock, link, run } = setup(['10.0.0.2'], {}, 42);
    const p = run();
    assert.deepEqual(decode(link.sentFrames[0]!.bytes).eth.vlans.map((v) => v.vid), [42]);
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01'), 1); // untagged: not ours
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:02', { vlan: 42 }), 2);
    clock.advance(2);
    const r = await p;
    assert.equal(r.replies.length, 1);
    assert.equal(r.replies[0]!.vlan, 42);
    assert.equal(r.replies[0]!.mac, '02:00:00:00:00:02');
    assert.equal(r.unsolicited.length, 1);
  });

  test('abort (Ctrl-C) resolves with what was collected, marked interrupted', async () => {
    const ac = new AbortController();
    const { clock, link, run } = setup(['10.0.0.2', '10.0.0.3'], { signal: ac.signal, timeoutMs: 1000 });
    const p = run();
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01'), 5);
    clock.advance(10);
    ac.abort();
    const r = await p;
    assert.equal(r.summary.interrupted, true);
    assert.equal(r.replies.length, 1);
    assert.equal(clock.pendingTimers(), 0, 'no timer left behind');
  });

  test('a send failure rejects the run with that error', async () => {
    const { link, run } = setup(['10.0.0.2']);
    link.failSendWith = new Error('send: Network is down');
    await assert.rejects(run(), /Network is down/);
  });

  test('every frame captured goes to onCaptured, our request as its echo first (for --pcap)', async () => {
    const wire: string[] = [];
    const { clock, link, run } = setup(['10.0.0.2'], { onCaptured: (f) => wire.push(`${f.sentId !== undefined ? 'echo' : 'in'}:${f.bytes.length}`) });
    const p = run();
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01'), 1);
    clock.advance(1);
    await p;
    assert.deepEqual(wire, ['echo:60', 'in:60']);
  });

  test('RTT runs from the echo of the request (its time on the wire), not from the call to send', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    link.echo = false; // deliver the echo by hand, 0.3 ms after send() returned, as a kernel would stamp it
    const frame = request('10.0.0.2');
    const p = runSession({ link, clock, requests: [{ tip: '10.0.0.2', frame }] });
    clock.advance(0.3);
    link.injectEcho(frame, 1);
    clock.advance(0.2);
    link.inject(reply('10.0.0.2', '02:00:00:00:00:01'));
    const r = await p;
    assert.equal(r.replies[0]!.rttMs, 0.2);
    assert.equal(r.unsolicited.length, 0, 'the echo is ours, not a stray frame');
  });

  test('a reply delivered while send() runs is paired (register before send, as scapy does)', async () => {
    const { link, run } = setup(['10.0.0.2']);
    link.addResponder((sent, l) => {
      const d = decodeArpFrame(sent);
      if (d.ok && d.value.arp.op === 1) l.inject(reply(d.value.arp.targetIp, '02:00:00:00:00:01'));
    });
    const r = await run();
    assert.equal(r.replies.length, 1);
    assert.equal(r.timeouts.length, 0);
    assert.equal(r.unsolicited.length, 0);
    assert.equal(r.replies[0]!.rttMs, 0);
  });

  test('a storm of stray replies: every one counted, one record per sending MAC, by-MAC counts in the summary', async () => {
    const { clock, link, run } = setup(['10.0.0.2']);
    const p = run();
    for (let i = 0; i < 3000; i++) link.inject(reply(`10.66.${(i >> 8) & 3}.${i & 255}`, i % 3 === 0 ? '02:00:00:00:00:0c' : '02:00:00:00:00:0d'));
    link.inject(reply('10.0.0.2', '02:00:00:00:00:01'));
    clock.advance(1);
    const r = await p;
    assert.equal(r.replies.length, 1);
    assert.equal(r.summary.unsolicited, 3000);
    assert.equal(r.unsolicited.length, 2, 'one record per MAC');
    assert.deepEqual(r.summary.unsolicitedByMac, { '02:00:00:00:00:0d': 2000, '02:00:00:00:00:0c': 1000 });
  });

  test('kernel drops are in the summary, and an expectation that rests on silence is not met', async () => {
    const { clock, link, run } = setup(['10.0.0.2']);
    link.dropped = 5;
    const p = run();
    link.injectLater(reply('10.0.0.2', '02:00:00:00:00:01'), 1);
    clock.advance(1);
    const r = await p;
    assert.equal(r.summary.dropped, 5);
    const mac = judge(parseExpectation('02:00:00:00:00:01'), r.summary);
    assert.equal(mac.ok, false, 'another MAC may have answered in the lost frames');
    assert.match(mac.reason, /lost 5 frame/);
    const none = judge(parseExpectation('none'), { ...r.summary, answered: 0, claims: {} });
    assert.equal(none.ok, false);
    const reply1 = judge(parseExpectation('reply'), r.summary);
    assert.equal(reply1.ok, true, 'a reply that was captured stays captured');
    assert.match(reply1.reason, /lost 5 frame/);
  });
});

describe('probe pacing and the flood guard', () => {
  test('a round is paced at ratePps: 5 requests at 100 pps leave 10 ms apart; the next round starts intervalMs after the first', async () => {
    const tips = ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'];
    const { clock, link, start, run } = setup(tips, { ratePps: 100, count: 2, intervalMs: 1000, timeoutMs: 50 });
    const p = run();
    clock.advance(3000);
    await p;
    assert.deepEqual(link.sentFrames.map((f) => Math.round(f.time - start)), [0, 10, 20, 30, 40, 1000, 1010, 1020, 1030, 1040]);
  });
  test('unpaced above 4096 requests per round, or > 10k pps for > 10k frames, is refused unless yesFlood', async () => {
    const { assertNotFlood } = await import('../../src/pacing/flood.js');
    assert.throws(() => assertNotFlood({ what: 'requests per round', unpacedCount: 5000, frames: 5000, ratePps: 0 }), (e: any) => e.code === 'ERR_FLOOD' && /5000 ARP frames/.test(e.message));
    assert.throws(() => assertNotFlood({ what: 'requests per round', unpacedCount: 3, frames: 1_000_000, ratePps: 50_000 }), /at 50000 pps, about 20\.0 s/);
    assert.doesNotThrow(() => assertNotFlood({ what: 'requests per round', unpacedCount: 3, frames: 1_000_000, ratePps: 500 }), 'the default rate is never a flood');
    assert.doesNotThrow(() => assertNotFlood({ what: 'requests per round', unpacedCount: 5000, frames: 5000, ratePps: 0, yesFlood: true }));
  });
});
