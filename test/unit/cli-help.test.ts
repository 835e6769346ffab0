/**
 * Help, unknown commands, shell completion and the man page, in-process (main(argv, io)) and against
 * real bash, groff and man. Nothing is sent: no command here reaches an interface but nosuch0.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runMain } from '../helpers/main.js';
import { COMMANDS, type CommandName } from '../../src/cli/commands/meta.js';
import { COMMAND_HELP, exitCodes, findingsOf } from '../../src/cli/help.js';
import { EXIT_CODE_MEANINGS } from '../../src/cli/exit-codes.js';
import { FINDING_KINDS } from '../../src/findings/finding.js';
import { MAN_PATH, renderManPage } from '../../scripts/man.js';
import { exitCodesTable } from '../../schema/docs.js';

const cli = (args: string[]) => runMain(args);

/** yargs writes help through console.log: capture it. */
async function help(args: string[]): Promise<{ code: number; text: string }> {
  const log = console.log;
  let text = '';
  console.log = (...a: unknown[]) => void (text += a.join(' ') + '\n');
  try {
    const r = await cli(args);
    return { code: r.code, text: text + r.stdout };
  } finally {
    console.log = log;
  }
}

const squash = (s: string): string => s.replace(/\s+/g, ' ');
const NAMES = Object.keys(COMMANDS) as CommandName[];

describe('--help: examples and exit codes for every command', () => {
  for (const name of NAMES)
    test(`${name} --help: its 3-5 examples, its exit codes with their meanings`, async () => {
      const { code, text } = await help([name, '--help']);
      assert.equal(code, 0);
      const flat = squash(text);
      const h = COMMAND_HELP[name];
      assert.ok(h.examples.length >= 3 && h.examples.length <= 5, `${name}: ${h.examples.length} examples`);
      assert.match(text, /^Examples:$/m);
      // yargs wraps both columns: the first words of the command line and of its description are on one line.
      for (const [cmd, what] of h.examples) {
        const line = cmd.replace(/\$0/g, 'arpinject');
        assert.ok(text.includes(line.split(' ').slice(0, 3).join(' ')), `example "${line}" in ${name} --help`);
        assert.ok(flat.includes(what.split(' ').slice(0, 3).join(' ')), `"${what}" in ${name} --help`);
      }
      assert.match(text, /^Exit codes:$/m);
      for (const e of exitCodes(name)) {
        assert.match(text, new RegExp(`^  ${e.code} +\\S`, 'm'), `exit ${e.code} in ${name} --help`);
        assert.ok(flat.includes(squash(e.meaning)), `meaning of ${e.code} in ${name} --help`);
      }
    });

  test('per-command meanings: sweep 1 is a finding at or above --fail-on; respond never exits 1; every command has 2, 3 and 4', () => {
    assert.match(exitCodes('sweep').find((e) => e.code === 1)!.meaning, /finding at or above --fail-on/);
    assert.equal(exitCodes('respond').some((e) => e.code === 1), false);
    for (const n of NAMES) for (const c of [2, 4]) assert.ok(exitCodes(n).some((e) => e.code === c), `${n} ${c}`);
  });

  test("sweep --help lists every finding the registry says sweep raises, and no other", async () => {
    const { text } = await help(['sweep', '--help']);
    const mine = Object.entries(FINDING_KINDS).filter(([, k]) => (k.raisedBy as readonly string[]).includes('sweep'));
    assert.ok(mine.length >= 5);
    assert.deepEqual(findingsOf('sweep').map((f) => f.kind), mine.map(([k]) => k));
    for (const [kind, k] of mine) assert.match(text, new RegExp(`^  ${kind} +${k.severity} `, 'm'), kind);
    for (const kind of ['flip-flop', 'reply-storm', 'foreign-sender']) assert.doesNotMatch(text, new RegExp(`^  ${kind} `, 'm'));
  });

  test('the top-level --help: commands, examples and every exit code of the table, once', async () => {
    const { code, text } = await help(['--help']);
    assert.equal(code, 0);
    for (const n of NAMES) assert.match(text, new RegExp(`^  arpinject ${n}\\b`, 'm'));
    assert.equal(text.match(/^Examples:$/gm)?.length, 1);
    assert.equal(text.match(/^Exit codes:$/gm)?.length, 1);
    for (const e of EXIT_CODE_MEANINGS) assert.match(text, new RegExp(`^  ${e.code} +${e.meaning.split(' ')[0]}`, 'm'));
  });
});

describe('an unknown command', () => {
  test('sweeep 10.0.0.0/24: unknown command "sweeep", did you mean "sweep"?, exit 2', async () => {
    const r = await cli(['sweeep', '10.0.0.0/24']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^arpinject: unknown command "sweeep", did you mean "sweep"\?\n  hint: commands: probe, respond, sweep/m);
    assert.doesNotMatch(r.stderr, /Missing required argument/);
  });
  test('with --json: an error record, ERR_INVALID_ARGUMENT', async () => {
    const r = await cli(['wacth', '-i', 'nosuch0', '--json']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /did you mean "watch"\?/);
    assert.match(r.stdout, /"type":"error","code":"ERR_INVALID_ARGUMENT"/);
  });
  test('nothing close: no suggestion', async () => {
    const r = await cli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^arpinject: unknown command "frobnicate"\n/m);
  });
  test('no command: --iface X --tip Y still runs probe (nosuch0: exit 3, the interface named)', async () => {
    const r = await cli(['--iface', 'nosuch0', '--tip', '10.0.0.2', '--sip', '10.0.0.1']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /interface nosuch0 does not exist/);
    const s = await cli(['-i', 'nosuch0', '-t', '10.0.0.2']);
    assert.equal(s.code, 3, s.stderr);
  });
});

describe('shell completion', () => {
  const complete = async (shell: string, ...words: string[]) => (await cli(['--get-completions', shell, 'arpinject', ...words])).stdout.split('\n').filter(Boolean);

  test('completion bash / zsh print their scripts; fish is bad input (exit 2)', async () => {
    const bash = await cli(['completion', 'bash']);
    assert.equal(bash.code, 0);
    assert.match(bash.stdout, /^complete -o bashdefault -o default -F _arpinject arpinject$/m);
    assert.match(bash.stdout, /arpinject --get-completions bash/);
    const zsh = await cli(['completion', 'zsh']);
    assert.equal(zsh.code, 0);
    assert.match(zsh.stdout, /^#compdef arpinject$/m);
    assert.match(zsh.stdout, /arpinject --get-completions zsh/);
    assert.equal((await cli(['completion', 'fish'])).code, 2);
  });

  test('commands, options, --no-X, choices and a command\'s positional choices', async () => {
    assert.deepEqual(await complete('bash', ''), NAMES);
    assert.deepEqual(await complete('bash', 'sw'), ['sweep']);
    assert.ok((await complete('bash', 'sweep', '--')).includes('--max-ips-per-mac'));
    assert.deepEqual(await complete('bash', 'sweep', '--fail'), ['--fail-on']);
    assert.deepEqual(await complete('bash', 'sweep', '--fail-on', ''), ['info', 'warning', 'critical', 'none']);
    assert.deepEqual(await complete('bash', 'watch', '--no-'), ['--no-promisc']);
    assert.deepEqual(await complete('bash', 'sweep', '--color', 'a'), ['auto', 'always']);
    assert.deepEqual(await complete('bash', '--if'), ['--iface'], 'no command: probe\'s options');
    assert.deepEqual(await complete('bash', 'completion', ''), ['bash', 'zsh']);
    assert.deepEqual(await complete('bash', 'sweep', '--pcap', ''), [], 'a file name: the shell completes it');
    assert.deepEqual(await complete('zsh', 'tr'), [`trigger:${COMMANDS.trigger.describe}`]);
  });

  test('real bash: the script sourced, Tab on "arpinject sweep --fa" and "arpinject wa"', async () => {
    const bash = spawnSync('bash', ['--version']);
    if (bash.status !== 0) return;
    const mainTs = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const script = (await cli(['completion', 'bash'])).stdout;
    const run = (words: string[]) =>
      execFileSync(
        'bash',
        ['-c', `arpinject() { "${process.execPath}" --import tsx "${mainTs}" "$@"; }\n${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _arpinject; printf '%s\\n' "\${COMPREPLY[@]}"`],
        { encoding: 'utf8' },
      )
        .split('\n')
        .filter(Boolean);
    assert.deepEqual(run(['arpinject', 'sweep', '--fa']), ['--fail-on']);
    assert.deepEqual(run(['arpinject', 'wa']), ['watch']);
  });
});

describe('man page', () => {
  test('man/arpinject.1 is what scripts/man.ts generates now (npm run man)', async () => {
    assert.equal(readFileSync(MAN_PATH, 'utf8'), await renderManPage(), 'out of date: run npm run man');
  });
  test('it has every command, its examples and the exit codes', async () => {
    const page = await renderManPage();
    for (const n of NAMES) {
      assert.match(page, new RegExp(`^\\.SS "arpinject ${n}`, 'm'));
      assert.ok(page.includes(COMMAND_HELP[n].examples[0]![0].replace(/\$0/g, 'arpinject').replace(/-/g, '\\-').split(' ').slice(0, 3).join(' ')), n);
    }
    for (const e of EXIT_CODE_MEANINGS) assert.match(page, new RegExp(`^\\.B ${e.code}$`, 'm'));
  });
  test('groff renders it without a warning; man -l renders it', () => {
    const g = spawnSync('groff', ['-man', '-ww', '-z', '-Tutf8', MAN_PATH], { encoding: 'utf8' });
    if (!g.error) assert.deepEqual([g.status, g.stderr], [0, ''], 'groff warnings');
    const m = spawnSync('man', ['-l', MAN_PATH], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '100', MANPAGER: 'cat', PAGER: 'cat' } });
    if (m.error) {
      assert.ok(!g.error, 'neither man nor groff is installed');
      return;
    }
    assert.equal(m.status, 0, m.stderr);
    for (const s of ['NAME', 'SYNOPSIS', 'GLOBAL OPTIONS', 'COMMANDS', 'EXIT STATUS', 'arpinject sweep [targets..]', '--fail-on info|warning|critical|none']) assert.ok(m.stdout.includes(s), s);
  });
  test("README's exit-code table is the same table (npm run docs writes it)", () => {
    assert.ok(readFileSync(new URL('../../README.md', import.meta.url), 'utf8').includes(exitCodesTable()));
  });
  test('package.json installs it (files, man)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { files: string[]; man: string[] };
    assert.ok(pkg.files.includes('man'));
    assert.deepEqual(pkg.man, ['./man/arpinject.1']);
  });
});
