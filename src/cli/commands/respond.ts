/** `arpinject respond`: a scriptable ARP host for labs and tests (answers who-has for claimed IPs). */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { PcapLink } from '../../link/pcap-link.js';
import { interfaceMac } from '../../link/interfaces.js';
import { type Claim, startResponder } from '../../lab/responder.js';
import { systemClock } from '../../time/clock.js';
import { checkInt, checkIp, checkMac } from '../../probe/options.js';
import { type GlobalArgs, runCommand } from '../context.js';
import { requireValues } from '../options.js';
import { COMMANDS } from './meta.js';
import { ExitCode } from '../exit-codes.js';

export interface RespondArgs extends GlobalArgs {
  iface: string;
  claim: string[];
  ethSrc?: string;
  delay?: number;
  duration?: number;
  vlan?: number[];
}

export function parseClaim(text: string, defaultMac: () => string, ethSrc?: string): Claim {
  const [ip, mac, ...rest] = String(text).split('=');
  if (ip === undefined || rest.length > 0) throw new UsageError('ERR_INVALID_ARGUMENT', `--claim: "${text}" is not IP or IP=MAC`);
  if (mac !== undefined && mac.trim() === '') throw new UsageError('ERR_INVALID_ARGUMENT', `--claim: "${text}" has "=" but no MAC`, { hint: 'give IP=MAC, or just IP for the interface MAC' });
  return { ip: checkIp(ip, '--claim'), mac: mac !== undefined ? checkMac(mac, '--claim') : defaultMac(), ...(ethSrc ? { ethSrc } : {}) };
}

export const respondCommand: CommandModule<GlobalArgs, RespondArgs> = {
  ...COMMANDS.respond,
  builder: (y) =>
    requireValues(
    y
      .option('iface', { alias: 'i', type: 'string', demandOption: 'give the interface: --iface IF', describe: 'interface to answer on' })
      .option('claim', { type: 'string', array: true, demandOption: 'give at least one --claim IP[=MAC]', describe: 'IP[=MAC] to answer for (repeat an IP with other MACs to answer several times)' })
      .option('eth-src', { type: 'string', describe: 'Ethernet source for the replies when it must differ from the ARP sender MAC' })
      .option('delay', { type: 'number', describe: 'ms to delay each reply' })
      .option('vlan', { type: 'number', array: true, describe: 'answer only requests tagged with this VLAN id (repeatable); untagged requests are then ignored' })
      .option('duration', { type: 'number', describe: 'seconds to run (default: until SIGINT/SIGTERM)' }) as unknown as Argv<RespondArgs>),
  handler: (argv) =>
    runCommand(argv, async ({ out, log, signal }) => {
      const ethSrc = argv.ethSrc !== undefined ? checkMac(argv.ethSrc, '--eth-src') : undefined;
      const claims = argv.claim.map((c) => parseClaim(c, () => interfaceMac(argv.iface), ethSrc));
      const delayMs = argv.delay !== undefined ? checkInt(argv.delay, '--delay', 0, 60_000) : 0;
      const durationS = argv.duration !== undefined ? checkInt(argv.duration, '--duration', 1, 86_400 * 365) : undefined;
      const vlans = argv.vlan !== undefined ? [...new Set(argv.vlan.map((v) => checkInt(v, '--vlan', 0, 4094)))] : undefined;
      const link = PcapLink.open(argv.iface, { logger: log });
      const responder = startResponder({
        link,
        clock: systemClock,
        claims,
        delayMs,
        ...(vlans ? { vlans } : {}),
        onAnswer: (a) => (out.json ? out.record(a) : out.line(`answered ${a.ip} is-at ${a.mac}${a.vlan !== null ? ` vlan ${a.vlan}` : ''} to ${a.to}`)),
      });
      if (out.json) out.record({ type: 'ready', iface: argv.iface, claims, ...(vlans ? { vlans } : {}) });
      else out.line(`answering on ${argv.iface} for ${claims.map((c) => `${c.ip}=${c.mac}`).join(', ')}${vlans ? `, requests tagged VLAN ${vlans.join(', ')} only` : ''}`);
      await new Promise<void>((resolve) => {
        const t = durationS !== undefined ? setTimeout(resolve, durationS * 1000) : undefined;
        signal.addEventListener('abort', () => {
          if (t) clearTimeout(t);
          resolve();
        });
      });
      responder.stop();
      link.close();
      const dropped = link.stats().dropped;
      if (out.json) out.summary({ type: 'summary', answered: responder.answered, dropped }, () => []);
      else if (dropped > 0) out.line(`LOST: the kernel dropped ${dropped} frame(s) while we listened: requests may have gone unanswered`);
      return ExitCode.OK;
    }, { signalEndsNormally: true }),
};
