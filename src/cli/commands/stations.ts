/** `arpinject stations`: print the station database that `watch --state` keeps (arpwatch's arp.dat). */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { vendorOf } from '../../records/vendor.js';
import { readStateFile } from '../../watch/state.js';
import { type GlobalArgs, runCommand } from '../context.js';
import { requireValues } from '../options.js';
import { COMMANDS } from './meta.js';
import { ExitCode } from '../exit-codes.js';
import { isoTime } from '../../time/iso.js';

export interface StationsArgs extends GlobalArgs {
  state?: string;
}

const epochIso = (ms: number | undefined): string | null => (ms === undefined || ms === 0 ? null : isoTime(ms));

export const stationsCommand: CommandModule<GlobalArgs, StationsArgs> = {
  ...COMMANDS.stations,
  builder: (y) =>
    requireValues(
      y.option('state', { type: 'string', describe: "the station database (arp.dat: arpinject's or arpwatch's; default $ARPINJECT_STATE)" }),
    ) as unknown as Argv<StationsArgs>,
  handler: (argv) =>
    runCommand(argv, async ({ out, log }) => {
      const path = argv.state ?? (process.env.ARPINJECT_STATE || undefined);
      if (path === undefined) throw new UsageError('ERR_INVALID_ARGUMENT', 'give the station database: --state FILE (or set ARPINJECT_STATE)');
      const st = readStateFile(path);
      if (!st.existed) throw new UsageError('ERR_INVALID_ARGUMENT', `state file ${path} does not exist`, { hint: 'watch --state FILE creates it' });
      for (const sk of st.skipped.slice(0, 20)) log.warn({ file: path, line: sk.line }, `line ${sk.line} skipped: ${sk.reason}`);
      const ipNum = (ip: string) => ip.split('.').reduce((n, x) => n * 256 + Number(x), 0);
      const rows = [...st.stations].sort((a, b) => ipNum(a.ip) - ipNum(b.ip) || (a.vlan ?? -1) - (b.vlan ?? -1));
      const records = rows.map((s) => ({
        type: 'station' as const,
        ip: s.ip,
        vlan: s.vlan,
        mac: s.mac,
        vendor: vendorOf(s.mac),
        firstSeen: epochIso(s.firstSeen),
        lastSeen: epochIso(s.lastSeen),
        ...(s.previousMac ? { previousMac: s.previousMac, previousSeen: epochIso(s.previousSeen) } : {}),
        hostname: s.hostname || null,
        iface: s.iface || null,
      }));
      if (out.json) for (const r of records) out.record(r);
      else {
        const head = ['IP', 'VLAN', 'MAC', 'VENDOR', 'FIRST SEEN', 'LAST SEEN', 'PREVIOUS MAC', 'INTERFACE'];
        const cells = records.map((r) => [r.ip, r.vlan === null ? '-' : String(r.vlan), r.mac, (r.vendor ?? '').slice(0, 28), r.firstSeen?.slice(0, 19).replace('T', ' ') ?? '-', r.lastSeen?.slice(0, 19).replace('T', ' ') ?? '-', r.previousMac ?? '-', r.iface ?? '-']);
        const widths = head.map((h, k) => Math.max(h.length, ...cells.map((c) => c[k]!.length)));
        const fmt = (c: string[]) => c.map((x, k) => x.padEnd(widths[k]!)).join('  ').trimEnd();
        out.line(fmt(head));
        for (const c of cells) out.line(fmt(c));
      }
      const summary = { type: 'summary' as const, file: path, stations: records.length, lines: st.lines, skippedLines: st.skipped.length };
      out.summary(summary, () => [`--- ${records.length} station(s) in ${path} (${st.lines} pairing line(s)${st.skipped.length ? `, ${st.skipped.length} skipped` : ''}) ---`]);
      return ExitCode.OK;
    }),
};
