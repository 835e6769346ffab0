/**
 * Bounded input: `sweep --file` and `watch --read` stream what they read (line by line, record by
 * record), stop at a limit with a clear exit-2 message, read pipes and FIFOs, and a signal stops them.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/errors.js';
import { MAX_PCAP_RECORD, PcapParser, PcapStreamLink, parsePcap } from '../../src/link/pcap-file.js';
import { MAX_TARGET_LINE_BYTES, targetsFromChunks } from '../../src/sweep/targets.js';
import { CLI, runCli } from '../helpers/cli.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'arpinject-input-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function* from(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p, 'latin1');
}

/** An endless source that counts what was pulled from it. */
function endless(chunk: Uint8Array): { chunks: AsyncGenerator<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  async function* gen() {
    for (;;) {
      pulled += chunk.length;
      yield chunk;
    }
  }
  return { chunks: gen(), pulled: () => pulled };
}

describe('targets streamed line by line', () => {
  test('lines split across chunks, comments, several per line', async () => {
    assert.deepEqual(await targetsFromChunks(from('# office\n10.0.0.1 10.0', '.0.2, 10.0.0.3\n\n10.1.0.0/30 # lab\n10.2.0.1'), { name: 'f' }), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.1.0.0/30', '10.2.0.1']);
  });
  test('a bad target names its line', async () => {
    await assert.rejects(targetsFromChunks(from('10.0.0.1\n# x\nbogus\n'), { name: 't.txt' }), (e: unknown) => e instanceof UsageError && /^t\.txt, line 3: target "bogus"/.test(e.message));
  });
  test('/dev/zero (no newline, ever): ERR_INPUT_TOO_LARGE after one line limit, not an endless read', async () => {
    const src = endless(new Uint8Array(65536));
    await assert.rejects(targetsFromChunks(src.chunks, { name: '/dev/zero' }), (e: unknown) => e instanceof UsageError && e.code === 'ERR_INPUT_TOO_LARGE' && /line 1 is longer than 4096 bytes/.test(e.message));
    assert.ok(src.pulled() <= 65536 + MAX_TARGET_LINE_BYTES, `read ${src.pulled()} bytes`);
  });
  test('`yes 10.0.0.1`: stops at the target limit (with the line), reading no further', async () => {
    const src = endless(Buffer.from('10.0.0.1\n'.repeat(1000)));
    await assert.rejects(targetsFromChunks(src.chunks, { name: 'stdin', maxTargets: 5000 }), (e: unknown) => e instanceof UsageError && e.code === 'ERR_INPUT_TOO_LARGE' && /more than 5000 targets by line 5001/.test(e.message));
    assert.ok(src.pulled() <= 6 * 9000);
  });
  test('endless comment lines: stopped by the byte limit', async () => {
    const src = endless(Buffer.from('#\n'.repeat(32768)));
    await assert.rejects(targetsFromChunks(src.chunks, { name: 'stdin', maxBytes: 1 << 20 }), (e: unknown) => e instanceof UsageError && e.code === 'ERR_INPUT_TOO_LARGE' && /more than 1048576 bytes/.test(e.message));
    assert.ok(src.pulled() <= (1 << 20) + 65536);
  });
});

describe('pcap parsed record by record', () => {
  const whole = readFileSync(fixture('storm.pcap'));
  test('fed one byte at a time, the parser gives what parsePcap gives', () => {
    const p = new PcapParser();
    const got = [];
    for (let i = 0; i < whole.length; i++) got.push(...p.push(whole.subarray(i, i + 1)));
    assert.equal(p.end().truncatedTail, false);
    const ref = parsePcap(whole);
    assert.ok(!('error' in ref));
    assert.deepEqual(got, ref.records);
    assert.ok(got.length > 0);
  });
  test('a record claiming more than MAX_PCAP_RECORD bytes is a damaged file (no waiting for 4 GB)', () => {
    const bad = Buffer.from(whole.subarray(0, 40));
    bad.writeUInt32LE(MAX_PCAP_RECORD + 1, 24 + 8);
    const p = new PcapParser();
    assert.deepEqual(p.push(bad), []);
    assert.match(p.error ?? '', /damaged pcap: record at byte 24 claims 262145 bytes/);
  });
  test('PcapStreamLink: not a pcap is ERR_NOT_PCAP (exit 2), a missing file ERR_FILE', async () => {
    await assert.rejects(new PcapStreamLink('/dev/zero').replay(), (e: unknown) => e instanceof UsageError && e.code === 'ERR_NOT_PCAP');
    await assert.rejects(new PcapStreamLink(join(dir, 'nope.pcap')).replay(), (e: unknown) => (e as { code?: string }).code === 'ERR_FILE');
  });
  test('PcapStreamLink emits the Captured fields of every record', async () => {
    const link = new PcapStreamLink(fixture('storm.pcap'));
    const seen: Array<Record<string, unknown>> = [];
    link.onFrame((f) => seen.push(f as unknown as Record<string, unknown>));
    const r = await link.replay();
    const ref = parsePcap(whole) as Exclude<ReturnType<typeof parsePcap>, { error: string }>;
    assert.equal(r.frames, ref.records.length);
    assert.equal(r.interrupted, false);
    for (const k of ['tsSec', 'tsNsec', 'capturedLength', 'originalLength', 'truncated']) assert.ok(k in seen[0]!, k);
    assert.equal(seen[0]!.tsSec, ref.records[0]!.sec);
  });
});

/** Spawn the CLI, resolve with its exit code and output. */
function spawnCli(args: string[], feed?: (stdin: NodeJS.WritableStream) => void): { done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  child.stdin.on('error', () => {});
  if (feed) feed(child.stdin);
  else child.stdin.end();
  return { done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))), kill: (s) => child.kill(s) };
}

describe('the CLI', () => {
  test('sweep --file /dev/zero: exit 2 at once, with the reason (it used to grow to 16 GB)', async () => {
    const t0 = Date.now();
    const r = await runCli(undefined, ['sweep', '-i', 'nosuch0', '--file', '/dev/zero'], { timeoutMs: 10_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /\/dev\/zero: line 1 is longer than 4096 bytes: not a targets file/);
    assert.ok(Date.now() - t0 < 5000);
  });
  test('watch --read -: a pcap piped in (tcpdump -w - | ...) is analysed as it streams, and Ctrl-C ends it with the summary', async () => {
    const pcap = readFileSync(fixture('storm.pcap'));
    let timer: NodeJS.Timeout | undefined;
    const run = spawnCli(['watch', '--read', '-', '--json'], (stdin) => {
      // The header and every record, then records again and again: the input never ends.
      stdin.write(pcap);
      const body = pcap.subarray(24);
      timer = setInterval(() => stdin.write(body), 20);
    });
    await new Promise((r) => setTimeout(r, 1500));
    run.kill('SIGINT');
    const r = await run.done;
    clearInterval(timer);
    assert.equal(r.code, 0, r.stderr);
    const summary = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((x) => x.type === 'summary');
    assert.ok(summary, r.stdout.slice(-500));
    assert.equal(summary.interrupted, true);
    assert.ok(summary.frames > 40, `only ${summary.frames} frames: not streamed`);
  });
  test('sweep --file FIFO: SIGTERM while it waits for lines ends it (143), nothing sent', { skip: spawnSync('mkfifo', ['--version']).status !== 0 }, async () => {
    const fifo = join(dir, 'targets.fifo');
    spawnSync('mkfifo', [fifo]);
    const run = spawnCli(['sweep', '-i', 'nosuch0', '--file', fifo]);
    await new Promise((r) => setTimeout(r, 800));
    run.kill('SIGTERM');
    const r = await run.done;
    assert.equal(r.code, 143, r.stderr);
    assert.match(r.stderr, /interrupted while reading targets from .*targets\.fifo: nothing sent/);
  });
  test('watch --read of a damaged or non-pcap stream is exit 2 ERR_NOT_PCAP', async () => {
    const r = spawnCli(['watch', '--read', '-', '--json'], (stdin) => stdin.end(Buffer.alloc(100, 7)));
    const res = await r.done;
    assert.equal(res.code, 2);
    assert.match(res.stdout, /"code":"ERR_NOT_PCAP"/);
  });
});
