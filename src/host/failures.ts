// Turn a worker's death or error into the failure outcome the caller gets (plugins named by their paths).
import type { PluginLogEntry } from '../protocol/logs.js';
import type { CrashedOutcome, HungOutcome, LoadErrorOutcome } from '../protocol/failures.js';
import type { WorkerError } from '../protocol/messages.js';
import { crashSite, frameText } from './crash-site.js';
import type { WorkerDeath } from './worker/death.js';

/** A dead worker as a crashed or hung outcome. PATHS names the plugins by index. */
export function failureFromDeath(death: WorkerDeath, logs: PluginLogEntry[], paths: readonly string[]): CrashedOutcome | HungOutcome {
  const during = death.during ? { ...death.during, pluginPath: paths[death.during.plugin] } : undefined;
  const where = during ? ` in ${during.call} of ${during.pluginPath ?? `plugin #${during.plugin}`}` : '';
  if (death.reason === 'hung') {
    return {
      outcome: 'hung',
      timeoutMs: death.timeoutMs,
      during,
      logs,
      message: death.cause ? `${death.cause}; the worker was killed` : `the plugin did not return within ${death.timeoutMs} ms${where}; the worker was killed`,
    };
  }
  if (death.cause) return { outcome: 'crashed', signal: death.signal, exitCode: death.exitCode, during, logs, message: death.cause };
  const site = crashSite(death.frames, paths);
  const how = death.signal ? `crashed with ${death.signal}` : `exited unexpectedly (code ${death.exitCode})`;
  const at = site ? ` at ${frameText(site)}` : '';
  return {
    outcome: 'crashed',
    signal: death.signal,
    exitCode: death.exitCode,
    during,
    ...(site ? { site } : {}),
    logs,
    message: `the plugin ${how}${where}${at}`,
  };
}

export function failureFromError(error: WorkerError, logs: PluginLogEntry[]): LoadErrorOutcome {
  return { outcome: 'load-error', error: { kind: error.kind, message: error.message, plugin: error.plugin }, logs };
}
