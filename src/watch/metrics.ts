/**
 * Prometheus metrics for `watch --metrics PORT` (prom-client, private registry, no default process
 * metrics): frames by op, findings by kind, distinct MACs per IP, replies per MAC, table sizes.
 * Per-IP and per-MAC series are capped (maxSeries each): a flood of spoofed senders must not explode
 * the Prometheus server that scrapes a fleet of watchers. What the cap leaves out is counted.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { EnvironmentError } from '../errors.js';
import type { WatchRecord } from './analyzer.js';

export interface WatchMetricsOptions {
  /** Most label values per-IP and per-MAC metrics get (default 10,000 each). */
  maxSeries?: number;
}

/** What the metrics read from the analyser at scrape time. */
export interface WatchTableView {
  sizes(): { table: number };
  conflictedIps(): number;
  suppressedByKind(): Record<string, number>;
}

export class WatchMetrics {
  readonly registry = new Registry();
  private readonly maxSeries: number;
  private readonly frames = new Counter({ name: 'arpinject_watch_frames_total', help: 'ARP frames seen, by opcode name (malformed for undecodable ones)', labelNames: ['op'], registers: [this.registry] });
  private readonly findings = new Counter({ name: 'arpinject_watch_findings_total', help: 'Findings raised, by kind and severity', labelNames: ['kind', 'severity'], registers: [this.registry] });
  private readonly macsPerIp = new Gauge({ name: 'arpinject_watch_ip_macs', help: 'Distinct MACs seen claiming each IP (more than 1: conflict, spoofing or hijack)', labelNames: ['ip'], registers: [this.registry] });
  private readonly repliesPerMac = new Counter({ name: 'arpinject_watch_replies_total', help: 'ARP replies sent, by sender MAC', labelNames: ['mac'], registers: [this.registry] });
  private readonly dropped = new Counter({ name: 'arpinject_watch_series_dropped_total', help: 'Observations not exported because a per-IP or per-MAC metric reached its series cap', labelNames: ['metric'], registers: [this.registry] });
  private readonly seen = new Map<string, Set<string>>();
  private readonly macs = new Set<string>();

  constructor(opts: WatchMetricsOptions = {}) {
    this.maxSeries = opts.maxSeries ?? 10_000;
  }

  /** Table gauges, read from the analyser when scraped. */
  track(table: WatchTableView): void {
    new Gauge({ name: 'arpinject_watch_table_ips', help: 'Stations ((IP, VLAN) pairs) in the station table', registers: [this.registry], collect() { this.set(table.sizes().table); } });
    new Gauge({ name: 'arpinject_watch_conflicted_ips', help: 'IPs claimed by more than one MAC during the run', registers: [this.registry], collect() { this.set(table.conflictedIps()); } });
    const seen: Record<string, number> = {};
    new Counter({
      name: 'arpinject_watch_findings_suppressed_total',
      help: 'Findings held back by the per-kind rate limit (a flood raising one per frame), by kind',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        for (const [kind, n] of Object.entries(table.suppressedByKind())) {
          if (n > (seen[kind] ?? 0)) this.inc({ kind }, n - (seen[kind] ?? 0));
          seen[kind] = n;
        }
      },
    });
  }

  /** Kernel drops of the live capture, read when scraped (the link's pcap_stats). */
  trackCapture(stats: () => { dropped: number }): void {
    let last = 0;
    new Counter({
      name: 'arpinject_watch_capture_dropped_frames_total',
      help: 'Frames the kernel dropped because the capture ring was full (findings may be missing)',
      registers: [this.registry],
      collect() {
        const d = stats().dropped;
        if (d > last) this.inc(d - last);
        last = d;
      },
    });
  }

  /** Writes of the --state file, by outcome. */
  readonly stateWrites = new Counter({ name: 'arpinject_watch_state_writes_total', help: 'Writes of the --state station database, by result (ok, failed)', labelNames: ['result'], registers: [this.registry] });

  observe(r: WatchRecord): void {
    if (r.type === 'arp') {
      this.frames.inc({ op: r.op });
      if (r.spa !== '0.0.0.0' && (r.opcode === 1 || r.opcode === 2)) {
        let s = this.seen.get(r.spa);
        if (!s) {
          if (this.seen.size >= this.maxSeries) this.dropped.inc({ metric: 'arpinject_watch_ip_macs' });
          else this.seen.set(r.spa, (s = new Set()));
        }
        if (s && !s.has(r.sha) && s.size < 1024) {
          s.add(r.sha);
          this.macsPerIp.set({ ip: r.spa }, s.size);
        }
      }
      if (r.opcode === 2) {
        if (this.macs.has(r.sha) || this.macs.size < this.maxSeries) {
          this.macs.add(r.sha);
          this.repliesPerMac.inc({ mac: r.sha });
        } else this.dropped.inc({ metric: 'arpinject_watch_replies_total' });
      }
    } else if (r.type === 'malformed') this.frames.inc({ op: 'malformed' });
    else if (r.type === 'finding') this.findings.inc({ kind: r.kind, severity: r.severity });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Serve /metrics on host:port. Resolves once listening; close() it to stop (open connections too). */
  serve(port: number, host = '127.0.0.1'): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('try /metrics\n');
        return;
      }
      this.text().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    // A scraper's keep-alive connection must not hold the process open after watch ends.
    const close = server.close.bind(server);
    server.close = ((cb?: (err?: Error) => void) => {
      close(cb);
      server.closeAllConnections();
      return server;
    }) as typeof server.close;
    return new Promise((resolve, reject) => {
      server.once('error', (cause) => reject(new EnvironmentError('ERR_LINK_OPEN', `cannot serve metrics on ${host}:${port}: ${(cause as Error).message}`, { cause, hint: 'pick another --metrics port, or check --metrics-host is an address of this host' })));
      server.listen(port, host, () => resolve(server));
    });
  }
}
