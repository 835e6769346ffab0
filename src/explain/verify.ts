/**
 * --verify-from: put the question to the real kernel. Runs the prober (this same CLI) on the peer
 * interface, optionally inside another network namespace, and reads its NDJSON summary.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../errors.js';

export interface Observation {
  answered: boolean;
  macs: string[];
  rttMs: number | null;
  timeoutMs: number;
}

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export function observe(opts: { peer: string; netns?: string; tip: string; sip: string; ethDst?: string; timeoutMs: number }): Promise<Observation> {
  const args = [CLI, 'probe', '--iface', opts.peer, '--tip', opts.tip, '--sip', opts.sip, '--timeout', String(opts.timeoutMs), '--json', ...(opts.ethDst ? ['--eth-dst', opts.ethDst] : [])];
  const argv = opts.netns ? ['ip', ['netns', 'exec', opts.netns, process.execPath, ...args]] : [process.execPath, args];
  return new Promise((resolve, reject) => {
    execFile(argv[0] as string, argv[1] as string[], { encoding: 'utf8', timeout: opts.timeoutMs + 30_000 }, (err, stdout, stderr) => {
      const lines = stdout.trim().split('\n').filter(Boolean);
      let last: { type?: string; answered?: number; macs?: Record<string, string[]>; rttMs?: { min: number } | null; message?: string } = {};
      try {
        last = JSON.parse(lines[lines.length - 1] ?? '{}');
      } catch {
        // fall through
      }
      if (last.type !== 'summary') {
        reject(new EnvironmentError('ERR_COMMAND_FAILED', `--verify-from ${opts.peer}${opts.netns ? ` (netns ${opts.netns})` : ''}: the probe failed: ${last.message ?? (stderr.trim() || (err?.message ?? 'no output'))}`));
        return;
      }
      resolve({ answered: (last.answered ?? 0) > 0, macs: last.macs?.[opts.tip] ?? [], rttMs: last.rttMs?.min ?? null, timeoutMs: opts.timeoutMs });
    });
  });
}
