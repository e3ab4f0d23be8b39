// The client-connect stage as the library offers it: typed options and result around the worker's state machine.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PluginHost } from './host.js';
import type { FailureOutcome } from '../protocol/failures.js';
import type { PluginLogEntry } from './worker/log-pipe.js';
import type { EventMessage } from '../protocol/messages.js';
import type { ClientConnectReport } from '../worker/client-connect.js';
import type { ConfigPart, Step } from '../openvpn/client-connect.js';
import { mergeConfigs, type ParsedOption } from '../openvpn/client-config.js';
import { clientConnectEnv } from '../openvpn/defaults.js';
import { lifeTiming } from './client.js';

export interface ClientConnectOptions {
  /** The client's complete env at client-connect, newest first (default: OpenVPN 2.6.14's for this chain). */
  env?: string[];
  /** Used to build the default env: common_name, username, and K=V additions/overrides. */
  commonName?: string;
  username?: string;
  envOverrides?: Record<string, string>;
  /** --client-connect command as argv (the config file path is appended), run without a shell. */
  script?: string[];
  /** Give up on a deferral after this long: outcome `timeout` (default 60000). OpenVPN itself has no limit. */
  timeoutMs?: number;
  /** Re-check interval while deferred (default 20 ms; 1100 with timing 'openvpn'). */
  pollIntervalMs?: number;
  /** 'fast' (default): re-check every pollIntervalMs and at once on a file write; 'openvpn': ~1.1 s cadence, no watching. */
  timing?: 'fast' | 'openvpn';
  onProgress?: (p: { polls: number; elapsedMs: number; pending: string }) => void;
}

export interface ClientConnectStep extends Omit<Step, 'calls'> {
  calls?: Array<{ plugin: string; returnCode: number; returnName: string; ms: number }>;
}

export interface ClientConnectDone {
  outcome: 'accepted' | 'rejected' | 'timeout';
  deferred: boolean;
  /** The config text the server would apply, in handler order. */
  config: string;
  configParts: ConfigPart[];
  /** That config parsed: one entry per directive. */
  options: ParsedOption[];
  /** Lines OpenVPN would ignore, with its warning. */
  warnings: string[];
  reason?: string;
  pending?: string;
  polls: number;
  elapsedMs: number;
  steps: ClientConnectStep[];
  logs: PluginLogEntry[];
}

export type ClientConnectResult = ClientConnectDone | FailureOutcome;

/** Run the stage in the host's worker; temp files live in a private 0700 dir removed afterwards, whatever happens. */
export async function clientConnectStage(host: PluginHost, opts: ClientConnectOptions = {}): Promise<ClientConnectResult> {
  const { timeoutMs, pollIntervalMs, watchFiles } = lifeTiming(opts);
  const tmpDir = await mkdtemp(join(tmpdir(), 'ovpn-plugin-host-'));
  const onEvent = (e: EventMessage) => {
    if (e.event === 'progress' && opts.onProgress) opts.onProgress(e.data as { polls: number; elapsedMs: number; pending: string });
  };
  host.worker.on('event', onEvent);
  host.takeLogs();
  try {
    const r = await host.send<ClientConnectReport>({
      op: 'client-connect',
      env: opts.env ?? clientConnectEnv({
        registeredHooks: host.plugins.flatMap((p) => p.hooks), commonName: opts.commonName, username: opts.username, env: opts.envOverrides,
      }), script: opts.script, tmpDir,
      pollIntervalMs, watchFiles, timeoutMs, progress: !!opts.onProgress,
    }, timeoutMs + host.callTimeoutMs * 4);
    if ('failure' in r) return r.failure;
    const report = r.ok;
    const parsed = mergeConfigs(report.config);
    const names = host.paths();
    return {
      outcome: report.outcome, deferred: report.deferred, config: report.config.map((c) => c.text).join(''),
      configParts: report.config, options: parsed.options, warnings: parsed.warnings, reason: report.reason, pending: report.pending,
      polls: report.polls, elapsedMs: report.elapsedMs,
      steps: report.steps.map((s) => ({ ...s, calls: s.calls?.map((c) => ({ ...c, plugin: names[c.plugin] ?? `#${c.plugin}` })) })),
      logs: host.takeLogs(),
    };
  } finally {
    host.worker.off('event', onEvent);
    await rm(tmpDir, { recursive: true, force: true });
  }
}
