/**
 * The command line as one file: esbuild bundles src/cli/main.ts with yargs and our modules into
 * dist/cli/main.js (the package's bin), over tsc's unbundled file of the same name. Same directory
 * depth, so the paths main.ts and pcap-link.ts compute from import.meta.url (package.json,
 * build/Release/arpinject_pcap.node) still hold. One file instead of ~60 saves ESM resolution and
 * loading at every start. Commands stay lazy (esbuild defers the evaluation of what import() loads).
 * Not bundled, loaded from node_modules when used: pino, oui-data, raw-socket (createRequire) and
 * prom-client (watch --metrics). The library build (dist/**, .d.ts) is tsc's, untouched.
 *   node scripts/bundle-cli.mjs        (npm run build runs it after tsc)
 */
import { readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

/** yargs finds its locale files next to its own module; from the bundle, ask node where yargs is. */
const yargsLocales = {
  name: 'yargs-locales',
  setup(b) {
    b.onLoad({ filter: /yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const from = "resolve(__dirname, '../../../locales')";
      if (!text.includes(from)) throw new Error(`yargs' esm shim changed: ${from} not found in ${args.path}`);
      // `require` there is the shim's createRequire(import.meta.url): in the bundle, dist/cli/main.js.
      const to = "(() => { try { return resolve(require.resolve('yargs/package.json'), '../locales'); } catch { return resolve(__dirname, '../../../locales'); } })()";
      return { contents: text.replace(from, to), loader: 'js' };
    });
  },
};

// Chunks from an earlier build (their names change with their contents).
for (const f of readdirSync('dist/cli')) if (/^main\..+\.js(\.map)?$/.test(f)) rmSync(join('dist/cli', f));

await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/cli',
  entryNames: '[name]',
  // What a command's import() loads is its own file, next to main.js (the same depth: see above).
  splitting: true,
  chunkNames: 'main.[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: ['pino', 'oui-data', 'raw-socket', 'prom-client'],
  plugins: [yargsLocales],
  // Bundled CommonJS (get-caller-file) calls require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __arpinjectCreateRequire } from 'node:module'; const require = __arpinjectCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
