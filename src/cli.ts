#!/usr/bin/env node
// Command-line entry point: runs the CLI bundle (dist/bundle/cli.js, built by scripts/bundle.mjs: a few files instead
// of a hundred modules, so it starts faster) when it is there, else the CLI's modules (src/cli/main.ts).
import { existsSync } from 'node:fs';

const bundle = new URL('./bundle/cli.js', import.meta.url);
if (existsSync(bundle)) await import(bundle.href);
else await import('./cli/main.js');
