// Constants both sides of the wire agree on: where the log pipe is, how a worker that lost a channel exits, and the
// codes the native runtime uses for plugin calls that are not hooks.

/** Index of the log pipe in the worker's stdio array (the runtime moves it above fd 100). */
export const LOG_PIPE_FD = 4;

/** The worker's message channel (JSON lines over a socket pair): its fd in the worker, above the 3..100 that plugins
 * close in their helpers, and not fd 3, which plugins take for their own (the worker's fd 3 is /dev/null). */
export const CHANNEL_FD = 102;

/** Exit codes of a worker that lost a channel: base + 1 (log pipe), + 2 (IPC channel), + 4 (its event loop's
 * descriptors), or their sum. */
export const LOST_CHANNEL_EXIT_BASE = 80;

/** Negative "hook type" codes the runtime reports for the plugin entry points that are not hook calls. */
export const PSEUDO_TYPE = {
  open: -1,
  close: -2,
  abort: -3,
  constructor: -4,
  destructor: -5,
  minVersion: -6,
  initPoint: -7,
} as const;

/** The name of each pseudo call, as reports show it. */
export const PSEUDO_CALL_NAMES: Readonly<Record<number, string>> = {
  [PSEUDO_TYPE.open]: 'open',
  [PSEUDO_TYPE.close]: 'close',
  [PSEUDO_TYPE.abort]: 'abort',
  [PSEUDO_TYPE.constructor]: 'client_constructor',
  [PSEUDO_TYPE.destructor]: 'client_destructor',
  [PSEUDO_TYPE.minVersion]: 'min_version_required',
  [PSEUDO_TYPE.initPoint]: 'select_initialization_point',
};

/** Exit code of a worker that could not set itself up (it said why in a 'setup-failed' message first). */
export const SETUP_FAILED_EXIT = 79;
