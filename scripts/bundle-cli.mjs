/**
 * The command line as one CommonJS file: esbuild bundles src/cli/main.ts with yargs and our modules
 * into dist/cli/arpinject.cjs (the package's bin), next to tsc's unbundled ESM dist/cli/main.js
 * (same directory, so the paths main.ts and binding.ts compute from import.meta.url, package.json and
 * build/Release/arpinject_pcap.node, still hold). One CommonJS file, not ESM chunks: the module
 * graph is read synchronously, with no resolution, linking or async file reads through the thread
 * pool; a probe starts ~20 ms sooner (native-notes/startup.md). Commands stay lazy: what import()
 * loads is wrapped by esbuild and evaluated on first use. Not bundled, loaded from node_modules when
 * used: pino, oui-data, raw-socket (createRequire) and prom-client (watch --metrics). The library
 * build (dist/**, .d.ts) is tsc's, untouched.
 *   node scripts/bundle-cli.mjs        (npm run build runs it after tsc)
 */
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** yargs finds its locale files next to its own module; from the bundle, ask node where yargs is. */
const yargsLocales = {
  name: 'yargs-locales',
  setup(b) {
    b.onLoad({ filter: /yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const from = "resolve(__dirname, '../../../locales')";
      if (!text.includes(from)) throw new Error(`yargs' esm shim changed: ${from} not found in ${args.path}`);
      // `require` there is the shim's createRequire(import.meta.url): in the bundle, dist/cli/yargs.cjs.
      const to = "(() => { try { return resolve(require.resolve('yargs/package.json'), '../locales'); } catch { return resolve(__dirname, '../../../locales'); } })()";
      return { contents: text.replace(from, to), loader: 'js' };
    });
  },
};

// ESM chunks from an earlier build (before the CommonJS bundle).
for (const f of readdirSync('dist/cli')) if (/^main\..+\.js(\.map)?$/.test(f)) rmSync(join('dist/cli', f));

/**
 * Text width for help (string-width): cliui and wrap-ansi bring their own 7.x copies; the bundle uses
 * the package's one 8.x copy for all three (same API; 8.x measures printable ASCII, all our help is,
 * by length). And at import it built an Intl.Segmenter and three /v Unicode-property regexes (~50 ms
 * of ICU data and regex compilation on every start, a probe's too): built on first use instead.
 */
const STRING_WIDTH = fileURLToPath(import.meta.resolve('string-width'));
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, () => ({ path: STRING_WIDTH }));
    b.onLoad({ filter: /[\\/]string-width[\\/]index\.js$/ }, async (args) => {
      if (args.path !== STRING_WIDTH) throw new Error(`a second string-width in the bundle: ${args.path}`);
      let text = await readFile(args.path, 'utf8');
      // `const NAME = EXPR;` becomes a memoised function, and every later use of NAME a call of it.
      const lazy = (name, expr) => {
        const from = `const ${name} = ${expr};`;
        const at = text.indexOf(from);
        if (at < 0) throw new Error(`string-width changed: ${from} not found in ${args.path}`);
        const rest = text.slice(at + from.length).replace(new RegExp(`\\b${name}\\b`, 'g'), `${name}()`);
        text = `${text.slice(0, at)}let ${name}_; const ${name} = () => (${name}_ ??= ${expr});${rest}`;
      };
      lazy('segmenter', 'new Intl.Segmenter()');
      lazy('visibleCharacterRegex', '/[^\\p{Default_Ignorable_Code_Point}\\p{Control}\\p{Format}\\p{Nonspacing_Mark}\\p{Enclosing_Mark}\\p{Surrogate}]/v');
      lazy('spacingMarkRegex', '/\\p{Spacing_Mark}/v');
      lazy('rgiEmojiRegex', '/^\\p{RGI_Emoji}$/v');
      return { contents: text, loader: 'js' };
    });
  },
};

/**
 * In the CLI bundle, yargs is its own file (below), required when main.ts's one import('yargs') runs.
 * A require, not an import(): the bin compiles the bundle as a vm.Script (for the code cache), where
 * import() has no loader.
 */
const yargsApart = {
  name: 'yargs-apart',
  setup(b) {
    b.onResolve({ filter: /^yargs$/ }, () => ({ path: 'yargs', namespace: 'yargs-apart' }));
    b.onLoad({ filter: /.*/, namespace: 'yargs-apart' }, () => ({ contents: "module.exports = require('./yargs.cjs');", loader: 'js' }));
    b.onResolve({ filter: /^\.\/yargs\.cjs$/ }, () => ({ path: './yargs.cjs', external: true }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  // import.meta.url in CommonJS: this file's URL (main.ts's entry check, createRequire, package.json).
  define: { 'import.meta.url': '__arpinjectUrl' },
  banner: { js: "'use strict';\nconst __arpinjectUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};

// yargs (with cliui, y18n, string-width) apart: help, completion and the lines the lean parser leaves
// to it (src/cli/lean.ts) load it; a plain run never parses its 250 KB (~2 MB of RSS, measured).
await build({
  ...common,
  stdin: { contents: "export { default } from 'yargs';", resolveDir: process.cwd(), loader: 'js' },
  outfile: 'dist/cli/yargs.cjs',
  plugins: [yargsLocales, lazyStringWidth],
});

await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/cli.cjs',
  external: ['pino', 'oui-data', 'raw-socket', 'prom-client'],
  plugins: [yargsApart],
});
const bundle = readFileSync('dist/cli/cli.cjs');
if (/\bimport\(/.test(bundle.toString('utf8').replace(/\/\/.*$/gm, ''))) throw new Error('dist/cli/cli.cjs calls import(): the bin runs it as a vm.Script, where import() has no loader');
// ASCII only (esbuild escapes strings, not the comments it keeps): one non-ASCII byte makes V8 hold
// the whole 400 KB source as a two-byte string, and reading it costs ~7 ms instead of ~2 (measured).
const wide = bundle.findIndex((b) => b > 0x7f);
if (wide >= 0) throw new Error(`dist/cli/cli.cjs line ${bundle.subarray(0, wide).toString('latin1').split('\n').length} has a non-ASCII character (in a kept comment?): the bundle must be ASCII`);

// The bin: scripts/bin.cjs, with the bundle's hash (its code cache's name).
const buildId = createHash('sha256').update(bundle).digest('hex').slice(0, 16);
const { COMMANDS } = await import('../dist/cli/commands/meta.js'); // tsc's, built just before
writeFileSync('dist/cli/arpinject.cjs', readFileSync('scripts/bin.cjs', 'utf8').replace('__ARPINJECT_BUILD__', buildId).replace("'__ARPINJECT_COMMANDS__'", Object.keys(COMMANDS).map((c) => `'${c}'`).join(', ')));
chmodSync('dist/cli/arpinject.cjs', 0o755);
