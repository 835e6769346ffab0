/** `arpinject dad`: RFC 5227 address conflict detection (iputils arping -D): exit 0 free, 1 in use. */
import type { Argv, CommandModule } from 'yargs';
import { dad } from '../../probe/claims.js';
import { type DadTiming, FAST_DAD, RFC5227 } from '../../probe/timing.js';
import { checkInt } from '../../probe/options.js';
import { vendorDisplay } from '../../records/vendor.js';
import { type GlobalArgs, runCommand } from '../context.js';
import { parseDuration } from '../duration.js';
import { ExitCode } from '../exit-codes.js';
import { formatFinding } from '../format.js';
import { requireValues } from '../options.js';
import { COMMANDS } from './meta.js';
import { formatClaim, macWithVendor, withVendor } from './announce.js';

export interface DadArgs extends GlobalArgs {
  iface: string;
  ip: string;
  mac?: string;
  fast: boolean;
  probeWait?: string;
  probeNum?: number;
  probeMin?: string;
  probeMax?: string;
  announceWait?: string;
  promisc: boolean;
}

export const dadCommand: CommandModule<GlobalArgs, DadArgs> = {
  ...COMMANDS.dad,
  builder: (y) =>
    requireValues(
      y
        .option('iface', { alias: 'i', type: 'string', demandOption: 'give the interface: --iface IF', describe: 'interface to probe on' })
        .option('ip', { type: 'string', demandOption: 'give the address to check: --ip IP', describe: 'the address to check (ARP target IP; sender IP 0.0.0.0)' })
        .option('mac', { type: 'string', describe: "the MAC to probe from (default: the interface's)" })
        .option('fast', { type: 'boolean', default: false, describe: 'a tenth of the RFC 5227 waits (about 0.5 s): for tests and CI on a segment you control' })
        .option('probe-wait', { type: 'string', describe: 'seconds: random delay before the first probe is 0..this (RFC 5227 PROBE_WAIT, default 1)' })
        .option('probe-num', { type: 'number', describe: 'probes to send (PROBE_NUM, default 3)' })
        .option('probe-min', { type: 'string', describe: 'seconds: least gap between probes (PROBE_MIN, default 1)' })
        .option('probe-max', { type: 'string', describe: 'seconds: largest gap between probes (PROBE_MAX, default 2)' })
        .option('announce-wait', { type: 'string', describe: 'seconds to listen after the last probe (ANNOUNCE_WAIT, default 2)' })
        .option('promisc', { type: 'boolean', default: true, describe: 'promiscuous capture (--no-promisc: leave the NIC out of it)' }) as unknown as Argv<DadArgs>,
    ),
  handler: (argv) =>
    runCommand(argv, async ({ out, log, signal }) => {
      const base: DadTiming = argv.fast ? FAST_DAD : RFC5227;
      const timing: DadTiming = {
        probeWaitMs: argv.probeWait !== undefined ? parseDuration(argv.probeWait, '--probe-wait', 's', 3_600_000) : base.probeWaitMs,
        probeNum: argv.probeNum !== undefined ? checkInt(argv.probeNum, '--probe-num', 1, 100) : base.probeNum,
        probeMinMs: argv.probeMin !== undefined ? parseDuration(argv.probeMin, '--probe-min', 's', 3_600_000) : base.probeMinMs,
        probeMaxMs: argv.probeMax !== undefined ? parseDuration(argv.probeMax, '--probe-max', 's', 3_600_000) : base.probeMaxMs,
        announceWaitMs: argv.announceWait !== undefined ? parseDuration(argv.announceWait, '--announce-wait', 's', 3_600_000) : base.announceWaitMs,
      };
      const r = await dad({
        iface: argv.iface,
        ip: String(argv.ip),
        ...(argv.mac !== undefined ? { mac: argv.mac } : {}),
        timing,
        promisc: argv.promisc,
        onClaim: (c) => {
          const v = withVendor(c);
          out.json ? out.record(v) : out.line(formatClaim(v));
        },
        signal,
        logger: log,
      });
      for (const f of r.findings) out.json ? out.record(f) : out.line(formatFinding(f));
      const s = r.summary;
      const who = s.by.map((m) => macWithVendor(m, vendorDisplay(m)));
      out.summary(s, () => [
        `--- ${s.iface}: ${s.sent} probe(s) for ${s.ip} from ${s.mac} (sender IP 0.0.0.0), ${(s.durationMs / 1000).toFixed(2)} s${s.interrupted ? ', INTERRUPTED' : ''} ---`,
        s.inUse ? `${s.ip} is IN USE: claimed by ${who.join(', ')}` : s.interrupted ? `${s.ip}: no claim heard before the interruption (not a verdict)` : `${s.ip} is free: no other host claimed it`,
      ]);
      if (r.linkError) {
        out.error(r.linkError);
        return ExitCode.ENVIRONMENT;
      }
      return s.inUse ? ExitCode.NOT_MET : ExitCode.OK;
    }),
};
