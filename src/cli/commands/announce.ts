/** `arpinject announce`: gratuitous ARP for an address (iputils arping -U / -A), reporting any other MAC that claims it. */
import type { Argv, CommandModule } from 'yargs';
import { type ClaimRecord, announce } from '../../probe/claims.js';
import { vendorDisplay, vendorOf } from '../../records/vendor.js';
import { type GlobalArgs, runCommand } from '../context.js';
import { parseDuration } from '../duration.js';
import { ExitCode } from '../exit-codes.js';
import { formatFinding } from '../format.js';
import { requireValues } from '../options.js';
import { COMMANDS } from './meta.js';

export interface AnnounceArgs extends GlobalArgs {
  iface: string;
  ip: string;
  mac?: string;
  count?: number;
  interval?: string;
  listen?: string;
  reply: boolean;
  promisc: boolean;
}

/** A claim with its vendor, one line for a person. */
export const withVendor = (c: ClaimRecord): ClaimRecord => ({ ...c, vendor: vendorOf(c.mac) });
/** "MAC (vendor)"; vendorDisplay's "(locally administered)" keeps its own parentheses. */
export const macWithVendor = (mac: string, vendor: string | null | undefined): string => (vendor ? `${mac} ${vendor.startsWith('(') ? vendor : `(${vendor})`}` : mac);
export const formatClaim = (c: ClaimRecord): string =>
  `claim   ${c.ip.padEnd(15)} is-at ${macWithVendor(c.mac, c.vendor ?? vendorDisplay(c.mac))}  by ${c.how === 'probe' ? 'a probe for it (RFC 5227, simultaneous)' : `an ARP ${c.how}`}${c.vlan !== null ? `  [vlan ${c.vlan}]` : ''}`;

export const announceCommand: CommandModule<GlobalArgs, AnnounceArgs> = {
  ...COMMANDS.announce,
  builder: (y) =>
    requireValues(
      y
        .option('iface', { alias: 'i', type: 'string', demandOption: 'give the interface: --iface IF', describe: 'interface to announce on' })
        .option('ip', { type: 'string', demandOption: 'give the address to announce: --ip IP', describe: 'the address to announce (ARP sender IP = target IP)' })
        .option('mac', { type: 'string', describe: "the MAC to announce it at (ARP sender and Ethernet source; default: the interface's)" })
        .option('count', { alias: 'c', type: 'number', describe: 'frames to send (default 1)' })
        .option('interval', { type: 'string', describe: 'seconds between frames (default 1; 0.2, 200ms)' })
        .option('listen', { type: 'string', describe: 'seconds to keep listening for another MAC claiming the address after the last frame (default 1; 0 = none)' })
        .option('reply', { type: 'boolean', default: false, describe: 'send gratuitous replies (op 2, target MAC = the announced MAC, as iputils arping -A) instead of requests' })
        .option('promisc', { type: 'boolean', default: true, describe: 'promiscuous capture (--no-promisc: leave the NIC out of it)' }) as unknown as Argv<AnnounceArgs>,
    ),
  handler: (argv) =>
    runCommand(argv, async ({ out, log, signal }) => {
      const r = await announce({
        iface: argv.iface,
        ip: String(argv.ip),
        ...(argv.mac !== undefined ? { mac: argv.mac } : {}),
        ...(argv.count !== undefined ? { count: argv.count } : {}),
        ...(argv.interval !== undefined ? { intervalMs: parseDuration(argv.interval, '--interval', 's', 3_600_000) } : {}),
        ...(argv.listen !== undefined ? { listenMs: parseDuration(argv.listen, '--listen', 's', 3_600_000) } : {}),
        reply: argv.reply,
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
      out.summary(s, () => [
        `--- ${s.iface}: announced ${s.ip} is-at ${s.mac}, ${s.sent} gratuitous ${s.announce}(s) sent${s.interrupted ? ', INTERRUPTED' : ''}, listened ${s.listenedMs / 1000} s after the last ---`,
        s.conflicts.length ? `CONFLICT: ${s.ip} is also claimed by ${s.conflicts.join(', ')}` : `no other MAC claimed ${s.ip}`,
      ]);
      if (r.linkError) {
        out.error(r.linkError);
        return ExitCode.ENVIRONMENT;
      }
      return s.ok ? ExitCode.OK : ExitCode.NOT_MET;
    }),
};
