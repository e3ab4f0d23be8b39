#!/usr/bin/env node
// Command-line entry point: runs the CLI bundle (dist/bundle/cli.js, built by scripts/bundle.mjs: a few files instead
// of a hundred modules, so it starts faster) when it is there and not older than the CLI's modules, else the modules
// (src/cli/main.ts).
import { fileURLToPath } from 'node:url';
import { isFreshBundle } from './util/fresh-bundle.js';

const bundle = new URL('./bundle/cli.js', import.meta.url);
if (isFreshBundle(fileURLToPath(bundle), fileURLToPath(new URL('./cli/main.js', import.meta.url)))) await import(bundle.href);
else await import('./cli/main.js');
