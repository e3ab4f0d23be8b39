// A plugin's log line as the caller receives it (from plugin_log/plugin_vlog, or the plugin's stdout/stderr).
import type { PluginLogLevel } from '../openvpn/constants.js';

export interface PluginLogEntry {
  /** The plugin_name the plugin passed to plugin_log (or the plugin file for stdout/stderr lines). */
  plugin: string;
  level: PluginLogLevel;
  message: string;
  /** Raw openvpn_plugin_log_flags_t (0 for stdout/stderr lines). */
  flags: number;
  /** Process that logged: the worker, or a child the plugin forked. */
  pid: number;
  source: 'plugin_log' | 'stdout' | 'stderr';
  /** The client (host.client() order, from 0) whose hook or script was running when the line was logged, or whose
   * call forked the process that logged it; absent for server-level lines and for stdout/stderr. */
  client?: number;
  /** Milliseconds since the host started. */
  t: number;
}
