/** MAC vendor names from the IEEE registry (npm oui-data), loaded lazily: it costs ~70 ms and ~27 MB. */
import { createRequire } from 'node:module';
import { isLocalMac } from '../wire/address.js';

let table: Record<string, string> | undefined | null;

export function vendorOf(mac: string): string | undefined {
  if (isLocalMac(mac)) return '(locally administered)';
  if (table === undefined) {
    try {
      table = createRequire(import.meta.url)('oui-data') as Record<string, string>;
    } catch {
      table = null;
    }
  }
  if (!table) return undefined;
  const hex = mac.replace(/:/g, '').toUpperCase();
  const v = table[hex.slice(0, 9)] ?? table[hex.slice(0, 7)] ?? table[hex.slice(0, 6)];
  return v?.split('\n')[0];
}
