#!/usr/bin/env node
// The `ovpn-plugin-host` command. CommonJS on purpose: Node runs a CommonJS entry ~25 ms sooner than an ES module one
// (it sets up no ES module loader first), and this is where a command that loads a plugin starts its worker
// (host/worker/early-worker.ts, from its bundle): the worker's Node boots on the other core while the CLI's modules
// load. Then the CLI runs: its bundle (dist/bundle/cli.js, built by scripts/bundle.mjs: a few files instead of a
// hundred modules) when it is there and not older than the CLI's modules, else the modules (src/cli/main.ts, which
// starts the worker itself).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isFreshBundle } from './util/fresh-bundle.cjs';

/** What the early-worker bundle exports (host/worker/early-worker.ts). */
interface EarlyWorker {
  wantsEarlyWorker(argv: readonly string[]): boolean;
  startEarlyWorker(): void;
}

const early = join(__dirname, 'bundle', 'early-worker.cjs');
if (isFreshBundle(early, join(__dirname, 'host', 'worker', 'early-worker.js'))) {
  const { wantsEarlyWorker, startEarlyWorker } = require(early) as EarlyWorker;
  if (wantsEarlyWorker(process.argv)) startEarlyWorker();
}
const bundle = join(__dirname, 'bundle', 'cli.js');
if (isFreshBundle(bundle, join(__dirname, 'cli', 'main.js'))) void import(pathToFileURL(bundle).href);
else void import('./cli/main.js');
