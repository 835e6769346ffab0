/**
 * A scriptable ARP host (scapy's farpd): answers who-has for the IPs it is told to claim, with the
 * MACs it is told to use, mirroring the request's VLAN tags. It is how the lab puts on the wire what the
 * kernel will not make for us: VLAN-tagged replies (this kernel has no 802.1Q devices), several MACs for
 * one IP from one port, an Ethernet source that differs from the ARP sender MAC.
 */
import type { Captured, Link } from '../link/link.js';
import type { Clock } from '../time/clock.js';
import { ArpOp } from '../wire/codes.js';
import { decodeArpFrame, encodeArpFrame, frameVlan } from '../wire/frame.js';
import { isoTime } from '../time/iso.js';

export interface Claim {
  ip: string;
  mac: string;
  /** Ethernet source of the reply, when it must differ from `mac`. */
  ethSrc?: string;
}

export interface AnswerRecord {
  type: 'answer';
  ip: string;
  mac: string;
  ethSrc: string;
  to: string;
  vlan: number | null;
  time: string;
}

export interface ResponderOptions {
  link: Link;
  clock: Clock;
  claims: Claim[];
  /** Delay each reply by this many ms (default 0). */
  delayMs?: number;
  /** Answer only requests tagged with one of these VLAN ids (the innermost tag); untagged requests are then ignored. Default: every request. */
  vlans?: number[];
  onAnswer?: (a: AnswerRecord) => void;
}

export interface Responder {
  readonly answered: number;
  stop(): void;
}

export function startResponder(opts: ResponderOptions): Responder {
  const byIp = new Map<string, Claim[]>();
  for (const c of opts.claims) byIp.set(c.ip, [...(byIp.get(c.ip) ?? []), c]);
  let answered = 0;
  const vlans = opts.vlans && opts.vlans.length > 0 ? new Set(opts.vlans) : undefined;
  const onFrame = (f: Captured) => {
    if (f.sentId !== undefined) return; // our own reply, seen on the wire
    const d = decodeArpFrame(f.bytes);
    if (!d.ok || d.value.arp.op !== ArpOp.Request) return;
    const req = d.value;
    if (vlans) {
      const vid = frameVlan(req.eth);
      if (vid === undefined || !vlans.has(vid)) return;
    }
    for (const c of byIp.get(req.arp.targetIp) ?? []) {
      const frame = encodeArpFrame({
        op: ArpOp.Reply,
        senderMac: c.mac,
        senderIp: req.arp.targetIp,
        targetMac: req.arp.senderMac,
        targetIp: req.arp.senderIp,
        ethSrc: c.ethSrc ?? c.mac,
        ethDst: req.eth.src,
        vlans: req.eth.vlans.map((v) => ({ ...v })),
      });
      const send = () => {
        const t = opts.link.send(frame);
        answered++;
        opts.onAnswer?.({ type: 'answer', ip: c.ip, mac: c.mac, ethSrc: c.ethSrc ?? c.mac, to: req.arp.senderMac, vlan: frameVlan(req.eth) ?? null, time: isoTime(t) });
      };
      if (opts.delayMs) opts.clock.setTimer(opts.delayMs, send);
      else send();
    }
  };
  const off = opts.link.onFrame(onFrame);
  return {
    get answered() {
      return answered;
    },
    stop: off,
  };
}
