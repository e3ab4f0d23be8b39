// The CLI and its worker run from their bundles (scripts/bundle.mjs, dist/bundle/): which files a command's processes
// load, seen by an ES module loader hook in the CLI and by the worker's command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, ROOT, fixture } from '../helpers.js';

/** Run the CLI with ARGS; the files it loaded, as file: URLs: those its ES module loader loaded (in order, as they
 * load) and, from a preload, each process it spawned (`spawn <program> <first argument>`, when it is spawned) and the
 * CommonJS files it required (at exit). */
function loadedFiles(args: string[]): Promise<{ code: number; stdout: string; files: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'ovph-loaded-'));
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    "import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.startsWith('file:')) appendFileSync(process.env.LOADED_LOG, url + '\\n');\n  return next(url, context);\n}\n",
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
  );
  writeFileSync(
    join(dir, 'record.cjs'),
    [
      "const { appendFileSync } = require('node:fs');",
      "const { pathToFileURL } = require('node:url');",
      "const cp = require('node:child_process');",
      'const spawn = cp.spawn;',
      "cp.spawn = function (file, args, ...rest) { appendFileSync(process.env.LOADED_LOG, 'spawn ' + file + ' ' + args[0] + '\\n'); return spawn.call(this, file, args, ...rest); };",
      "process.on('exit', () => { for (const f of Object.keys(require.cache)) if (f !== __filename) appendFileSync(process.env.LOADED_LOG, pathToFileURL(f).href + '\\n'); });",
      '',
    ].join('\n'),
  );
  return new Promise((resolve) => {
    const node = ['--require', join(dir, 'record.cjs'), '--import', join(dir, 'register.mjs')];
    execFile(process.execPath, [...node, CLI, ...args], { env: { ...process.env, LOADED_LOG: log } }, (err, stdout) => {
      const files = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      rmSync(dir, { recursive: true, force: true });
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, files });
    });
  });
}

const relative = (url: string) => (url.startsWith('spawn ') ? url : url.slice(pathToFileURL(ROOT).href.length + 1));

test('the command (dist/cli.cjs) runs the CLI bundle: only dist/cli.cjs, its freshness check and dist/bundle/ files, no other compiled module, no node_modules', async () => {
  const r = await loadedFiles(['--version']);
  assert.equal(r.code, 0);
  const files = r.files.map(relative);
  assert.ok(files.includes('dist/cli.cjs') && files.includes('dist/bundle/cli.js'), files.join('\n'));
  assert.deepEqual(
    files.filter((f) => f !== 'dist/cli.cjs' && f !== 'dist/util/fresh-bundle.cjs' && !f.startsWith('dist/bundle/')),
    [],
  );
  assert.ok(!files.some((f) => f.startsWith('spawn ')), '--version starts no worker');
});

test('a command that loads a plugin starts its worker (the worker bundle) before the CLI bundle loads', async () => {
  const r = await loadedFiles(['inspect', fixture('v3-basic')]);
  assert.equal(r.code, 0);
  const files = r.files.map(relative);
  const spawns = files.filter((f) => f.startsWith('spawn '));
  assert.deepEqual(spawns, [`spawn ${process.execPath} ${join(ROOT, 'dist', 'bundle', 'worker.cjs')}`], 'one worker, the bundle');
  assert.ok(files.indexOf(spawns[0]!) < files.indexOf('dist/bundle/cli.js'), files.join('\n'));
  assert.ok(files.includes('dist/bundle/early-worker.cjs'), files.join('\n'));
});

test('inspect loads neither YAML nor the fuzzer nor the scenario modules (loaded only by run and fuzz)', async () => {
  const r = await loadedFiles(['inspect', fixture('v3-basic')]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /closed cleanly/);
  const files = r.files.map(relative).filter((f) => !f.startsWith('spawn '));
  assert.deepEqual(
    files.filter((f) => /^dist\/bundle\/cli-(fuzz|schema|run|junit)-/.test(f)),
    [],
  );
  // YAML's core schema tags are strings that survive minifying
  for (const f of files) assert.doesNotMatch(readFileSync(join(ROOT, f), 'utf8'), /tag:yaml\.org,2002:/, f);
});

test('forkWorker of the compiled package starts the worker bundle (dist/bundle/worker.cjs), which answers ready', async () => {
  const { forkWorker } = (await import(
    pathToFileURL(join(ROOT, 'dist', 'host', 'worker', 'spawn.js')).href
  )) as typeof import('../../src/host/worker/spawn.js');
  const w = forkWorker();
  if (w.child.spawnargs[1] !== join(ROOT, 'dist', 'bundle', 'worker.cjs')) w.child.kill('SIGKILL'); // never left waiting
  assert.equal(w.child.spawnargs[1], join(ROOT, 'dist', 'bundle', 'worker.cjs'));
  const exited = new Promise((resolve) => w.child.once('exit', resolve));
  const first = await new Promise((resolve) => w.wire.once('message', resolve));
  assert.deepEqual(first, { event: 'ready' });
  w.wire.close();
  assert.equal(await exited, 0);
  for (const s of w.child.stdio) s?.destroy();
});

test('in a checkout, a bundle older than the compiled modules (tsc run without the bundle step) is not used; in an installed package, the bundle always is', async () => {
  const { isFreshBundle } = await import('../../src/util/fresh-bundle.cjs');
  const dir = mkdtempSync(join(tmpdir(), 'fresh-bundle-'));
  try {
    // a package root with dist/bundle/ and dist/cli/, as the checkout and the installed package both have
    mkdirSync(join(dir, 'dist', 'bundle'), { recursive: true });
    mkdirSync(join(dir, 'dist', 'cli'));
    const [bundle, modules] = [join(dir, 'dist', 'bundle', 'cli.js'), join(dir, 'dist', 'cli', 'main.js')];
    writeFileSync(bundle, '');
    writeFileSync(modules, '');
    writeFileSync(join(dir, 'tsconfig.json'), '{}'); // a checkout
    utimesSync(bundle, 1000, 1000);
    utimesSync(modules, 2000, 2000);
    assert.equal(isFreshBundle(bundle, modules), false, 'a checkout: older than its modules');
    utimesSync(bundle, 2000, 2000);
    assert.equal(isFreshBundle(bundle, modules), true, 'a checkout: as new as its modules');
    assert.equal(isFreshBundle(join(dir, 'dist', 'bundle', 'none.js'), modules), false, 'no bundle');
    rmSync(join(dir, 'tsconfig.json')); // an installed package: npm unpacked the modules after the bundle
    utimesSync(bundle, 1000, 1000);
    assert.equal(isFreshBundle(bundle, modules), true, 'an installed package: the bundle, whatever the unpacking order');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
