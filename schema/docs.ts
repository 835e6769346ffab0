/**
 * README sections generated from the sources of truth: the findings table from the registry
 * (src/findings/finding.ts) and the record list from schema/*.json. `npm run docs` rewrites them
 * between their markers; test/unit/schema.test.ts fails when the README is out of date.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FINDING_KINDS } from '../src/findings/finding.js';
import { EXIT_CODE_MEANINGS } from '../src/cli/exit-codes.js';

export function findingsTable(): string {
  const rows = Object.entries(FINDING_KINDS).map(([kind, k]) => `| \`${kind}\` | ${k.severity} | ${k.raisedBy.join(', ')} | ${k.meaning} |`);
  return ['| kind | default severity | raised by | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** README's exit-code table: the table --help and the man page print (src/cli/exit-codes.ts). */
export function exitCodesTable(): string {
  const rows = EXIT_CODE_MEANINGS.map((e) => `| ${e.code} | ${e.meaning.replace(/--[a-z-]+/g, (f) => `\`${f}\``)} |`);
  return ['| code | meaning |', '|---|---|', ...rows].join('\n');
}

export function recordsList(): string {
  const dir = fileURLToPath(new URL('./', import.meta.url));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const s = JSON.parse(readFileSync(dir + f, 'utf8')) as { title: string; description: string };
      return `- [\`schema/${f}\`](schema/${f}) (\`"type":"${s.title}"\`): ${s.description}`;
    })
    .join('\n');
}

function replaceBetween(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start (npm run docs) -->`;
  const end = `<!-- ${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README.md has no ${start} ... ${end} markers`);
  return text.slice(0, i + start.length) + '\n' + body + '\n' + text.slice(j);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = fileURLToPath(new URL('../README.md', import.meta.url));
  let text = readFileSync(path, 'utf8');
  text = replaceBetween(text, 'findings', findingsTable());
  text = replaceBetween(text, 'records', recordsList());
  text = replaceBetween(text, 'exit-codes', exitCodesTable());
  writeFileSync(path, text);
}
