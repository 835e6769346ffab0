/**
 * Put raw, mostly hostile frames on a link with the project's own send path (PcapLink), 1 ms apart.
 *   ip netns exec NS node --import tsx test/helpers/inject-raw.ts IFACE fuzz SEED COUNT
 *   ip netns exec NS node --import tsx test/helpers/inject-raw.ts IFACE HEX [HEX...]
 * fuzz: seeded mutations of valid ARP frames (byte flips, truncation, hlen/plen lies, 1-4 stacked
 * 802.1Q tags) and random bytes. Every frame is at least 14 bytes (20 when tagged) and carries
 * ethertype ARP or 802.1Q, so a watcher's `arp or vlan` filter lets every one through and its frame
 * count must equal `sent`. Send over a veth, not a bridge: br_netfilter drops ARP under 22 bytes.
 * Prints {"sent":N,"sha256":"..."} (the digest of all frames, to compare with what was captured).
 */
import { createHash } from 'node:crypto';
import { PcapLink } from '../../src/link/pcap-link.js';
import { encodeArpFrame } from '../../src/wire/index.js';

export function fuzzFrames(seed: number, count: number): Uint8Array[] {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const byte = () => Math.floor(rnd() * 256);
  const R = { senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1' };
  const base = [
    encodeArpFrame({ ...R, targetIp: '10.0.0.2' }),
    encodeArpFrame({ op: 2, senderMac: '02:00:00:00:00:02', senderIp: '10.0.0.2', targetMac: R.senderMac, targetIp: R.senderIp, ethDst: R.senderMac }),
    encodeArpFrame({ ...R, targetIp: '10.0.0.3', vlans: [{ vid: 42 }] }),
  ];
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    let b: Uint8Array;
    const mode = rnd();
    if (mode < 0.2) b = Uint8Array.from({ length: 14 + Math.floor(rnd() * 60) }, byte);
    else {
      b = new Uint8Array(base[Math.floor(rnd() * base.length)]!);
      if (mode < 0.4) b[18 + (b[12] === 0x81 ? 4 : 0)] = byte(); // hlen lie
      else if (mode < 0.5) b[19 + (b[12] === 0x81 ? 4 : 0)] = byte(); // plen lie
      else if (mode < 0.8) for (let k = 0; k < 3; k++) b[14 + Math.floor(rnd() * (b.length - 14))] = byte();
      if (rnd() < 0.3) b = b.slice(0, 14 + Math.floor(rnd() * (b.length - 14)));
      if (rnd() < 0.15) {
        const tags = 1 + Math.floor(rnd() * 4);
        const t = new Uint8Array(b.length + 4 * tags);
        t.set(b.subarray(0, 12));
        for (let k = 0; k < tags; k++) t.set([0x81, 0x00, 0, 10 + k], 12 + 4 * k);
        t.set(b.subarray(12), 12 + 4 * tags);
        b = t;
      }
    }
    // Ethernet source: never multicast (a bridge would drop it); ethertype: ARP or 802.1Q.
    b[6] = (b[6]! & 0xfe) | 0x02;
    if (!((b[12] === 0x08 && b[13] === 0x06) || (b[12] === 0x81 && b[13] === 0x00))) b.set(rnd() < 0.5 ? [0x08, 0x06] : [0x81, 0x00], 12);
    // The kernel drops a tagged frame too short to hold its tag and next ethertype before any capture.
    if (b[12] === 0x81 && b.length < 20) {
      const t = new Uint8Array(20);
      t.set(b);
      for (let k = b.length; k < 20; k++) t[k] = byte();
      b = t;
    }
    out.push(b);
  }
  return out;
}

async function main(): Promise<void> {
  const [iface, mode, ...rest] = process.argv.slice(2);
  if (!iface || !mode) throw new Error('usage: inject-raw.ts IFACE fuzz SEED COUNT | IFACE HEX...');
  const frames = mode === 'fuzz' ? fuzzFrames(Number(rest[0]), Number(rest[1])) : [mode, ...rest].map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
  const link = PcapLink.open(iface, { bufferSize: 1 << 20 }); // nothing is read; frames captured meanwhile are dropped with the handle
  const hash = createHash('sha256');
  let sent = 0;
  for (const f of frames) {
    link.send(f);
    hash.update(f);
    sent++;
    await new Promise((res) => setTimeout(res, 1));
  }
  link.close();
  console.log(JSON.stringify({ sent, sha256: hash.digest('hex') }));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
