/** `arpinject explain`: predict (and with --verify-from, prove) whether the kernel answers a who-has. */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { interfaceIpv4 } from '../../link/interfaces.js';
import { type Explanation, explain } from '../../explain/model.js';
import { readExplainState } from '../../explain/read-linux.js';
import { observe } from '../../explain/verify.js';
import { checkIp, checkMac } from '../../probe/options.js';
import { formatIpv4, parseIpv4 } from '../../wire/address.js';
import { type GlobalArgs, runCommand } from '../context.js';
import { ExitCode } from '../exit-codes.js';

export interface ExplainArgs extends GlobalArgs {
  iface: string;
  tip: string;
  sip?: string;
  ethDst?: string;
  expect?: string;
  verifyFrom?: string;
  verifyNetns?: string;
}

/** Default sender: the first host address of DEV's first prefix that is not one of DEV's own. */
function defaultSip(dev: string): string {
  const a = interfaceIpv4(dev).find((x) => x.scope !== 'host' && x.prefixLen <= 30);
  if (!a) throw new UsageError('ERR_NO_SOURCE_IP', `${dev} has no IPv4 subnet to pick a sender from`, { hint: 'give the sender of the request: --sip IP' });
  const own = new Set(interfaceIpv4(dev).map((x) => x.address));
  const base = (parseIpv4(a.address)! & ((0xffffffff << (32 - a.prefixLen)) >>> 0)) >>> 0;
  for (let i = 1; i < 2 ** (32 - a.prefixLen) - 1; i++) if (!own.has(formatIpv4(base + i))) return formatIpv4(base + i);
  throw new UsageError('ERR_NO_SOURCE_IP', `no free sender address in ${dev}'s subnet`, { hint: '--sip IP' });
}

export function formatExplanation(e: Explanation): string[] {
  const lines = [`${e.verdict === 'reply' ? 'REPLY' : 'NO REPLY'}: who-has ${e.inputs.tip} tell ${e.inputs.sip} on ${e.inputs.dev}`];
  if (e.verdict === 'reply') lines.push(`  delay: ${e.delayMs.max === 0 ? 'none' : `0-${e.delayMs.max} ms (proxy_delay)`}`);
  lines.push(`  why: ${e.reason}`);
  if (e.fix) lines.push(`  to change it: ${e.fix}`);
  lines.push('  steps:');
  for (const s of e.steps) lines.push(`    [${s.result}] ${s.step}: ${s.detail}`);
  for (const w of e.warnings) lines.push(`  note: ${w}`);
  lines.push(`  model: ${e.inputs.model}; running ${e.inputs.kernel}`);
  return lines;
}

export const explainCommand: CommandModule<GlobalArgs, ExplainArgs> = {
  command: 'explain',
  describe: 'explain whether and why this host answers a who-has on an interface (run it on the receiving host)',
  builder: (y) =>
    y
      .option('iface', { alias: 'i', type: 'string', demandOption: 'give the interface the request arrives on: --iface DEV', describe: 'interface that receives the request' })
      .option('tip', { alias: 't', type: 'string', demandOption: 'give the target: --tip IP', describe: 'the IP asked about' })
      .option('sip', { type: 'string', describe: "the request's sender IP (default: a free address of DEV's subnet; 0.0.0.0 = DAD probe)" })
      .option('eth-dst', { type: 'string', describe: "the request's Ethernet destination (default broadcast; DEV's MAC = unicast, skips proxy_delay)" })
      .option('expect', { type: 'string', choices: ['reply', 'no-reply'], describe: 'exit 1 unless the verdict is this' })
      .option('verify-from', { type: 'string', describe: 'inject the request from this interface (the peer of DEV) and compare with the kernel' })
      .option('verify-netns', { type: 'string', describe: 'network namespace of --verify-from' }) as unknown as Argv<ExplainArgs>,
  handler: (argv) =>
    runCommand(argv, async ({ out }) => {
      const tip = checkIp(argv.tip, '--tip');
      const sip = argv.sip !== undefined ? checkIp(String(argv.sip), '--sip') : defaultSip(argv.iface);
      const ethDst = argv.ethDst !== undefined ? checkMac(argv.ethDst, '--eth-dst') : undefined;
      const req = { tip, sip, ...(ethDst ? { ethDst } : {}) };
      const e = explain(readExplainState(argv.iface, req), req);
      let code: number = argv.expect !== undefined && argv.expect !== e.verdict ? ExitCode.NOT_MET : ExitCode.OK;
      let verification: { observed: 'reply' | 'no-reply'; agrees: boolean; macs: string[]; rttMs: number | null } | undefined;
      if (argv.verifyFrom !== undefined) {
        const obs = await observe({ peer: argv.verifyFrom, ...(argv.verifyNetns ? { netns: argv.verifyNetns } : {}), tip, sip, ...(ethDst ? { ethDst } : {}), timeoutMs: e.delayMs.max > 0 ? e.delayMs.max + 700 : 500 });
        const observed = obs.answered ? 'reply' : 'no-reply';
        verification = { observed, agrees: observed === e.verdict, macs: obs.macs, rttMs: obs.rttMs };
        if (!verification.agrees) code = ExitCode.NOT_MET;
      }
      if (out.json) out.record({ ...e, ...(verification ? { verification } : {}) });
      else {
        for (const l of formatExplanation(e)) out.line(l);
        if (verification)
          out.line(
            `  verified from ${argv.verifyFrom}: the kernel ${verification.observed === 'reply' ? `replied (${verification.macs.join(', ')}, ${verification.rttMs} ms)` : 'did not reply'}: ${verification.agrees ? 'prediction confirmed' : 'PREDICTION WRONG'}`,
          );
      }
      return code;
    }),
};
