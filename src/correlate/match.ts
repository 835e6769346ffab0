/**
 * Request/reply correlation, pure (scapy's hashret/answers). A request and the replies that answer
 * it share a matchKey: VLAN id + the IP being asked about (request tpa, reply spa).
 * answers() deliberately does NOT compare MACs: a spoofed or hijacking reply must still pair, so that
 * it can be reported (several MACs for one IP, Ethernet source != sender MAC).
 */
import { ArpOp } from '../wire/codes.js';
import { type ArpFrame, frameVlan } from '../wire/frame.js';

export const keyOf = (ip: string, vlan: number | undefined): string => (vlan === undefined ? ip : `${vlan}|${ip}`);

/** The key a request is filed under, or a reply is looked up by. Other opcodes have none. */
export function matchKey(f: ArpFrame): string | undefined {
  if (f.arp.op === ArpOp.Request) return keyOf(f.arp.targetIp, frameVlan(f.eth));
  if (f.arp.op === ArpOp.Reply) return keyOf(f.arp.senderIp, frameVlan(f.eth));
  return undefined;
}

/**
 * Does `reply` answer `request`? Op pairing, the reply's sender IP is the requested IP, same VLAN.
 * Not checked, on purpose: the reply's target fields (a proxy may answer a request sent for another
 * sender), MACs (see above), and time (the caller orders candidates by send time).
 */
export function answers(reply: ArpFrame, request: ArpFrame): boolean {
  return (
    reply.arp.op === ArpOp.Reply &&
    request.arp.op === ArpOp.Request &&
    reply.arp.senderIp === request.arp.targetIp &&
    frameVlan(reply.eth) === frameVlan(request.eth)
  );
}
