/**
 * Colour and log lines, in-process (main(argv, io)) on fake terminals: a PassThrough with isTTY set
 * is a terminal to the CLI. The input is a pcap fixture (watch --read): nothing is sent, no privileges.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runMain, textStream as stream } from '../helpers/main.js';
import { colorEnabled } from '../../src/cli/color.js';
import { createCliLogger, formatLogLine } from '../../src/cli/logger.js';
import { runCommand } from '../../src/cli/context.js';
import { setCliIo } from '../../src/cli/io.js';
import { ansi } from '../../src/cli/color.js';
import { formatProbeSummary } from '../../src/cli/format.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const ESC = /\x1b\[/;
const tmp = mkdtempSync(join(tmpdir(), 'arpinject-color-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (args: string[], tty: { stdout?: boolean; stderr?: boolean } = {}) => runMain(args, { tty });

// The test runner's own environment must not decide.
const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR, TERM: process.env.TERM };
beforeEach(() => {
  delete process.env.NO_COLOR;
  delete process.env.FORCE_COLOR;
  process.env.TERM = 'xterm-256color';
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
});

describe('colour: verdicts and severities, on a terminal only', () => {
  // storm.pcap raises a reply-storm (critical): watch prints a "!! CRITICAL ..." line.
  const watch = ['watch', '-r', fixture('storm.pcap')];

  test('the matrix: TTY x --color x NO_COLOR x FORCE_COLOR x --json', async () => {
    const cases: Array<{ tty: boolean; args?: string[]; env?: Record<string, string>; colour: boolean }> = [
      { tty: true, colour: true },
      { tty: false, colour: false },
      { tty: true, args: ['--color', 'never'], colour: false },
      { tty: false, args: ['--color', 'always'], colour: true },
      { tty: true, env: { NO_COLOR: '1' }, colour: false },
      { tty: true, env: { NO_COLOR: '' }, colour: true },
      { tty: true, args: ['--color', 'always'], env: { NO_COLOR: '1' }, colour: true },
      { tty: false, env: { FORCE_COLOR: '1' }, colour: true },
      { tty: true, env: { FORCE_COLOR: '0' }, colour: false },
      { tty: false, args: ['--color', 'never'], env: { FORCE_COLOR: '1' }, colour: false },
      { tty: true, args: ['--json'], colour: false },
      { tty: true, args: ['--json', '--color', 'always'], env: { FORCE_COLOR: '1' }, colour: false },
    ];
    for (const c of cases) {
      delete process.env.NO_COLOR;
      delete process.env.FORCE_COLOR;
      Object.assign(process.env, c.env ?? {});
      const r = await cli([...watch, ...(c.args ?? [])], { stdout: c.tty });
      const what = `tty=${c.tty} ${JSON.stringify(c.args ?? [])} ${JSON.stringify(c.env ?? {})}`;
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      assert.match(r.stdout, /CRITICAL|"severity":"critical"/, what);
      assert.equal(ESC.test(r.stdout), c.colour, what);
    }
  });

  test('critical is red, and only the severity word is coloured', async () => {
    const r = await cli(watch, { stdout: true });
    const line = r.stdout.split('\n').find((l) => l.includes('CRITICAL'))!;
    assert.match(line, /!! \x1b\[1;31mCRITICAL\x1b\[0m [a-z-]+: /);
    assert.equal(line.replace(/\x1b\[[0-9;]*m/g, '').includes('\x1b'), false);
    // Without colour the same line, byte for byte.
    const plainLines = (await cli(watch)).stdout.split('\n');
    assert.ok(plainLines.includes(line.replace(/\x1b\[[0-9;]*m/g, '')));
  });

  test('the paint: critical red, warning yellow, info cyan, good green, bad red', () => {
    assert.equal(ansi.severity('critical', 'CRITICAL'), '\x1b[1;31mCRITICAL\x1b[0m');
    assert.equal(ansi.severity('warning', 'WARNING'), '\x1b[33mWARNING\x1b[0m');
    assert.equal(ansi.severity('info', 'info'), '\x1b[36minfo\x1b[0m');
    assert.equal(ansi.good('met'), '\x1b[32mmet\x1b[0m');
    assert.equal(ansi.bad('NOT met'), '\x1b[1;31mNOT met\x1b[0m');
  });

  test("probe's verdict: met green, NOT met red; nothing else in the summary coloured", () => {
    const s = { type: 'summary', iface: 'bond0', targets: 1, sent: 1, replies: 1, answered: 1, unanswered: 0, unsolicited: 0, unsolicitedByMac: {}, malformed: 0, dropped: 0, claims: {}, conflicts: [], rttMs: null, durationMs: 5, interrupted: false, expect: 'reply' } as const;
    const met = formatProbeSummary(s, { sip: '10.0.0.1', sha: 'm' }, { ok: true, reason: 'all answered' }, ansi);
    assert.equal(met.at(-1), 'expect reply: \x1b[32mmet\x1b[0m (all answered)');
    const not = formatProbeSummary(s, { sip: '10.0.0.1', sha: 'm' }, { ok: false, reason: 'none' }, ansi);
    assert.equal(not.at(-1), 'expect reply: \x1b[1;31mNOT met\x1b[0m (none)');
    assert.equal(met.slice(0, -1).some((l) => ESC.test(l)), false);
  });

  test('colorEnabled: TERM=dumb is no terminal for colour; FORCE_COLOR=false is off', () => {
    assert.equal(colorEnabled('auto', { isTTY: true }, { env: { TERM: 'dumb' } }), false);
    assert.equal(colorEnabled('auto', { isTTY: false }, { env: { FORCE_COLOR: 'false' } }), false);
    assert.equal(colorEnabled('auto', { isTTY: true }, { env: {} }), true);
  });
});

describe('log lines: for a person on a terminal, pino JSON elsewhere', () => {
  // A pcap whose last record is cut short: watch logs a warning about it.
  const truncated = join(tmp, 'truncated.pcap');
  const whole = readFileSync(fixture('pair.pcap'));
  writeFileSync(truncated, whole.subarray(0, whole.length - 3));

  test('stderr a terminal: "HH:MM:SS.mmm WARN  message  key=value", no JSON', async () => {
    const r = await cli(['watch', '-r', truncated, '--color', 'never'], { stderr: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^\d\d:\d\d:\d\d\.\d{3} WARN  the last record of the file is cut short \(ignored\)  file=\S+truncated\.pcap$/m);
    assert.doesNotMatch(r.stderr, /"level"/);
  });

  test('stderr not a terminal, or --log-format json: pino NDJSON as before', async () => {
    for (const [args, tty] of [[[], false], [['--log-format', 'json'], true]] as const) {
      const r = await cli(['watch', '-r', truncated, ...args], { stderr: tty });
      const line = r.stderr.split('\n').find((l) => l.startsWith('{'));
      assert.ok(line, r.stderr);
      const o = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual([o.level, o.msg, o.name], [40, 'the last record of the file is cut short (ignored)', 'arpinject']);
    }
  });

  test('--log-format text: log lines for a person even off a terminal', async () => {
    const r = await cli(['watch', '-r', truncated, '--log-format', 'text', '--log-level', 'info']);
    assert.match(r.stderr, /^\d\d:\d\d:\d\d\.\d{3} WARN  the last record/m);
  });

  test('the level word is coloured on a colour terminal', async () => {
    const r = await cli(['watch', '-r', truncated], { stderr: true });
    assert.match(r.stderr, / \x1b\[33mWARN \x1b\[0m the last record/);
  });

  test('the Ctrl-C notice on a terminal: one readable line with the signal', async () => {
    const err = stream(true);
    setCliIo({ stdout: stream(false), stderr: err });
    try {
      await runCommand({ json: false, logLevel: 'warn', debug: false, color: 'never' }, async ({ signal }) => {
        const keep = setInterval(() => {}, 1000);
        setImmediate(() => process.kill(process.pid, 'SIGINT'));
        await new Promise<void>((r) => signal.addEventListener('abort', () => (clearInterval(keep), r()), { once: true }));
        return 0;
      });
    } finally {
      setCliIo(undefined);
      process.exitCode = 0;
    }
    assert.match(err.text(), /^\d\d:\d\d:\d\d\.\d{3} WARN  interrupted: finishing with what was collected  signal=SIGINT\n$/);
  });

  test('formatLogLine: fields as key=value, strings with spaces quoted, errors by message, non-JSON passed through', () => {
    const t = new Date(2026, 0, 2, 3, 4, 5, 6).getTime();
    assert.equal(
      formatLogLine(JSON.stringify({ level: 30, time: t, name: 'arpinject', iface: 'eth0', targets: 3, rule: 'first address of eth0', msg: 'probe' })),
      '03:04:05.006 INFO  probe  iface=eth0 targets=3 rule="first address of eth0"\n',
    );
    assert.equal(formatLogLine(JSON.stringify({ level: 50, time: t, err: { type: 'Error', message: 'boom', stack: 'x' }, msg: 'capture failed' })), '03:04:05.006 ERROR capture failed  err="boom"\n');
    assert.equal(formatLogLine('not json'), 'not json\n');
  });

  test('createCliLogger below the level loads nothing and writes nothing', () => {
    const err = stream(true);
    setCliIo({ stdout: stream(false), stderr: err });
    try {
      createCliLogger('warn', { format: 'text' }).info({ a: 1 }, 'hidden');
    } finally {
      setCliIo(undefined);
    }
    assert.equal(err.text(), '');
  });
});
