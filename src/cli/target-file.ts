/**
 * probe --file (arp-scan -f): target IPs or host names, one or more per line (space or comma
 * separated, as sweep's files), # comments and blank lines ignored; `-` is stdin. A token that is
 * neither is a usage error naming the file and the line. Read as a stream, bounded like sweep's.
 */
import { UsageError } from '../errors.js';
import { forEachLine, inputName, readInput } from '../read-input.js';
import { parseIpv4 } from '../wire/address.js';
import { isHostName } from './resolve.js';

/** Most targets a probe file may hold (a /16 of single IPs). */
export const MAX_PROBE_FILE_TARGETS = 65_536;

const tokens = (line: string): string[] => line.replace(/#.*/, '').trim().split(/[\s,]+/).filter(Boolean);

/** The targets of a probe file's chunks: IPv4 addresses as written, host names as written (resolved later). */
export async function tipsFromChunks(chunks: AsyncIterable<Uint8Array>, o: { name: string; maxTargets?: number }): Promise<string[]> {
  const max = o.maxTargets ?? MAX_PROBE_FILE_TARGETS;
  const out: string[] = [];
  await forEachLine(
    chunks,
    {
      name: o.name,
      maxLineBytes: 4096,
      maxBytes: 16 * 1024 * 1024,
      what: 'a targets file',
      hintLine: 'give one target (IPv4 address or host name) per line, # for comments',
      hintBytes: 'a probe asks for single addresses: for ranges use arpinject sweep',
    },
    (line, lineNo) => {
      for (const t of tokens(line)) {
        if (parseIpv4(t) === undefined && !isHostName(t))
          throw new UsageError('ERR_INVALID_ARGUMENT', `${o.name}, line ${lineNo}: "${t}" is not an IPv4 address or host name`, {
            hint: 'one target per line (10.0.0.7 or gw.example.net), # for comments; for CIDR blocks and ranges use arpinject sweep',
          });
        out.push(t);
        if (out.length > max)
          throw new UsageError('ERR_INPUT_TOO_LARGE', `${o.name}: more than ${max} targets by line ${lineNo} (the limit)`, { hint: 'for that many addresses use arpinject sweep' });
      }
    },
  );
  return out;
}

/** Read a probe file (or `-`, stdin). undefined: interrupted by the signal before it ended. */
export async function readTipsFile(path: string, signal: AbortSignal): Promise<string[] | undefined> {
  const input = await readInput(path, signal);
  const tips = await tipsFromChunks(input.chunks, { name: inputName(path) });
  return input.aborted ? undefined : tips;
}
