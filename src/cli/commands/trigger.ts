/** `arpinject trigger`: make the kernel ARP for a neighbour and report the sender IP it chose. */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { type Paint, plain } from '../../findings/paint.js';
import { interfaceIpv4, preflightInterface } from '../../link/interfaces.js';
import { parseIpv4 } from '../../wire/address.js';
import { checkInt, checkIp } from '../../probe/options.js';
import { type TriggerResult, trigger } from '../../trigger/trigger.js';
import { type GlobalArgs, runCommand } from '../context.js';
import { requireValues } from '../options.js';
import { COMMANDS } from './meta.js';
import { ExitCode } from '../exit-codes.js';

export interface TriggerArgs extends GlobalArgs {
  iface: string;
  dst: string;
  src?: string;
  timeout?: number;
  flush: boolean;
}

/**
 * trigger makes the kernel ARP for one neighbour: 0.0.0.0/8, the limited broadcast and multicast
 * are never resolved by ARP (no neighbour to ask for), so they are bad input (exit 2), not an
 * environment problem. `subnets`: the interface's, for its directed broadcast.
 */
export function assertUnicastDst(dst: string, subnets: Array<{ address: string; prefixLen: number }> = []): void {
  const n = parseIpv4(dst)!;
  const bad = (why: string) => new UsageError('ERR_INVALID_ARGUMENT', `--dst ${dst} is ${why}: the kernel never ARPs for it`, { hint: 'give the unicast address of a neighbour on the interface' });
  if (n >>> 24 === 0) throw bad('in 0.0.0.0/8 (this network)');
  if (n === 0xffffffff) throw bad('the limited broadcast');
  if (n >>> 28 === 0xe) throw bad('multicast (224.0.0.0/4; mapped to an Ethernet address, never resolved)');
  if (n >>> 28 === 0xf) throw bad('in the reserved 240.0.0.0/4');
  for (const a of subnets) {
    if (a.prefixLen >= 31) continue;
    const mask = a.prefixLen === 0 ? 0 : (0xffffffff << (32 - a.prefixLen)) >>> 0;
    const bcast = ((parseIpv4(a.address)! & mask) | (~mask >>> 0)) >>> 0;
    if (n === bcast) throw bad(`the broadcast address of ${a.address}/${a.prefixLen}`);
  }
}

export function formatTrigger(r: TriggerResult, paint: Paint = plain): string[] {
  const lines: string[] = [];
  if (r.request) lines.push(`kernel ARP request on ${r.iface}: who-has ${r.dst} tell ${r.request.spa} (${r.request.sha})`);
  else lines.push(`no ARP request from this host for ${r.dst} on ${r.iface}`);
  if (r.reply) lines.push(`reply: ${r.dst} is-at ${r.reply.mac} (${r.reply.rttMs} ms)`);
  else if (r.request) lines.push(`no reply from ${r.dst}`);
  lines.push(`arp_announce: ${r.iface}=${r.arpAnnounce.dev}, all=${r.arpAnnounce.all} (effective ${r.arpAnnounce.effective})${r.src ? `; echo sent from ${r.src}` : ''}`);
  if (r.leak) lines.push(`${paint.severity(r.leak.severity, r.leak.severity.toUpperCase())} ${r.leak.kind}: ${r.leak.message}`);
  else if (r.senderIp) lines.push(`sender ${r.senderIp}: ${paint.good('fine')}`);
  if (r.note) lines.push(`note: ${r.note}`);
  return lines;
}

export const triggerCommand: CommandModule<GlobalArgs, TriggerArgs> = {
  ...COMMANDS.trigger,
  builder: (y) =>
    requireValues(
    y
      .option('iface', { alias: 'i', type: 'string', demandOption: 'give the interface: --iface IF', describe: 'interface the echo (and so the ARP request) leaves by' })
      .option('dst', { type: 'string', demandOption: 'give the neighbour: --dst IP', describe: 'the address the kernel must resolve' })
      .option('src', { type: 'string', describe: 'send the echo from this local address (IP_HDRINCL), e.g. a host-scoped 169.254.1.1' })
      .option('timeout', { type: 'number', describe: 'ms to wait for the request and the reply (default 1500)' })
      .option('flush', { type: 'boolean', default: false, describe: 'flush the neighbour entry first so that the kernel must ARP (permanent entries are left alone)' }) as unknown as Argv<TriggerArgs>),
  handler: (argv) =>
    runCommand(argv, async ({ out, log }) => {
      const dst = checkIp(argv.dst, '--dst');
      assertUnicastDst(dst);
      const src = argv.src !== undefined ? checkIp(String(argv.src), '--src') : undefined;
      const timeoutMs = argv.timeout !== undefined ? checkInt(argv.timeout, '--timeout', 1, 60_000) : undefined;
      preflightInterface(argv.iface);
      assertUnicastDst(dst, interfaceIpv4(argv.iface));
      const r = await trigger({ iface: argv.iface, dst, ...(src ? { src } : {}), ...(timeoutMs ? { timeoutMs } : {}), flush: argv.flush, logger: log });
      if (out.json) {
        // the leak is one of the registry's findings: a finding record like every command's, then the result
        if (r.leak) out.record(r.leak);
        out.record(r);
      } else for (const l of formatTrigger(r, out.paint)) out.line(l);
      return r.request && !r.leak ? ExitCode.OK : ExitCode.NOT_MET;
    }),
};
