// Bundle the CLI and the worker (after tsc): dist/bundle/cli.js and dist/bundle/worker.js, each a few files instead of
// the hundred compiled modules (and commander, yaml) they load, which Node 20 resolves, reads and compiles one by one at
// every start. src/cli.ts runs the CLI bundle and src/host/worker/spawn.ts starts the worker bundle when they exist;
// the library (dist/index.js) is not bundled. Run by `make` (dist/cli.js), `npm run build` and `npm pack`.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Every output file sits in dist/bundle/, two levels below the package root, as the compiled modules do: the paths
// they compute from their own location (util/package-root.ts, the test PKI) stay right.
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
// Two builds, so that the two processes share no chunk files (each file is one more module to load).
for (const [name, entry] of [['cli', 'dist/cli/main.js'], ['worker', 'dist/worker/main.js']]) {
  await build({
  absWorkingDir: root,
  entryPoints: { [name]: entry },
  outdir,
  bundle: true,
  // Code loaded with import() stays in its own file, loaded when needed: the commander program after the CLI has
  // started its worker, the scenario modules for `run`, the worker's koffi part (a missing koffi is a setup message).
  splitting: true,
  chunkNames: `${name}-[name]-[hash]`,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // koffi is native; pino and pino-pretty are required on demand (--verbose) from node_modules.
  external: ['koffi', 'pino', 'pino-pretty'],
  // commander and yaml are CommonJS: their require() calls of Node's modules need a require in the ES module.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
}
