// Entry point of the plugin worker child process. It loads the worker (koffi, the native runtime) first: a setup
// problem there (no runtime for this machine, koffi not installed) is sent to the caller as one message naming the
// fix, not left to surface as a crash of a plugin that was never loaded.
import type { WorkerMessage } from '../protocol/messages.js';
import { SETUP_FAILED_EXIT } from '../protocol/constants.js';
import { send } from './wire.js';

/** One line that says what is missing and what to do. */
function setupProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const first = String(e?.message ?? err).split('\n')[0];
  if (e?.name === 'SetupError') return first;
  if (/koffi/i.test(String(e?.message)) || e?.code === 'ERR_MODULE_NOT_FOUND') {
    return `koffi (the FFI library) cannot be loaded: ${first}; reinstall the dependencies (npm ci, without --omit=optional)`;
  }
  return `the plugin worker could not start: ${first}`;
}

try {
  await import('./serve.js');
} catch (err) {
  const message: WorkerMessage = { event: 'setup-failed', message: setupProblem(err) };
  send(message, () => process.exit(SETUP_FAILED_EXIT));
}
