/**
 * Prometheus metrics for `watch --metrics PORT` (prom-client, private registry, no default process
 * metrics): frames by op, findings by kind, distinct MACs per IP, replies per MAC.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { EnvironmentError } from '../errors.js';
import type { WatchRecord } from './analyzer.js';

export class WatchMetrics {
  readonly registry = new Registry();
  private readonly frames = new Counter({ name: 'arpinject_watch_frames_total', help: 'ARP frames seen, by opcode name (malformed for undecodable ones)', labelNames: ['op'], registers: [this.registry] });
  private readonly findings = new Counter({ name: 'arpinject_watch_findings_total', help: 'Findings raised, by kind and severity', labelNames: ['kind', 'severity'], registers: [this.registry] });
  private readonly macsPerIp = new Gauge({ name: 'arpinject_watch_ip_macs', help: 'Distinct MACs seen claiming each IP (more than 1: conflict, spoofing or hijack)', labelNames: ['ip'], registers: [this.registry] });
  private readonly repliesPerMac = new Counter({ name: 'arpinject_watch_replies_total', help: 'ARP replies sent, by sender MAC', labelNames: ['mac'], registers: [this.registry] });
  private readonly seen = new Map<string, Set<string>>();

  observe(r: WatchRecord): void {
    if (r.type === 'arp') {
      this.frames.inc({ op: r.op });
      if (r.opcode === 2 || r.gratuitous) {
        let s = this.seen.get(r.spa);
        if (!s) this.seen.set(r.spa, (s = new Set()));
        s.add(r.sha);
        this.macsPerIp.set({ ip: r.spa }, s.size);
      }
      if (r.opcode === 2) this.repliesPerMac.inc({ mac: r.sha });
    } else if (r.type === 'malformed') this.frames.inc({ op: 'malformed' });
    else if (r.type === 'finding') this.findings.inc({ kind: r.kind, severity: r.severity });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Serve /metrics on host:port. Resolves once listening. */
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
    return new Promise((resolve, reject) => {
      server.once('error', (cause) => reject(new EnvironmentError('ERR_LINK_OPEN', `cannot serve metrics on ${host}:${port}: ${(cause as Error).message}`, { cause })));
      server.listen(port, host, () => resolve(server));
    });
  }
}
