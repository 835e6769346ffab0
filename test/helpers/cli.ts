/** Run the built CLI (dist/cli/arpinject.cjs, the bin) inside a network namespace and collect its output; every record is schema-checked. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { validateRecord } from './schema.js';

export const CLI = fileURLToPath(new URL('../../dist/cli/arpinject.cjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as NDJSON (lines that are not JSON are skipped). */
  records: Array<Record<string, any>>;
}

export function parseNdjson(text: string): Array<Record<string, any>> {
  const out: Array<Record<string, any>> = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let r: Record<string, any>;
    try {
      r = JSON.parse(line);
    } catch {
      continue; // human text
    }
    validateRecord(r);
    out.push(r);
  }
  return out;
}

/** `ns` = real netns name, or undefined to run in the current namespace. */
export function runCli(ns: string | undefined, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; uid?: number } = {}): Promise<CliResult> {
  const argv = ns ? ['ip', 'netns', 'exec', ns, process.execPath, CLI, ...args] : [process.execPath, CLI, ...args];
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs ?? 30_000, env: opts.env ?? process.env, ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}) }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 255) : 0;
      resolve({ code, stdout, stderr, records: parseNdjson(stdout) });
    });
  });
}

/** Start a long-running CLI command (respond, watch) and resolve once it printed a line matching `ready`. */
export function startCli(ns: string, args: string[], ready: RegExp = /"type":"ready"/): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after 10 s: ${args.join(' ')}\n${out}\n${err}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve({ child, output: () => out });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready: ${args.join(' ')}\n${out}\n${err}`));
    });
  });
}

export async function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}
