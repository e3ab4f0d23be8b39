// The client-connect stage alone, as the library offers it: typed options around the worker's stage, and its report.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientConnectEnv } from '../openvpn/defaults.js';
import type { ClientConnectReport } from '../protocol/client-results.js';
import type { FailureOutcome } from '../protocol/failures.js';
import type { PluginLogEntry } from '../protocol/logs.js';
import type { PluginInfo } from '../protocol/messages.js';
import type { WorkerChannel } from './channel.js';
import { deferralTiming } from './options.js';

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

/** The stage's report, with what the plugins logged meanwhile. */
export interface ClientConnectDone extends ClientConnectReport {
  logs: PluginLogEntry[];
}

export type ClientConnectResult = ClientConnectDone | FailureOutcome;

/** Run the stage in the host's worker; temp files live in a private 0700 dir removed afterwards, whatever happens. */
export async function clientConnectStage(
  channel: WorkerChannel,
  plugins: readonly PluginInfo[],
  opts: ClientConnectOptions = {},
): Promise<ClientConnectResult> {
  const tmpDir = await mkdtemp(join(tmpdir(), 'ovpn-plugin-host-'));
  const { onProgress } = opts;
  channel.takeLogs();
  try {
    const env =
      opts.env
      ?? clientConnectEnv({
        registeredHooks: plugins.flatMap((p) => p.hooks),
        commonName: opts.commonName,
        username: opts.username,
        env: opts.envOverrides,
      });
    const r = await channel.request<'client-connect'>(
      { op: 'client-connect', env, tmpDir, timing: deferralTiming(opts), progress: !!onProgress },
      onProgress && ((p) => onProgress({ polls: p.polls, elapsedMs: p.elapsedMs, pending: p.pending })),
    );
    if ('failure' in r) return r.failure;
    return { ...r.ok, logs: channel.takeLogs() };
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}
