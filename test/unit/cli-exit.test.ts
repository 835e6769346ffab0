/** runCommand in this process: a signal ends the run with what was collected, and the exit code names the signal. */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { runCommand } from '../../src/cli/context.js';
import { ExitCode, exitCodeForSignal } from '../../src/cli/exit-codes.js';

const args = { json: false, logLevel: 'silent', debug: false };

/** Resolves when the run is aborted; a timer keeps the event loop alive until then (a signal handler does not). */
function aborted(signal: AbortSignal): Promise<void> {
  const keep = setInterval(() => {}, 1000);
  return new Promise((r) => signal.addEventListener('abort', () => (clearInterval(keep), r()), { once: true }));
}

afterEach(() => {
  process.exitCode = 0;
});

for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
  test(`${sig}: the handler still finishes (summary), exit ${code}`, async () => {
    let finished = false;
    await runCommand(args, async ({ signal }) => {
      setImmediate(() => process.kill(process.pid, sig));
      await aborted(signal);
      finished = true;
      return ExitCode.OK;
    });
    assert.equal(finished, true);
    assert.equal(process.exitCode, code);
    assert.equal(exitCodeForSignal(sig), code);
  });
}

test('a command a signal ends normally (watch, respond) keeps its own code on SIGTERM', async () => {
  await runCommand(args, async ({ signal }) => {
    setImmediate(() => process.kill(process.pid, 'SIGTERM'));
    await aborted(signal);
    return ExitCode.NOT_MET;
  }, { signalEndsNormally: true });
  assert.equal(process.exitCode, ExitCode.NOT_MET);
});
