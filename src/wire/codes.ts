/** Open code sets: unknown numbers are kept and shown as hex, never an error (smoltcp's Unknown(u16)). */

export const EtherType = {
  IPv4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100, // IEEE 802.1Q C-tag
  QinQ: 0x88a8, // IEEE 802.1ad S-tag
  IPv6: 0x86dd,
} as const;

export const ArpOp = {
  Request: 1,
  Reply: 2,
  RarpRequest: 3,
  RarpReply: 4,
  InArpRequest: 8,
  InArpReply: 9,
} as const;

export const ArpHwType = { Ethernet: 1, IEEE802: 6 } as const;

const OP_NAMES: Record<number, string> = {
  1: 'request',
  2: 'reply',
  3: 'rarp-request',
  4: 'rarp-reply',
  8: 'inarp-request',
  9: 'inarp-reply',
};

export const hex16 = (n: number): string => '0x' + n.toString(16).padStart(4, '0');

export const arpOpName = (op: number): string => OP_NAMES[op] ?? `op-${op}`;

export function etherTypeName(t: number): string {
  for (const [k, v] of Object.entries(EtherType)) if (v === t) return k;
  return hex16(t);
}
