// Why a request to the worker produced no result: the plugin failed to load/open, crashed the worker, or hung.
import type { PluginLogEntry } from './logs.js';

/** The plugin call a worker was in when it died: the plugin's index and the hook (or open, close, ...). */
export interface CallSite {
  plugin: number;
  /** Hook name, or open/close/client_constructor/client_destructor/abort/min_version_required/select_initialization_point. */
  call: string;
}

/** One stack frame of a crash, as the worker's runtime saw it: the module (shared object) and the offset in it, and
 * the function when it could be named (from the dynamic symbols, or the file's own symbol table). */
export interface CrashFrame {
  module: string;
  /** Offset of the instruction in the module (its virtual address in the file). */
  offset: number;
  symbol?: string;
  /** Offset of the instruction in that function. */
  symbolOffset?: number;
}

/** Where a plugin crashed: the first frame (from the faulting one outwards) inside one of the chain's plugin files. */
export interface CrashSite {
  /** The plugin file, as the chain names it. */
  plugin: string;
  offset: number;
  symbol?: string;
  symbolOffset?: number;
  /** The crash's frames, faulting one first (at most 12; frames in other modules too). */
  frames: CrashFrame[];
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
  /** The faulting plugin frame, when the runtime caught the signal and a frame lies in a plugin file. */
  site?: CrashSite;
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
