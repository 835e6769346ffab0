/** The ring arithmetic of native-notes/capture.md (libpcap 1.10, TPACKET_V2), pinned. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ringFrames } from '../../src/link/pcap-link.js';

test('ringFrames: slots of TPACKET_ALIGN(68 + snaplen), whole slots per page-or-larger block', () => {
  assert.equal(ringFrames(256, 8 << 20), 24_972, 'default: 336-byte slots, 12 per 4 KiB block');
  assert.equal(ringFrames(256, 64 << 20), 199_740, "watch's default ring");
  assert.equal(ringFrames(65535, 4 << 20), 64, "cap's snaplen: one 64 KiB slot per 128 KiB block");
  assert.equal(ringFrames(65535, 8 << 20), 128);
  assert.equal(ringFrames(128, 8 << 20), 40_337, 'tcpdump -s 128: 208-byte slots, 19 per block');
  assert.equal(ringFrames(256, 1), 12, 'never less than one block');
});

test('a frame cut by the capture snaplen is counted snapped, not malformed (watch --read of tcpdump -s 40)', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { PcapWriter, PcapFileLink } = await import('../../src/link/pcap-file.js');
  const { ArpWatcher } = await import('../../src/watch/analyzer.js');
  const { encodeArpFrame } = await import('../../src/wire/frame.js');
  const dir = mkdtempSync(join(tmpdir(), 'arpinject-snap-'));
  try {
    const file = join(dir, 's40.pcap');
    const w = PcapWriter.open(file, { snaplen: 40 });
    const frame = encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.2', targetMac: '02:00:00:00:00:aa', targetIp: '10.0.0.1' });
    w.write(frame, 1_700_000_000_000);
    w.write(frame.subarray(0, 30), 1_700_000_000_001); // a frame really 30 bytes long: hostile, not cut
    w.close();
    const watcher = new ArpWatcher(() => {});
    const link = PcapFileLink.open(file);
    const seen: boolean[] = [];
    link.onFrame((f) => {
      seen.push(f.truncated);
      watcher.ingest(f);
    });
    link.replay();
    assert.deepEqual(seen, [true, false], 'the first record is 40 of 60 bytes: truncated capture');
    const s = watcher.summary();
    assert.deepEqual([s.frames, s.snapped, s.malformed], [2, 1, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
