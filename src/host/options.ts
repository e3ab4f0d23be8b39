// What the library's callers pass: the host's options, a client's input, and how deferrals are waited for; and the
// defaults that fill them in.
import type { PluginLogEntry } from '../protocol/logs.js';
import type { DeferralProgress, DeferralTiming, PluginSpec } from '../protocol/messages.js';
import type { ServerParams } from '../openvpn/server-env.js';
import { checkMs, MAX_TIMER_MS } from './limits.js';
import { DEFAULT_AUTH_PENDING_CAP_MS } from '../openvpn/auth-deferral.js';

/** OpenVPN re-checks a deferred client about every 1.1 s (its timer wheel); timing 'openvpn' waits the same way. */
const OPENVPN_RECHECK_MS = 1100;

/** What a simulated client brings to the server. Every field is optional; defaults match the 2.6.14 capture. */
export interface ClientInput {
  /** A name for reports (default: client-<n>). */
  name?: string;
  /** Overrides the certificate's CN as common_name (default: CN of the chain's depth-0 cert). */
  commonName?: string;
  /** --auth-user-pass username; null/undefined = the client sends none (no AUTH_USER_PASS_VERIFY call). */
  username?: string | null;
  password?: string;
  /** The client's certificate chain: PEM text, or a path to a PEM file (client cert first or last; ordered by issuer).
   * Default: the bundled test CA + client (assets/test-pki/chain.pem). */
  cert?: string;
  /** K=V additions/overrides applied to the env of every client hook (EnvSet.override); null removes. */
  env?: Record<string, string | null>;
  /** Peer info lines the client sends (IV_*, UV_*): added to the defaults of a 2.6.14 client, or replacing them with
   * `replacePeerInfo`. E.g. { IV_SSO: 'webauth,crtext' } for auth_pending methods. */
  peerInfo?: Record<string, string>;
  replacePeerInfo?: boolean;
  /** Where the client connects from (untrusted_ip/port, trusted_ip/port). Default 127.0.0.1 and a port per client. */
  address?: { ip: string; port: number };
  /** The VPN address the pool assigns (default: the server's pool, as `server` sets it up: 10.29.41.2, .3, ... with
   * topology subnet; one /30 each with net30). */
  poolIp?: string;
  /** Counters reported at CLIENT_DISCONNECT (bytes_received, bytes_sent; default 0). */
  bytesReceived?: number;
  bytesSent?: number;
}

/** Timing and limits for deferrals, per host (and overridable per client call). */
export interface DeferralOptions {
  /** Give up on a deferred client-connect after this long (default 60000; OpenVPN itself never gives up). */
  timeoutMs?: number;
  /** Deferred auth expires after this (OpenVPN: hand-window, default 60 s), or the auth_pending_file timeout. */
  handWindowMs?: number;
  /** An auth_pending_file timeout is capped at this (OpenVPN: max(hand-window, reneg-sec / 2); default the larger of
   * handWindowMs and 1,800,000). */
  authPendingCapMs?: number;
  /** Re-check interval while deferred (default 20 ms; 1100 with timing 'openvpn'). */
  pollIntervalMs?: number;
  /** 'fast' (default): re-check every pollIntervalMs and at once on a file write; 'openvpn': ~1.1 s cadence. */
  timing?: 'fast' | 'openvpn';
}

export interface ConnectOptions extends DeferralOptions {
  /** --client-connect command as argv (the config file path is appended), run without a shell. */
  script?: string[];
  /** 'summary': hooks without argv/env keys, and no logs in the result (host.logs still has them). For load runs. */
  detail?: 'full' | 'summary';
  /** Called once a deferral begins and about every 200 ms while it is pending; `file`: the file whose first byte
   * decides it (auth_control_file, client_connect_deferred_file), when one does. */
  onProgress?: (p: { client: string; stage: string; polls: number; elapsedMs: number; pending: string; file?: string }) => void;
}

export interface HostOptions extends ConnectOptions {
  /** The plugin chain (after the `plugin` lines of `config`, when given). */
  plugins: PluginSpec[];
  /** A server.conf to run the plugins as that server does: its plugin lines, client-connect script, server settings
   * (proto, dev, topology, server, setenv, keying-material-exporter, ...), hand-window and reneg-sec. Options given
   * here win. What it holds that the host does not emulate is in host.configNotes. */
  config?: string;
  /** Server config lines, as in a server.conf (e.g. 'proto tcp-server', 'setenv REGION eu', 'topology net30'),
   * applied after `config`. */
  serverOptions?: string[];
  /** A synchronous plugin call that takes longer is killed and reported as `hung` (default 30000; 120000 with
   * memcheck). */
  callTimeoutMs?: number;
  /** Run the worker under valgrind's memcheck: the plugins' invalid reads/writes, use after free, bad frees and leaks,
   * each told with the plugin call that made it, in host.memcheck once the worker is gone (docs/memcheck.md). Needs
   * valgrind on PATH (otherwise a load-error); 20-50x slower. */
  memcheck?: boolean;
  /** envp at open; default: OpenVPN 2.6.14's open-time env. */
  openEnv?: string[];
  /** The server's configuration as it shows in plugins' env: proto ('udp', 'tcp-server', ...), dev, topology,
   * setenv lines, ... (defaults: the 2.6.14 capture's). With proto tcp-server, IPCHANGE gets the client's context. */
  server?: Partial<ServerParams>;
  /** Called for every plugin log line as it arrives. */
  onLog?: (entry: PluginLogEntry) => void;
}

/** The wire's timing for one connect, from the caller's options and their defaults. */
/** The deferral options checked: each within what a timer can wait (RangeError otherwise). */
function checkDeferralOptions(o: DeferralOptions): void {
  checkMs('timeoutMs', o.timeoutMs, 1, MAX_TIMER_MS);
  checkMs('handWindowMs', o.handWindowMs, 1, MAX_TIMER_MS);
  checkMs('authPendingCapMs', o.authPendingCapMs, 1, MAX_TIMER_MS);
  checkMs('pollIntervalMs', o.pollIntervalMs, 1, MAX_TIMER_MS);
}

export function deferralTiming(o: DeferralOptions & Pick<ConnectOptions, 'script' | 'detail'>): DeferralTiming {
  checkDeferralOptions(o);
  const openvpn = o.timing === 'openvpn';
  return {
    timeoutMs: o.timeoutMs ?? 60_000,
    handWindowMs: o.handWindowMs ?? 60_000,
    authPendingCapMs: o.authPendingCapMs ?? Math.max(o.handWindowMs ?? 60_000, DEFAULT_AUTH_PENDING_CAP_MS),
    pollIntervalMs: o.pollIntervalMs ?? (openvpn ? OPENVPN_RECHECK_MS : 20),
    watchFiles: !openvpn,
    script: o.script,
    detail: o.detail,
  };
}

/** A progress event as the library's onProgress callbacks see it. */
export function progressOf(p: DeferralProgress): { client: string; stage: string; polls: number; elapsedMs: number; pending: string; file?: string } {
  return { client: p.name, stage: p.stage, polls: p.polls, elapsedMs: p.elapsedMs, pending: p.pending, ...(p.file !== undefined ? { file: p.file } : {}) };
}
