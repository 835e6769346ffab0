/**
 * tcpdump as a witness in a lab namespace: started, waited for until it listens, stopped with SIGINT
 * (so it prints its counters and flushes its file). The one copy every kernel test uses.
 */
import type { Lab } from '../../src/lab/lab.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TcpdumpResult {
  /** What it printed on stdout, a line a frame (with -l and no -w). */
  lines: string[];
  /** Its own counters from stderr (NaN when it did not print them). */
  captured: number;
  dropped: number;
  stderr: string;
}

/**
 * Start `tcpdump ARGS` in the lab namespace `ns` and resolve once it is listening. stop() waits
 * `settleMs` for the last frames, ends it with SIGINT and returns what it saw.
 */
export async function startTcpdump(lab: Lab, ns: string, args: string[], settleMs = 200): Promise<{ stop(): Promise<TcpdumpResult> }> {
  const child = lab.spawn(ns, ['tcpdump', '--immediate-mode', ...args]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const t0 = Date.now();
  while (!/listening on/.test(err)) {
    if (child.exitCode !== null || Date.now() - t0 > 10_000) throw new Error(`tcpdump did not start: ${err}`);
    await sleep(20);
  }
  return {
    async stop(): Promise<TcpdumpResult> {
      await sleep(settleMs);
      if (child.exitCode === null)
        await new Promise((r) => {
          child.once('exit', r);
          child.kill('SIGINT');
        });
      const num = (re: RegExp) => Number(re.exec(err)?.[1] ?? NaN);
      return { lines: out.split('\n').filter((l) => l.trim() !== ''), captured: num(/(\d+) packets? captured/), dropped: num(/(\d+) packets? dropped by kernel/), stderr: err };
    },
  };
}
