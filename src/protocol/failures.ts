// Why a request to the worker produced no result: the plugin failed to load/open, crashed the worker, or hung.
import type { PluginLogEntry } from './logs.js';

/** The plugin call a worker was in when it died: the plugin's index and the hook (or open, close, ...). */
export interface CallSite {
  plugin: number;
  /** Hook name, or open/close/client_constructor/client_destructor/abort/min_version_required/select_initialization_point. */
  call: string;
}

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
