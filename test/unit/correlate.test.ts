/**
 * The one correlator: the pick policy, the pending table, and the proof that probe's session and the
 * sweep engine give identical reply records for one scripted exchange (same seq, requestId,
 * duplicate, late, rttMs for the same frames at the same times).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PendingTable } from '../../src/correlate/pending.js';
import { pickRequest } from '../../src/correlate/pick.js';
import { MemoryLink } from '../../src/link/memory-link.js';
import { FakeClock } from '../../src/time/clock.js';
import type { ReplyRecord } from '../../src/records/records.js';
import { runSession } from '../../src/probe/session.js';
import { runSweepEngine } from '../../src/sweep/engine.js';
import { parseIpv4 } from '../../src/wire/address.js';
import { encodeArpFrame } from '../../src/wire/frame.js';

const ME = '02:00:00:00:00:aa';
const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const request = encodeArpFrame({ senderMac: ME, senderIp: '10.0.0.1', targetIp: '10.0.0.2' });
const reply = (mac: string) => encodeArpFrame({ op: 2, senderMac: mac, senderIp: '10.0.0.2', targetMac: ME, targetIp: '10.0.0.1', ethDst: ME });

describe('one correlator', () => {
  test('pick policy: the oldest request this MAC has not answered and still within its timeout, else the newest', () => {
    const deadline = [100, 200, 300];
    const pick = (answered: boolean[], t: number) => pickRequest(3, (k) => deadline[k]!, (k) => answered[k]!, t);
    assert.equal(pick([false, false, false], 50), 0);
    assert.equal(pick([true, false, false], 50), 1, 'this MAC answered the first: the next one');
    assert.equal(pick([false, false, false], 150), 1, 'the first has timed out');
    assert.equal(pick([true, true, true], 50), 2, 'all answered by this MAC: the newest (a duplicate)');
    assert.equal(pick([false, false, false], 400), 2, 'all timed out: the newest (late)');
  });

  test('pending table: registered before sending, stamped by the echo, paired once per MAC', () => {
    const t = new PendingTable();
    const r1 = t.register('10.0.0.2', 'k', undefined, 0, 100);
    const r2 = t.register('10.0.0.2', 'k', undefined, 50, 100);
    assert.deepEqual([r1.id, r1.seq, r2.id, r2.seq], [1, 1, 2, 2]);
    t.echo('k', 0.4);
    t.echo('k', 50.3);
    assert.deepEqual([r1.wireAt, r2.wireAt], [0.4, 50.3]);
    const p = t.pair('k', A, 60)!;
    assert.deepEqual([p.request.id, p.duplicate, p.late, p.first], [1, false, false, true]);
    const q = t.pair('k', A, 70)!;
    assert.deepEqual([q.request.id, q.duplicate, q.first], [2, false, true], 'A answered 1 already: this one answers 2');
    const d = t.pair('k', A, 80)!;
    assert.deepEqual([d.request.id, d.duplicate], [2, true]);
    assert.equal(t.pair('other', A, 80), undefined);
  });

  test('one scripted exchange: probe (2 rounds) and sweep (1 retry) give identical reply records', async () => {
    // Attempt 1 at t0 goes unanswered for its 1000 ms; attempt 2 at t0+1000 (probe: round 2; sweep: the retry).
    // Then: A at +1200 (answers 2), A again at +1300 (duplicate of 2), B at +1400 (answers 2, second MAC),
    // A at +2500 (after every deadline: late, the newest, duplicate).
    const script: Array<[number, string]> = [[1200, A], [1300, A], [1400, B], [2500, A]];
    const run = async (kind: 'probe' | 'sweep'): Promise<ReplyRecord[]> => {
      const clock = new FakeClock();
      const link = new MemoryLink(clock);
      for (const [at, mac] of script) link.injectLater(reply(mac), at);
      const replies: ReplyRecord[] = [];
      const p =
        kind === 'probe'
          ? runSession({ link, clock, requests: [{ tip: '10.0.0.2', frame: request }], count: 2, intervalMs: 1000, timeoutMs: 1000, waitMs: 2000, onRecord: (r) => r.type === 'reply' && replies.push(r) })
          : runSweepEngine({ link, clock, targets: Uint32Array.of(parseIpv4('10.0.0.2')!), buildFrame: () => request, ratePps: 0, retries: 1, timeoutMs: 1000, backoff: 1, waitMs: 2000, onReply: (r) => replies.push(r) });
      clock.advance(5000);
      await p;
      assert.equal(link.sentFrames.length, 2, `${kind}: two requests`);
      return replies;
    };
    const probe = await run('probe');
    const sweep = await run('sweep');
    assert.equal(probe.length, 4);
    assert.deepEqual(sweep, probe);
    assert.deepEqual(
      probe.map((r) => [r.mac, r.seq, r.requestId, r.rttMs, r.duplicate, r.late, r.flags.join(',')]),
      [
        [A, 2, 2, 200, false, false, ''],
        [A, 2, 2, 300, true, false, 'duplicate'],
        [B, 2, 2, 400, false, false, 'multiple-macs'],
        [A, 2, 2, 1500, true, true, 'late,duplicate,multiple-macs'],
      ],
    );
  });
});
