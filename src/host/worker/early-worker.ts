// The worker the CLI's entry (src/cli.cts) starts first thing, so that its Node boots on the other core while the CLI's
// own modules load; spawn.ts's prefork() adopts it. The CLI's modules may be a bundled copy of this code, so the
// hand-over goes through a global slot, not a module variable.
import { startWorkerProcess, type WorkerStart } from './worker-command.js';

/** The CLI commands that load a plugin (and so need a worker). */
const LOADS_A_PLUGIN = ['inspect', 'call', 'connect', 'load', 'run', 'demo'];

/** Whether the command line ARGV runs a command that needs a worker started early (not with --memcheck: that worker
 * runs under valgrind, started when the host opens). */
export function wantsEarlyWorker(argv: readonly string[]): boolean {
  return LOADS_A_PLUGIN.includes(argv[2] ?? '') && !argv.includes('--memcheck');
}

const SLOT = Symbol.for('ovpn-plugin-host.early-worker');
type Slot = { [SLOT]?: WorkerStart };

/** Start a worker now and leave it for takeEarlyWorker. */
export function startEarlyWorker(): void {
  (globalThis as Slot)[SLOT] ??= startWorkerProcess();
}

/** The worker startEarlyWorker started, once (undefined if none). */
export function takeEarlyWorker(): WorkerStart | undefined {
  const started = (globalThis as Slot)[SLOT];
  delete (globalThis as Slot)[SLOT];
  return started;
}
