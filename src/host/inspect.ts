// Inspect one plugin: load and open it with OpenVPN 2.6.14's open-time env, report what it exports and registers, close it.
import { PluginHost, isFailure } from './host.js';
import type { FailureOutcome } from '../protocol/failures.js';
import type { PluginLogEntry } from '../protocol/logs.js';
import type { PluginSpec, PluginInfo } from '../protocol/messages.js';

export interface InspectOptions {
  plugin: PluginSpec;
  callTimeoutMs?: number;
  /** envp at open; default: OpenVPN 2.6.14's. */
  openEnv?: string[];
  onLog?: (entry: PluginLogEntry) => void;
}

export interface InspectOk {
  outcome: 'ok';
  plugin: PluginInfo;
  /** Everything the plugin logged, from open to close (plugin_log lines and stdout/stderr lines). */
  logs: PluginLogEntry[];
}

/** A failure, with what is known about the plugin (e.g. it loaded but did not open, or it crashed in close). */
export type InspectFailure = FailureOutcome & { plugins?: PluginInfo[] };
export type InspectResult = InspectOk | InspectFailure;

/** One inspection; abort() (Ctrl-C) kills the worker at once. */
export class Inspection {
  private host: PluginHost | undefined;
  private aborted = false;

  constructor(readonly options: InspectOptions) {}

  async run(): Promise<InspectResult> {
    const { plugin, callTimeoutMs, onLog } = this.options;
    const host = await PluginHost.open({ plugins: [plugin], callTimeoutMs, onLog, openEnv: this.options.openEnv });
    if (isFailure(host)) return host;
    this.host = host;
    if (this.aborted) await host.kill();
    const info = host.plugins[0]!;
    const closeFailure = await host.close();
    if (closeFailure) return { ...closeFailure, logs: [...host.logs], plugins: [info] };
    return { outcome: 'ok', plugin: info, logs: [...host.logs] };
  }

  async abort(): Promise<void> {
    this.aborted = true;
    await this.host?.kill();
  }
}

export function inspectPlugin(options: InspectOptions): Promise<InspectResult> {
  return new Inspection(options).run();
}
