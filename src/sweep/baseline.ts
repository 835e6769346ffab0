/**
 * Baseline files: the expected IP -> MAC map. One pair per line, "IP MAC" separated by spaces, tabs
 * or a comma; anything after the MAC is ignored; # starts a comment. arp-scan's plain output
 * ("10.0.0.2\t00:11:22:33:44:55\tVendor") is accepted as is: its header and footer lines are skipped
 * because they do not start with an IP and a MAC.
 */
import { readFileSync } from 'node:fs';
import { EnvironmentError, UsageError } from '../errors.js';
import { formatIpv4, normalizeMac, parseIpv4 } from '../wire/address.js';

export function parseBaseline(text: string, source = 'baseline'): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [ipText, macText] = line.split(/[\s,]+/);
    const ip = ipText !== undefined ? parseIpv4(ipText) : undefined;
    const mac = macText !== undefined ? normalizeMac(macText) : undefined;
    if (ip === undefined || mac === undefined) continue;
    const key = formatIpv4(ip);
    const prev = out.get(key);
    if (prev && prev !== mac) throw new UsageError('ERR_INVALID_ARGUMENT', `${source}: ${key} is listed with two MACs (${prev}, ${mac})`);
    out.set(key, mac);
  }
  if (out.size === 0) throw new UsageError('ERR_INVALID_ARGUMENT', `${source}: no "IP MAC" lines found`, { hint: 'one "IP MAC" pair per line; arp-scan output works as is' });
  return out;
}

export function readBaseline(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new EnvironmentError('ERR_FILE', `cannot read baseline ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseBaseline(text, path);
}
