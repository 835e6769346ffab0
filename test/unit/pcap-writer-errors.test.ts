/** PcapWriter when the file system says no: typed ERR_FILE, never a throw from write(), a file valid to its last whole record. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EnvironmentError } from '../../src/errors.js';
import { PcapWriter, parsePcap } from '../../src/link/pcap-file.js';

const isRoot = process.getuid?.() === 0;
const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;

function assertErrFile(fn: () => unknown): EnvironmentError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof EnvironmentError, `expected EnvironmentError, got ${String(caught)}`);
  assert.equal(caught.code, 'ERR_FILE');
  return caught;
}

describe('PcapWriter on files that cannot be written', () => {
  test('/dev/full: the header write fails -> ERR_FILE (not a bug)', () => {
    const e = assertErrFile(() => PcapWriter.open('/dev/full'));
    assert.match(e.message, /\/dev\/full/);
    assert.ok(e.hint);
  });

  test('/proc/version: ERR_FILE', { skip: !isRoot && 'root opens /proc/version for writing; others fail earlier (also ERR_FILE)' }, () => {
    assertErrFile(() => PcapWriter.open('/proc/version'));
  });

  test('a missing directory: ERR_FILE', () => {
    assertErrFile(() => PcapWriter.open('/nonexistent-arpinject-dir/x.pcap'));
  });
});

describe('PcapWriter on a full disk (64 KiB tmpfs)', { skip: !isRoot && 'mounting a tmpfs needs root' }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'arpinject-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
  });
  after(() => {
    try {
      execFileSync('umount', [dir]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const size of [60, 1514, 9000]) {
    test(`${size}-byte frames until full: onError once, the file ends at the last whole record`, () => {
      const f = join(dir, `full-${size}.pcap`);
      const errors: EnvironmentError[] = [];
      const w = PcapWriter.open(f, { onError: (e) => errors.push(e) });
      const frame = new Uint8Array(size).fill(0xab);
      let calls = 0;
      // More than 64 KiB in total, so the disk must fill up; write() must not throw.
      for (; calls < Math.ceil((128 * 1024) / size); calls++) w.write(frame, 1_795_000_000_000 + calls);
      assert.equal(errors.length, 1, 'one error, reported once');
      assert.equal(errors[0]!.code, 'ERR_FILE');
      assert.equal(w.error, errors[0]);
      assert.ok(w.frames > 0 && w.frames < calls);
      w.write(frame, 0); // after the failure: a no-op, no throw
      w.close();
      assert.equal(statSync(f).size, 24 + w.frames * (16 + size), 'cut back to whole records');
      const r = parsePcap(readFileSync(f));
      assert.ok(!('error' in r));
      assert.equal(r.truncatedTail, false);
      assert.equal(r.records.length, w.frames);
      if (hasTcpdump) {
        const t = spawnSync('tcpdump', ['-nr', f], { encoding: 'utf8' });
        assert.doesNotMatch(t.stderr, /truncated/);
      }
      rmSync(f);
    });
  }
});
