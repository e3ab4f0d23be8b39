#!/usr/bin/env node
// Command-line entry point: build the commander program (src/cli/program.ts) and run it with this process's arguments.
import { runCli } from './cli/program.js';

process.exitCode = await runCli(process.argv);
