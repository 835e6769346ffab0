/**
 * --verify-from: put the question to the real kernel. Runs the prober (this same CLI, `probe
 * --json`) on the peer interface, optionally inside another network namespace, and reads its NDJSON.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../errors.js';
import type { Observation } from './compare.js';

/** The built CLI: next to this file in dist/, or dist/ from the sources (tests run src/ through tsx). */
function cliPath(): string {
  const near = fileURLToPath(new URL('../cli/arpinject.cjs', import.meta.url));
  return existsSync(near) ? near : fileURLToPath(new URL('../../dist/cli/arpinject.cjs', import.meta.url));
}

export interface ObserveOptions {
  /** Interface to inject on (the peer of the explained device). */
  peer: string;
  /** Network namespace of `peer` (`ip netns exec`); omitted = this one. */
  netns?: string;
  tips: string[];
  sip: string;
  ethDst?: string;
  timeoutMs: number;
}

/** Inject one who-has per target from `peer` and collect every reply, per target. */
export function observeFromPeer(opts: ObserveOptions): Promise<Observation[]> {
  const cli = cliPath();
  const args = [cli, 'probe', '--iface', opts.peer, ...opts.tips.flatMap((t) => ['--tip', t]), '--sip', opts.sip, '--timeout', String(opts.timeoutMs), '--wait', '0', '--fail-on', 'none', '--json', ...(opts.ethDst ? ['--eth-dst', opts.ethDst] : [])];
  const [cmd, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, process.execPath, ...args]] : [process.execPath, args];
  const where = `--verify-from ${opts.peer}${opts.netns ? ` (netns ${opts.netns})` : ''}`;
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { encoding: 'utf8', timeout: opts.timeoutMs + 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const records: Array<{ type?: string; ip?: string; mac?: string; rttMs?: number; message?: string }> = [];
      for (const line of stdout.split('\n')) {
        if (!line.trim()) continue;
        try {
          records.push(JSON.parse(line));
        } catch {
          // not NDJSON: ignore
        }
      }
      if (!records.some((r) => r.type === 'summary')) {
        const msg = records.find((r) => r.type === 'error')?.message ?? (stderr.trim() || err?.message || 'no output');
        reject(new EnvironmentError('ERR_COMMAND_FAILED', `${where}: the probe failed: ${msg}`, { hint: existsSync(cli) ? 'the peer interface must exist (in --verify-netns) and be up' : `build the CLI first (npm run build): ${cli} is missing` }));
        return;
      }
      resolve(opts.tips.map((tip) => ({ tip, replies: records.filter((r) => r.type === 'reply' && r.ip === tip && r.mac).map((r) => ({ mac: r.mac!, rttMs: r.rttMs ?? 0 })) })));
    });
  });
}
