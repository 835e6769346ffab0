/** probe() and sweep() on a memory link with --pcap on a full disk: the run stops with its summary, fileError is ERR_FILE, the pcap stays valid. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { MemoryLink } from '../../src/link/memory-link.js';
import { parsePcap } from '../../src/link/pcap-file.js';
import { FakeClock } from '../../src/time/clock.js';
import { probe } from '../../src/probe/probe.js';
import { sweep } from '../../src/sweep/sweep.js';
import { decodeArpFrame, encodeArpFrame } from '../../src/wire/index.js';

const ME = '02:00:00:00:00:aa';
const isRoot = process.getuid?.() === 0;

const answer = (sent: Uint8Array, l: MemoryLink) => {
  const d = decodeArpFrame(sent);
  if (!d.ok) return;
  const tip = d.value.arp.targetIp;
  l.injectLater(encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:bb', senderIp: tip, targetMac: ME, targetIp: '10.0.0.1', ethDst: ME }), 5);
};

function validPcap(f: string): number {
  const r = parsePcap(readFileSync(f));
  assert.ok(!('error' in r), 'still a pcap file');
  assert.equal(r.truncatedTail, false, 'no record cut in half');
  return r.records.length;
}

describe('a run whose pcap fills the disk (16 KiB tmpfs)', { skip: !isRoot && 'mounting a tmpfs needs root' }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'arpinject-run-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]);
  });
  afterEach(() => {
    for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true });
  });
  after(() => {
    try {
      execFileSync('umount', [dir]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('sweep: stops early, summary interrupted, fileError ERR_FILE, pcap valid', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    link.addResponder(answer);
    const f = join(dir, 'sweep.pcap');
    const p = sweep({ iface: 'mem0', link, clock, targets: ['10.1.0.0/22'], sip: '10.0.0.1', sha: ME, ratePps: 0, canaries: false, pcap: f });
    for (let i = 0; i < 200; i++) clock.advance(1000);
    const r = await p;
    assert.equal(r.fileError?.code, 'ERR_FILE');
    assert.match(r.fileError!.message, /sweep\.pcap/);
    assert.equal(r.summary.interrupted, true);
    assert.ok(r.summary.sent < 1022 * 2, `stopped early (${r.summary.sent} sent)`);
    const n = validPcap(f);
    assert.ok(n > 0);
  });

  test('probe: same, and the replies before the failure are kept', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    link.addResponder(answer);
    const f = join(dir, 'probe.pcap');
    // 150 requests (11 KiB of records) fit; their replies do not.
    const tips = Array.from({ length: 150 }, (_, i) => `10.2.${i >> 7}.${(i & 127) + 1}`);
    const p = probe({ iface: 'mem0', link, clock, targets: tips, sip: '10.0.0.1', sha: ME, timeoutMs: 100, pcap: f });
    for (let i = 0; i < 200; i++) clock.advance(100);
    const r = await p;
    assert.equal(r.fileError?.code, 'ERR_FILE');
    assert.equal(r.summary.interrupted, true);
    assert.ok(r.summary.answered > 0 && r.summary.answered < 150, `answered ${r.summary.answered}`);
    validPcap(f);
  });

  test('a pcap that fits: no fileError', async () => {
    const clock = new FakeClock();
    const link = new MemoryLink(clock);
    link.addResponder(answer);
    const f = join(dir, 'small.pcap');
    const p = probe({ iface: 'mem0', link, clock, targets: ['10.3.0.1'], sip: '10.0.0.1', sha: ME, pcap: f });
    for (let i = 0; i < 20; i++) clock.advance(100);
    const r = await p;
    assert.equal(r.fileError, undefined);
    assert.equal(validPcap(f), 2);
  });
});
