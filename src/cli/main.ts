// The CLI process (started by src/cli.cts): keep a plugin worker ready (the one src/cli.cts started, or one started now:
// for commands that load a plugin, it boots on the other core while the CLI's modules load), then build the commander
// program (program.ts) and run it.
import { wantsEarlyWorker } from '../host/worker/early-worker.js';
import { prefork } from '../host/worker/spawn.js';

if (wantsEarlyWorker(process.argv)) prefork();
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
