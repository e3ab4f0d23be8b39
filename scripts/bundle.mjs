// Bundle the CLI and the worker (after tsc): dist/bundle/cli.js and dist/bundle/worker.cjs, each a few files instead of
// the hundred compiled modules (and commander, yaml) they load, which Node 20 resolves, reads and compiles one by one at
// every start, and the early-worker starter. src/cli.cts runs the CLI bundle (after the starter) and
// src/host/worker/worker-command.ts starts the worker bundle when they exist; the library (dist/index.js) is not
// bundled. Run by `make` (dist/bundle/cli.js), `npm run build` and `npm pack`.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Every output file sits in dist/bundle/, two levels below the package root, as the compiled modules do: the paths
// they compute from their own location (util/package-root.ts, the test PKI) stay right.
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Whitespace and syntax only (names kept: stack traces with OVPN_PLUGIN_HOST_DEBUG still name the functions): half
  // the bytes, which keeps the unpacked package under 2 MB and gives Node less to read and parse.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

// The CLI: an ES module. Code loaded with import() stays in its own file, loaded when needed: the commander program
// after the CLI has started its worker, the scenario modules for `run`, the fuzzer for `fuzz`.
await build({
  ...common,
  entryPoints: { cli: 'dist/cli/main.js' },
  outdir,
  splitting: true,
  chunkNames: 'cli-[name]-[hash]',
  format: 'esm',
  // pino and pino-pretty are required on demand (--verbose) from node_modules.
  external: ['pino', 'pino-pretty'],
  // commander and yaml are CommonJS: their require() calls of Node's modules need a require in the ES module.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
});

// The code that starts a worker early (src/host/worker/early-worker.ts): CommonJS, required by the command's CommonJS
// entry (src/cli.cts) before anything else, so that the worker starts before the CLI's ES modules load.
await build({
  ...common,
  entryPoints: ['dist/host/worker/early-worker.js'],
  outfile: join(outdir, 'early-worker.cjs'),
  format: 'cjs',
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// The worker: one CommonJS file, which Node starts without its ES module loader (measured: ~20 ms less CPU before the
// worker is ready). Its part that loads koffi (native, required from node_modules) still runs only when main.ts
// imports serve.ts, so that a missing koffi is the setup message main.ts sends.
await build({
  ...common,
  entryPoints: ['dist/worker/main.js'],
  outfile: join(outdir, 'worker.cjs'),
  format: 'cjs',
  external: ['koffi'],
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
