// Entry point of the plugin worker child process. It loads the worker (koffi, the native runtime) first: a setup
// problem there (no runtime for this machine, koffi not installed) is sent to the caller as one message naming the
// fix, not left to surface as a crash of a plugin that was never loaded.
import type { WorkerMessage } from '../protocol/messages.js';
import { writeSync } from 'node:fs';
import { LOG_PIPE_FD, SETUP_FAILED_EXIT } from '../protocol/constants.js';
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

// (a promise chain, not a top-level await: the worker bundle is CommonJS, which has none; scripts/bundle.mjs)
import('./serve.js').catch((err: unknown) => {
  const message: WorkerMessage = { event: 'setup-failed', message: setupProblem(err) };
  // into the log pipe too, synchronously (the caller reads it to its end before it settles the exit; a message in
  // the channel could still be under way when the exit is seen)
  try {
    writeSync(LOG_PIPE_FD, `S\t${message.message.replace(/[\\\t\n]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : '\\\\'))}\n`);
  } catch {
    // no log pipe: the channel message below is all there is
  }
  send(message, () => process.exit(SETUP_FAILED_EXIT));
});
