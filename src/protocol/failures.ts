// Result types shared by the library and the CLI: discriminated unions on `outcome`, and the exit code of each.
import type { PluginLogEntry } from '../host/worker/log-pipe.js';
import type { CallSite, WorkerDeath } from '../host/worker/worker-process.js';
import type { WorkerError } from './messages.js';

/** The plugin could not be loaded or opened (OpenVPN would refuse to start). */
export interface LoadErrorOutcome {
  outcome: 'load-error';
  error: { kind: string; message: string; plugin?: string };
  logs: PluginLogEntry[];
}

/** The plugin crashed the worker (a fatal signal inside a plugin call, or the worker died). */
export interface CrashedOutcome {
  outcome: 'crashed';
  signal: string | null;
  exitCode: number | null;
  during?: CallSite & { pluginPath?: string };
  message: string;
  logs: PluginLogEntry[];
}

/** A synchronous plugin call did not return within the call timeout; the worker was killed. */
export interface HungOutcome {
  outcome: 'hung';
  timeoutMs: number;
  during?: CallSite & { pluginPath?: string };
  message: string;
  logs: PluginLogEntry[];
}

export type FailureOutcome = LoadErrorOutcome | CrashedOutcome | HungOutcome;

/** Exit codes of the CLI (also documented in README and --help). */
export const EXIT = {
  SUCCESS: 0,
  PLUGIN_ERROR: 1,
  USAGE: 2,
  TIMEOUT: 3,
  CRASHED_OR_HUNG: 4,
  LOAD_ERROR: 5,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

export const EXIT_CODE_HELP = `Exit codes:
  0    success (the plugin said SUCCESS / the client was accepted / every expectation held)
  1    the plugin said ERROR, or the client was rejected, or an expectation failed
  2    usage error or bad input (options, --env values, scenario file)
  3    timed out waiting for a deferred result
  4    the plugin crashed or hung (a call did not return within --call-timeout)
  5    the plugin failed to load or open (missing file, not a shared object, wrong architecture,
       missing entry point, open returned an error or no handle)
  130  interrupted (SIGINT); 143 terminated (SIGTERM)`;

/** Turn a worker death or error into the matching failure outcome. PATHS names plugins by index. */
export function failureFromDeath(death: WorkerDeath, logs: PluginLogEntry[], paths: readonly string[]): CrashedOutcome | HungOutcome {
  const during = death.during ? { ...death.during, pluginPath: paths[death.during.plugin] } : undefined;
  const where = during ? ` in ${during.call} of ${during.pluginPath ?? `plugin #${during.plugin}`}` : '';
  if (death.reason === 'hung') {
    return { outcome: 'hung', timeoutMs: death.timeoutMs, during, logs,
      message: death.cause ? `${death.cause}; the worker was killed` : `the plugin did not return within ${death.timeoutMs} ms${where}; the worker was killed (raise --call-timeout if the call is legitimately slow)` };
  }
  if (death.cause) return { outcome: 'crashed', signal: death.signal, exitCode: death.exitCode, during, logs, message: death.cause };
  const how = death.signal ? `crashed with ${death.signal}` : `exited unexpectedly (code ${death.exitCode})`;
  return { outcome: 'crashed', signal: death.signal, exitCode: death.exitCode, during, logs, message: `the plugin ${how}${where}` };
}

export function failureFromError(error: WorkerError, logs: PluginLogEntry[]): LoadErrorOutcome {
  return { outcome: 'load-error', error: { kind: error.kind, message: error.message, plugin: error.plugin }, logs };
}

export function exitCodeOfFailure(f: FailureOutcome): number {
  return f.outcome === 'load-error' ? EXIT.LOAD_ERROR : EXIT.CRASHED_OR_HUNG;
}
