/** `arpinject explain`: predict (and with --verify-from, prove) whether this kernel answers a who-has. */
import type { Argv, CommandModule } from 'yargs';
import { VERIFY_SENDER_NOTE, explainLive } from '../../explain/live.js';
import { formatExplanation } from '../../explain/render.js';
import { checkInt, checkIp, checkMac } from '../../probe/options.js';
import { type GlobalArgs, runCommand } from '../context.js';
import { requireValues } from '../options.js';
import { COMMANDS } from './meta.js';
import { ExitCode } from '../exit-codes.js';

export interface ExplainArgs extends GlobalArgs {
  iface: string;
  tip: string[];
  sip?: string;
  ethDst?: string;
  expect?: string;
  verifyFrom?: string;
  verifyNetns?: string;
  verifyTimeout?: number;
  dumpState?: boolean;
}

export const explainCommand: CommandModule<GlobalArgs, ExplainArgs> = {
  ...COMMANDS.explain,
  builder: (y) =>
    requireValues(
    y
      .option('iface', { alias: 'i', type: 'string', demandOption: 'give the interface the request arrives on: --iface DEV', describe: 'interface that receives the request' })
      .option('tip', { alias: 't', type: 'string', array: true, demandOption: 'give the target: --tip IP', describe: 'the IP asked about (repeatable: one explanation each)' })
      .option('sip', { type: 'string', describe: "the request's sender IP (default: 0.0.0.0, a DAD probe, with --verify-from: it poisons no cache; else a free address of DEV's subnet)" })
      .option('eth-dst', { type: 'string', describe: "the request's Ethernet destination (default broadcast; DEV's MAC = unicast, skips proxy_delay)" })
      .option('expect', { type: 'string', choices: ['reply', 'no-reply'], describe: 'exit 1 unless every verdict is this' })
      .option('verify-from', { type: 'string', describe: 'inject the request from this interface (the peer of DEV), capture, and compare with the prediction' })
      .option('verify-netns', { type: 'string', describe: 'network namespace of --verify-from (default: this one)' })
      .option('verify-timeout', { type: 'number', describe: "ms to wait for the kernel's reply (default: DEV's proxy_delay + 15% + 300 ms)" })
      .option('dump-state', { type: 'boolean', default: false, describe: 'with --json: add the state snapshot the model read ("state")' }) as unknown as Argv<ExplainArgs>),
  handler: (argv) =>
    runCommand(argv, async ({ out }) => {
      const tips = [...new Set(argv.tip.map((t) => checkIp(String(t), '--tip')))];
      const sip = argv.sip !== undefined ? checkIp(String(argv.sip), '--sip') : undefined;
      const ethDst = argv.ethDst !== undefined ? checkMac(argv.ethDst, '--eth-dst') : undefined;
      const verifyTimeoutMs = argv.verifyTimeout !== undefined ? checkInt(argv.verifyTimeout, '--verify-timeout', 1, 600_000) : undefined;
      if (sip === undefined && argv.verifyFrom !== undefined) out.note(`note: ${VERIFY_SENDER_NOTE}`);
      const results = await explainLive({
        iface: argv.iface,
        tips,
        ...(sip !== undefined ? { sip } : {}),
        ...(ethDst ? { ethDst } : {}),
        ...(argv.verifyFrom !== undefined ? { verifyFrom: argv.verifyFrom } : {}),
        ...(argv.verifyNetns !== undefined ? { verifyNetns: argv.verifyNetns } : {}),
        ...(verifyTimeoutMs !== undefined ? { verifyTimeoutMs } : {}),
        includeState: argv.dumpState === true && out.json,
      });
      let code: number = ExitCode.OK;
      results.forEach((r, i) => {
        if (argv.expect !== undefined && argv.expect !== r.verdict) code = ExitCode.NOT_MET;
        if (r.verification && !r.verification.agrees) code = ExitCode.NOT_MET;
        if (out.json) out.record(r);
        else {
          if (i > 0) out.line('');
          for (const l of formatExplanation(r, r.verification, out.paint)) out.line(l);
        }
      });
      return code;
    }),
};
