// The CLI process (started by src/cli.ts): start a plugin worker early (for commands that load a plugin, it boots on
// the other core while the CLI's modules load), then build the commander program (program.ts) and run it.
import { prefork } from '../host/worker/spawn.js';

// (not with --memcheck: that worker runs under valgrind, started when the host opens)
if (['inspect', 'call', 'connect', 'load', 'run', 'demo'].includes(process.argv[2] ?? '') && !process.argv.includes('--memcheck')) prefork();
// A reader that stops early (`| head`) closes stdout: nothing more to say, so leave quietly (exit handlers still end
// the worker and remove temp files), never with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
const { runCli } = await import('./program.js');
process.exitCode = await runCli(process.argv);
