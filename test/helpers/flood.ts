/**
 * Flood a link with ARP replies as fast as the project's own batched send goes (sendmmsg, 256 frames
 * a call): a reply storm of one MAC claiming IPs of 10.66.0.0/22 in turn, to broadcast.
 * usage: flood.ts IFACE COUNT [PPS [MAC]]  -> prints {"sent":N,"ms":T,"pps":P}; PPS 0 = unpaced
 * The injector's own capture sees nothing (a filter for an unused EtherType), so it costs no CPU.
 */
import { PcapLink } from '../../src/link/pcap-link.js';
import { encodeArpFrame } from '../../src/wire/frame.js';

export const FLOOD_MAC = '02:66:66:00:00:01';

export function stormFrames(count: number, mac = FLOOD_MAC): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const k = i % 1024;
    frames.push(encodeArpFrame({ op: 2, senderMac: mac, senderIp: `10.66.${k >> 8}.${k & 255}`, targetMac: 'ff:ff:ff:ff:ff:ff', targetIp: `10.66.${k >> 8}.${k & 255}`, ethDst: 'ff:ff:ff:ff:ff:ff' }));
  }
  return frames;
}

async function main(): Promise<void> {
  const [iface, countText, ppsText, mac] = process.argv.slice(2);
  const pps = Number(ppsText ?? 0);
  const count = Number(countText);
  if (!iface || !Number.isInteger(count) || count <= 0) throw new Error('usage: flood.ts IFACE COUNT [MAC]');
  const frames = stormFrames(count, mac);
  const link = PcapLink.open(iface, { filter: 'ether proto 0x88b5', bufferSize: 1 << 20, promisc: false });
  // Frames built and the link open: the caller may start what must run under the flood.
  console.log(JSON.stringify({ ready: true }));
  await new Promise((r) => setTimeout(r, Number(process.env.FLOOD_DELAY_MS ?? 0)));
  const t0 = performance.now();
  const chunk = pps > 0 ? Math.max(64, Math.round(pps / 500)) : 4096; // paced: a chunk every 2 ms
  for (let i = 0; i < frames.length; i += chunk) {
    link.sendBatch(frames.slice(i, i + chunk));
    if (pps > 0) {
      const due = t0 + ((i + chunk) / pps) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  const ms = performance.now() - t0;
  link.close();
  console.log(JSON.stringify({ sent: link.stats().sent, ms: Math.round(ms), pps: Math.round(count / (ms / 1000)) }));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
