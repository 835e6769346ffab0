/** `arpinject watch`: decode every ARP frame on a link (or in a pcap), keep a table, raise findings. */
import type { Argv, CommandModule } from 'yargs';
import { SEVERITIES, type Severity, severityRank } from '../../detect/findings.js';
import { type EnvironmentError, UsageError } from '../../errors.js';
import { DEFAULT_SNAPLEN, PcapLink } from '../../link/pcap-link.js';
import { gatewaysOf, ipv4Addresses, localNetsOf } from '../../link/interfaces.js';
import { PcapStreamLink, PcapWriter } from '../../link/pcap-file.js';
import { checkInt, checkIp } from '../../probe/options.js';
import { ArpWatcher, type WatchRecord } from '../../watch/analyzer.js';
import { formatArpDat, hostnamesOf, readStateFile, writeStateFile } from '../../watch/state.js';
import { formatIpv4 } from '../../wire/address.js';
import { parseTarget } from '../../sweep/targets.js';
import { formatWatchRecord, formatWatchSummary } from '../../watch/format.js';
import { type GlobalArgs, runCommand } from '../context.js';
import { requireValues } from '../options.js';
import { COMMANDS } from './meta.js';
import { ExitCode } from '../exit-codes.js';
import { loadVendorFile } from '../text-modes.js';

export interface WatchArgs extends GlobalArgs {
  iface?: string;
  read?: string;
  vendorFile?: string;
  duration?: number;
  pcap?: string;
  metrics?: number;
  metricsHost: string;
  filter: string;
  snaplen?: number;
  ring?: number;
  promisc: boolean;
  stormIps?: number;
  stormWindow?: number;
  flipWindow?: number;
  maxIps?: number;
  hostScoped?: string[];
  failOn?: string;
  state?: string;
  stateInterval: number;
  localNet?: string[];
  gateway?: string[];
  stale?: number;
}

/** A --local-net value, in the sweep's target forms (CIDR, net:mask, a range), checked by the sweep's parser. */
function checkLocalNet(text: string): string {
  try {
    return parseTarget(text, { includeEdges: true }).text;
  } catch (e) {
    throw new UsageError('ERR_INVALID_ARGUMENT', `--local-net: ${(e as Error).message}`, { hint: 'give the link\'s subnets, e.g. --local-net 10.0.0.0/24' });
  }
}

/** Default capture ring for watch, MiB. */
export const WATCH_RING_MIB = 64;

/** Host-scoped IPv4 addresses configured here (besides 127/8): they must never be an ARP sender. */
export function localHostScoped(): string[] {
  return ipv4Addresses()
    .filter((a) => a.scope === 'host' && !a.address.startsWith('127.'))
    .map((a) => a.address);
}

export const watchCommand: CommandModule<GlobalArgs, WatchArgs> = {
  ...COMMANDS.watch,
  builder: (y) =>
    requireValues(
    y
      .option('iface', { alias: 'i', type: 'string', describe: 'interface to capture on (live; needs CAP_NET_RAW)' })
      .option('read', { alias: 'r', type: 'string', describe: 'analyse a classic pcap file, FIFO or - (stdin: tcpdump -w - | ...) instead, streamed (no privileges needed)' })
      .option('duration', { type: 'number', describe: 'stop after this many seconds (default: until Ctrl-C)' })
      .option('pcap', { type: 'string', describe: 'also write every captured frame to this pcap file (complete even after Ctrl-C)' })
      .option('metrics', { type: 'number', describe: 'serve Prometheus metrics on this port (/metrics)' })
      .option('metrics-host', { type: 'string', default: '127.0.0.1', describe: 'address to serve metrics on' })
      .option('filter', { type: 'string', default: 'arp or vlan', describe: 'BPF capture filter (live)' })
      .option('snaplen', { type: 'number', describe: `bytes captured of each frame (live; default ${DEFAULT_SNAPLEN}: ARP with two VLAN tags fits)` })
      .option('ring', { type: 'number', describe: 'kernel capture ring in MiB (live; default 64: ~200,000 ARP frames of backlog)' })
      .option('promisc', { type: 'boolean', default: true, describe: 'promiscuous capture (--no-promisc: leave the NIC out of promiscuous mode: a NIC that filters by MAC then drops frames for other hosts (a reply to a spoofed --sha among them); a veth or bridge port passes them anyway)' })
      .option('storm-ips', { type: 'number', describe: 'a MAC replying for this many IPs within --storm-window is a reply storm (default 16)' })
      .option('storm-window', { type: 'number', describe: 'seconds (default 10)' })
      .option('flip-window', { type: 'number', describe: 'an IP changing MAC twice within this many seconds is a flip-flop (default 60)' })
      .option('max-ips', { type: 'number', describe: 'cap on the IP -> MAC table; least recently seen entries go first (default 262144)' })
      .option('host-scoped', { type: 'string', array: true, describe: 'addresses that must never be an ARP sender (default, live: this host\'s scope-host addresses)' })
      .option('vendor-file', { type: 'string', describe: 'extra MAC prefix names for the records\' vendor, arp-scan mac-vendor.txt format (PREFIX<TAB>NAME); they beat the built-in names' })
      .option('fail-on', { type: 'string', choices: SEVERITIES, describe: 'exit 1 if a finding at or above this severity was raised' })
      .option('state', { type: 'string', describe: "station database, arpwatch's arp.dat format (read at start, written atomically every --state-interval and at exit; created when missing; default $ARPINJECT_STATE)" })
      .option('state-interval', { type: 'number', default: 60, describe: 'seconds between state writes (a SIGKILL loses at most this much)' })
      .option('local-net', { type: 'string', array: true, describe: "the link's subnets (CIDR, net:mask or a range): a sender outside all of them is a bogon (default, live: the interface's subnets; --read: none, no bogon rule)" })
      .option('gateway', { type: 'string', array: true, describe: 'gateway IPs: a MAC change on one is critical (default, live: the gateways routed through the interface)' })
      .option('stale', { type: 'number', describe: 'a station silent for this many seconds that another MAC claims has moved (ip-moved, info) rather than changed (mac-changed) (default 3600)' })
      .check((a) => {
        if ((a.iface === undefined) === (a.read === undefined)) throw new UsageError('ERR_INVALID_ARGUMENT', 'give exactly one of --iface IF (live) or --read FILE.pcap');
        if (a.read !== undefined)
          for (const o of ['pcap', 'duration', 'metrics'] as const)
            if (a[o] !== undefined) throw new UsageError('ERR_INVALID_ARGUMENT', `--${o} applies to a live capture (--iface), not to --read`);
        return true;
      }) as unknown as Argv<WatchArgs>),
  handler: (argv) =>
    runCommand(
      argv,
      async ({ out, log, signal }) => {
        const durationS = argv.duration !== undefined ? checkInt(argv.duration, '--duration', 1, 86_400 * 365) : undefined;
        if (argv.vendorFile !== undefined) loadVendorFile(argv.vendorFile, log);
        // prom-client costs ~50 ms to load: only when metrics are asked for.
        const metrics = argv.metrics !== undefined ? new (await import('../../watch/metrics.js')).WatchMetrics() : undefined;
        let worst: Severity | undefined;
        const emit = (r: WatchRecord) => {
          metrics?.observe(r);
          if (r.type === 'finding' && (worst === undefined || severityRank(r.severity) > severityRank(worst))) worst = r.severity;
          if (out.json) out.record(r);
          else out.line(formatWatchRecord(r, out.paint));
        };
        const statePath = argv.state ?? (process.env.ARPINJECT_STATE || undefined);
        const stateIntervalS = checkInt(argv.stateInterval, '--state-interval', 1, 86_400);
        const localNets = argv.localNet?.map((c) => checkLocalNet(String(c))) ?? (argv.iface !== undefined ? localNetsOf(argv.iface).map((n) => `${formatIpv4(n.base)}/${n.len}`) : []);
        const gateways = argv.gateway?.map((ip) => checkIp(String(ip), '--gateway')) ?? (argv.iface !== undefined ? gatewaysOf(argv.iface) : []);
        const loaded = statePath !== undefined ? readStateFile(statePath) : undefined;
        if (loaded && statePath) {
          for (const sk of loaded.skipped.slice(0, 20)) log.warn({ file: statePath, line: sk.line }, `state file line ${sk.line} skipped: ${sk.reason}`);
          if (loaded.skipped.length > 20) log.warn({ file: statePath }, `${loaded.skipped.length - 20} more state file lines skipped`);
          log.info({ file: statePath, stations: loaded.stations.length, lines: loaded.lines, skipped: loaded.skipped.length }, loaded.existed ? 'state loaded' : 'state file does not exist yet: it will be created');
        }
        if (localNets.length) log.debug({ localNets, gateways }, 'bogon and gateway rules');
        const watcher = new ArpWatcher(emit, {
          localNets,
          gateways,
          ...(loaded ? { known: loaded.stations } : {}),
          ...(argv.stale !== undefined ? { staleMs: checkInt(argv.stale, '--stale', 1, 86_400 * 3650) * 1000 } : {}),
          ...(argv.stormIps !== undefined ? { stormIps: checkInt(argv.stormIps, '--storm-ips', 2, 4096) } : {}),
          ...(argv.stormWindow !== undefined ? { stormWindowMs: checkInt(argv.stormWindow, '--storm-window', 1, 86_400) * 1000 } : {}),
          ...(argv.flipWindow !== undefined ? { flipWindowMs: checkInt(argv.flipWindow, '--flip-window', 1, 86_400) * 1000 } : {}),
          ...(argv.maxIps !== undefined ? { maxTableIps: checkInt(argv.maxIps, '--max-ips', 1, 16_777_216) } : {}),
          hostScoped: argv.hostScoped?.map((ip) => checkIp(String(ip), '--host-scoped')) ?? (argv.iface !== undefined ? localHostScoped() : []),
        });
        metrics?.track(watcher);
        const server = metrics ? await metrics.serve(checkInt(argv.metrics, '--metrics', 0, 65535), argv.metricsHost) : undefined;
        if (server) log.info({ address: server.address() }, 'serving metrics');
        let interrupted = false;
        let fileError: EnvironmentError | undefined;
        // The station database: written every --state-interval and once more at the end.
        const hostnames = loaded ? hostnamesOf(loaded.stations) : new Map<string, string>();
        const stateIface = argv.iface ?? (argv.read === '-' ? '(stdin)' : String(argv.read));
        let stateWrites = 0;
        // Only a watch that started writes the file: a failed start leaves the database as it was.
        let started = false;
        let stateError: EnvironmentError | undefined;
        const saveState = (): void => {
          if (statePath === undefined) return;
          try {
            writeStateFile(statePath, formatArpDat(watcher.stations(), stateIface, hostnames));
            stateWrites++;
            stateError = undefined;
            metrics?.stateWrites.inc({ result: 'ok' });
          } catch (e) {
            metrics?.stateWrites.inc({ result: 'failed' });
            stateError = e as EnvironmentError;
            log.error({ file: statePath, err: (e as Error).message }, 'cannot write the state file (will retry)');
          }
        };
        const stateTimer = statePath !== undefined ? setInterval(saveState, stateIntervalS * 1000) : undefined;
        stateTimer?.unref();
        try {
          if (argv.read !== undefined) {
            // Record by record as it is read (a file, a FIFO, or - for tcpdump -w - | ...): memory stays flat.
            const link = new PcapStreamLink(argv.read);
            link.onFrame((f) => watcher.ingest(f));
            const r = await link.replay(signal);
            started = true; // a file that is not a pcap threw above: the database is left alone
            interrupted = r.interrupted;
            if (r.truncatedTail) log.warn({ file: link.name }, 'the last record of the file is cut short (ignored)');
          } else {
            const snaplen = argv.snaplen !== undefined ? checkInt(argv.snaplen, '--snaplen', 60, 262_144) : DEFAULT_SNAPLEN;
            const ringMiB = argv.ring !== undefined ? checkInt(argv.ring, '--ring', 1, 1024) : WATCH_RING_MIB;
            // A passive capture cannot slow the sender down: the ring is the backlog a storm can build
            // while frames are decoded (64 MiB at snaplen 256: 199,740 slots of 336 bytes).
            // A capture that dies (the interface went away) ends the watch like a full disk: summary, then exit 3.
            let captureError: EnvironmentError | undefined;
            let stopNow: (() => void) | undefined;
            const link = PcapLink.open(argv.iface!, {
              filter: argv.filter,
              logger: log,
              snaplen,
              bufferSize: ringMiB << 20,
              promisc: argv.promisc,
              onError: (e) => {
                captureError = e;
                stopNow?.();
              },
            });
            started = true;
            metrics?.trackCapture(() => {
              try {
                return link.stats();
              } catch {
                return { dropped: 0 };
              }
            });
            let pcap: PcapWriter | undefined;
            // A pcap that cannot be written (disk full) stops the watch too (stopNow): summary, then ERR_FILE.
            try {
              // Only after the capture is open: a failed start leaves an earlier capture alone.
              pcap = argv.pcap !== undefined ? PcapWriter.open(argv.pcap, { nanosecond: true, snaplen, onError: () => stopNow?.() }) : undefined;
              link.onFrame((f) => {
                pcap?.writeCaptured(f);
                watcher.ingest(f);
              });
              out.note(`watching ARP on ${argv.iface}${durationS ? ` for ${durationS} s` : ' (Ctrl-C to stop)'}`);
              if (out.json) out.record({ type: 'ready', iface: argv.iface });
              await new Promise<void>((resolve) => {
                const stop = () => {
                  interrupted = true;
                  if (t) clearTimeout(t);
                  resolve();
                };
                const t = durationS !== undefined ? setTimeout(resolve, durationS * 1000) : undefined;
                stopNow = () => {
                  if (t) clearTimeout(t);
                  resolve();
                };
                if (pcap?.error || captureError) stopNow();
                // Ctrl-C may have come while the capture was opening: then stop at once.
                if (signal.aborted) stop();
                else signal.addEventListener('abort', stop, { once: true });
              });
            } finally {
              // What the kernel captured before the stop is counted, not left in the ring.
              link.flush();
              link.close();
              watcher.noteDropped(link.stats().dropped, Date.now());
              pcap?.close();
            }
            fileError = captureError ?? pcap?.error;
          }
        } finally {
          server?.close();
          if (stateTimer) clearInterval(stateTimer);
          if (started) saveState();
        }
        const s = { ...watcher.summary(interrupted), ...(statePath !== undefined ? { state: { file: statePath, loaded: loaded?.stations.length ?? 0, skippedLines: loaded?.skipped.length ?? 0, written: stateWrites, saved: stateError === undefined } } : {}) };
        out.summary(s, () => formatWatchSummary(s));
        fileError ??= stateError;
        if (fileError) {
          out.error(fileError);
          return ExitCode.ENVIRONMENT;
        }
        const failOn = argv.failOn as Severity | undefined;
        return failOn !== undefined && worst !== undefined && severityRank(worst) >= severityRank(failOn) ? ExitCode.NOT_MET : ExitCode.OK;
      },
      { signalEndsNormally: true },
    ),
};
