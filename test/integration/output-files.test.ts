/**
 * Output that survives, through the built CLI: a closed stdout pipe exits 0 quietly, a failing stdout
 * or pcap is ERR_FILE (exit 3) with the summary still printed, and a failed start leaves an earlier
 * pcap alone. Offline (watch --read) where possible; live only inside a lab namespace.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Lab } from '../../src/lab/lab.js';
import { CLI, runCli } from '../helpers/cli.js';
import { PcapWriter } from '../../src/link/pcap-file.js';
import { encodeArpFrame } from '../../src/wire/index.js';
import { skipUnlessRoot } from '../helpers/root.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** Run the CLI with stdout a pipe that is closed before it writes anything (`| head -0`). */
function runClosedStdout(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

/** Run the CLI with stdout on /dev/full (every write: ENOSPC). */
function runFullStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const fd = openSync('/dev/full', 'w');
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('stdout that stops working', () => {
  for (const json of [false, true]) {
    test(`watch --read${json ? ' --json' : ''} into a closed pipe: exit 0, nothing on stderr`, async () => {
      const r = await runClosedStdout(['watch', '--read', fixture('storm.pcap'), ...(json ? ['--json'] : [])]);
      assert.deepEqual([r.code, r.stderr], [0, '']);
    });

    test(`watch --read${json ? ' --json' : ''} > /dev/full: ERR_FILE, exit 3, the summary on stderr`, async () => {
      const r = await runFullStdout(['watch', '--read', fixture('storm.pcap'), ...(json ? ['--json'] : [])]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /cannot write to standard output: ENOSPC/);
      assert.match(r.stderr, json ? /"type":"summary","frames":40/ : /--- 40 frames/);
      assert.doesNotMatch(r.stderr, /bug in arpinject|at .*\.js:\d+/);
    });
  }
});

describe('--version and completion on a stdout that stops working', () => {
  for (const args of [['--version'], ['--get-completions', 'bash', 'arpinject', 'probe', '--']]) {
    test(`${args[0]} into a closed pipe: exit 0, nothing on stderr`, async () => {
      const r = await runClosedStdout(args);
      assert.deepEqual([r.code, r.stderr], [0, '']);
    });
    test(`${args[0]} > /dev/full: ERR_FILE, exit 3, a message and no stack trace`, async () => {
      const r = await runFullStdout(args);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^arpinject: cannot write to standard output: ENOSPC/);
      assert.doesNotMatch(r.stderr, /Unhandled|at .*\.c?js:\d+/);
    });
  }
});

describe('stdout a shell pipe (a FIFO: plain writes, src/cli/fd-stream.ts) whose reader leaves', () => {
  // 3,000 frames from 3,000 senders: ~1 MB of records, far more than the pipe holds, so the CLI is
  // still writing when `head -c 1` leaves and its next write fails with EPIPE.
  const dir = mkdtempSync(join(tmpdir(), 'arpinject-fifo-'));
  const pcap = join(dir, 'many.pcap');
  before(() => {
    const w = PcapWriter.open(pcap);
    for (let i = 0; i < 3000; i++) {
      const mac = `02:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
      w.write(encodeArpFrame({ op: 2, senderMac: mac, senderIp: `10.1.${i >> 8}.${i & 0xff}`, targetMac: '02:00:00:00:00:01', targetIp: '10.0.0.1', ethDst: '02:00:00:00:00:01' }), Date.UTC(2026, 11, 1) + i);
    }
    w.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  test('a socket read late (Node stream, writes queued in the process): every record arrives before the process exits', async () => {
    // The CLI leaves with process.exit once its output was taken (src/cli/main.ts): here ~1 MB waits
    // in the process for a reader that starts after a second.
    const child = spawn(process.execPath, [CLI, 'watch', '--read', pcap, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    setTimeout(() => child.stdout.resume(), 1000);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
    const records = lines.map((l) => JSON.parse(l) as { type: string; frames?: number });
    assert.equal(code, 0);
    assert.equal(records.at(-1)?.type, 'summary');
    assert.equal(records.at(-1)?.frames, 3000);
    assert.ok(Buffer.concat(chunks).length > 500_000, `${Buffer.concat(chunks).length} bytes`);
  });

  for (const args of [['watch', '--read', pcap, '--json'], ['watch', '--read', pcap], ['--version']]) {
    test(`${args.join(' ').replace(pcap, 'many.pcap')} | head -c 1: exit 0, nothing on stderr`, async () => {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn('bash', ['-c', '"$0" "$1" "${@:2}" 2>"$ERRFILE" | head -c 1 > /dev/null; exit "${PIPESTATUS[0]}"', process.execPath, CLI, ...args], { stdio: 'ignore', env: { ...process.env, ERRFILE: join(dir, 'err.txt') } });
        child.on('close', (code) => resolve({ code, stderr: readFileSync(join(dir, 'err.txt'), 'utf8') }));
      });
      assert.deepEqual([r.code, r.stderr], [0, '']);
    });
  }
});

describe('a failed start leaves an earlier pcap alone', { skip: skipUnlessRoot }, () => {
  let dir: string;
  let lab: Lab | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'arpinject-old-'));
    lab = await Lab.create({ prefix: 'aiold', namespaces: ['a', 'b'], veths: [{ a: { ns: 'a', name: 'eth0', addrs: ['10.77.9.1/30'] }, b: { ns: 'b', name: 'eth0', addrs: ['10.77.9.2/30'] } }] });
  });
  after(async () => {
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  // Root without CAP_NET_RAW (setpriv drops it from the bounding set), inside a lab namespace: the
  // capture cannot open, so nothing is sent. (Not as `nobody`: a clone in a 0700 directory, as
  // `mktemp -d` makes, is not readable by nobody, and the CLI would not even load.)
  for (const cmd of [['watch', '-i', 'eth0'], ['probe', '-i', 'eth0', '-t', '10.77.9.2', '--sip', '10.77.9.1'], ['sweep', '-i', 'eth0', '10.77.9.2', '--sip', '10.77.9.1']]) {
    test(`${cmd[0]} without privileges: exit 3, old.pcap unchanged`, async () => {
      const f = join(dir, `${cmd[0]}-old.pcap`);
      writeFileSync(f, 'an earlier capture');
      const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile('ip', ['netns', 'exec', lab!.nsName('a'), 'setpriv', '--bounding-set=-net_raw,-net_admin', process.execPath, CLI, ...cmd, '--pcap', f], { encoding: 'utf8' }, (err, _o, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 255) : 0, stderr }),
        ),
      );
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /CAP_NET_RAW/);
      assert.equal(readFileSync(f, 'utf8'), 'an earlier capture');
    });
  }
});

describe('--pcap that cannot be written (in a lab namespace)', { skip: skipUnlessRoot }, () => {
  let lab: Lab | undefined;
  let ns: string;
  before(async () => {
    lab = await Lab.create({ prefix: 'aio', namespaces: ['a', 'b'], veths: [{ a: { ns: 'a', name: 'eth0', addrs: ['10.77.0.1/30'] }, b: { ns: 'b', name: 'eth0', addrs: ['10.77.0.2/30'] } }] });
    ns = lab.nsName('a');
  });
  after(async () => lab?.destroy());

  for (const target of ['/dev/full', '/proc/version']) {
    for (const cmd of [['watch', '-i', 'eth0', '--duration', '1'], ['probe', '-i', 'eth0', '-t', '10.77.0.2', '--timeout', '200'], ['sweep', '-i', 'eth0', '10.77.0.2', '--timeout', '200', '--retries', '0', '--wait', '0']]) {
      test(`${cmd[0]} --pcap ${target}: ERR_FILE, exit 3 (not 4)`, async () => {
        const r = await runCli(ns, [...cmd, '--pcap', target, '--json']);
        assert.equal(r.code, 3, r.stderr);
        assert.equal(r.records.find((x) => x.type === 'error')?.code, 'ERR_FILE');
      });
    }
  }
});
