/**
 * The one loader of arpinject's native addon (src/link/native/pcap_binding.c): the libpcap capture
 * handle (pcap-link.ts) and the netlink address dump (interfaces.ts) live in the same .node file.
 */
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../errors.js';
import { setRealtimeOffsetSource } from '../time/clock.js';

export interface NativeOpenResult {
  handle: object;
  dlt: number;
  linkType: string;
  nano: boolean;
  snaplen: number;
  ifindex: number;
}
export interface NativeStats {
  received: number;
  dropped: number;
  ifDropped: number;
  echoes: number;
  echoesMissed: number;
  echoesEvicted: number;
  pending: number;
}
export interface NativeBinding {
  ENTRY_WORDS: number;
  open(
    opts: { device: string; snaplen: number; bufferSize: number; promisc: boolean; immediate: boolean; filter: string; nano: boolean },
    onBatch: (data: ArrayBuffer | null, table: Uint32Array | string, count: number | null) => void,
  ): NativeOpenResult;
  send(handle: object, data: Uint8Array, lengths?: Uint32Array): { first: number; sent: number };
  read(handle: object): [ArrayBuffer | null, Uint32Array | string, number | null] | null;
  stats(handle: object): NativeStats;
  close(handle: object): void;
  libVersion(): string;
  /** Every IPv4 address of this namespace (RTM_GETADDR): 5 numbers per address (ifindex, prefixlen, scope, flags, address), and ifindex -> name. */
  ipv4Addresses(): [number[], Record<string, string>];
  /** CLOCK_REALTIME - CLOCK_MONOTONIC in ms: with process.hrtime, epoch time on the capture stamps' clock. */
  realtimeOffsetMs(): number;
}

let binding: NativeBinding | undefined;

/** Load the addon built by node-gyp at install (build/Release/arpinject_pcap.node). */
export function loadBinding(): NativeBinding {
  if (binding) return binding;
  try {
    // process.dlopen, not require: the path is known, and a require resolves it and reads package.json scopes first (~3 ms).
    const m = { exports: {} as NativeBinding };
    process.dlopen(m, fileURLToPath(new URL('../../build/Release/arpinject_pcap.node', import.meta.url)));
    binding = m.exports;
    if (typeof binding.realtimeOffsetMs === 'function') setRealtimeOffsetSource(binding.realtimeOffsetMs);
    return binding;
  } catch (cause) {
    throw new EnvironmentError('ERR_NATIVE_MODULE', 'the libpcap binding (build/Release/arpinject_pcap.node) could not be loaded', {
      cause,
      hint: 'install libpcap-dev and rebuild it: apt-get install -y libpcap-dev build-essential && npm rebuild arpinject (see native-notes/build.md)',
    });
  }
}

