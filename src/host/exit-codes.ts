// The exit code of each kind of result, shared by the CLI and scenario reports (and exported by the library).
import type { FailureOutcome } from '../protocol/failures.js';

/** Exit codes of the CLI (documented in docs/cli.md and --help). */
export const EXIT = {
  SUCCESS: 0,
  PLUGIN_ERROR: 1,
  USAGE: 2,
  TIMEOUT: 3,
  CRASHED_OR_HUNG: 4,
  LOAD_ERROR: 5,
  /** --memcheck found memory errors or leaks in the plugin (when nothing worse happened). */
  MEMCHECK: 6,
  SIGHUP: 129,
  SIGINT: 130,
  SIGQUIT: 131,
  SIGTERM: 143,
} as const;

export function exitCodeOfFailure(f: FailureOutcome): number {
  return f.outcome === 'load-error' ? EXIT.LOAD_ERROR : EXIT.CRASHED_OR_HUNG;
}
