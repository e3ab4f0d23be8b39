// What a long CLI run shows on stderr while it waits: plugin log lines as they arrive, and a one-line progress
// status on a terminal (rewritten in place, cleared before each log line).
import type { CliLogger } from './logger.js';
import type { RunState } from './common.js';
import { formatLogLine } from './output.js';
import type { PluginLogEntry } from '../protocol/logs.js';

export interface LiveOutput {
  /** Pass as the host's onLog. */
  onLog(e: PluginLogEntry): void;
  /** Show TEXT as the progress line (a terminal only; undefined elsewhere, so no progress is asked for). */
  progress: ((text: string) => void) | undefined;
  /** Remove the progress line. */
  clear(): void;
}

export function liveOutput(state: RunState, logger: CliLogger, opts: { json?: boolean; verbose?: boolean }): LiveOutput {
  const live = !opts.json;
  let shown = false;
  const clear = () => {
    if (shown) state.io.err('\r\x1b[K');
    shown = false;
  };
  return {
    onLog: (e) => {
      logger.plugin(e);
      if (live && !opts.verbose) {
        clear();
        state.io.err(`${formatLogLine(e)}\n`);
      }
    },
    progress:
      process.stderr.isTTY === true && live
        ? (text) => {
            state.io.err(`\r\x1b[K${text}`.slice(0, (process.stderr.columns || 120) + 4));
            shown = true;
          }
        : undefined,
    clear,
  };
}
