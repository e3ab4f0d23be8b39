#!/usr/bin/env node
// Command-line entry point: start a plugin worker early (for commands that load a plugin, it boots on the other
// core while the CLI's modules load), then build the commander program (src/cli/program.ts) and run it.
import { prefork } from './host/worker/spawn.js';

if (['inspect', 'call', 'connect', 'load', 'run', 'demo'].includes(process.argv[2] ?? '')) prefork();
const { runCli } = await import('./cli/program.js');
process.exitCode = await runCli(process.argv);
