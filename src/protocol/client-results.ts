// The typed inputs and results of a client's whole life (connect, disconnect), shared by worker, library and CLI.
import type { PluginLogEntry } from '../host/worker/log-pipe.js';
import type { FailureOutcome } from './failures.js';
import type { ConfigPart } from '../openvpn/client-connect.js';
import type { ParsedOption } from '../openvpn/client-config.js';

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
  /** The VPN address the pool assigns (default 10.8.0.<n+1>, netmask 255.255.255.0). */
  poolIp?: string;
  /** Counters reported at CLIENT_DISCONNECT (bytes_received, bytes_sent; default 0). */
  bytesReceived?: number;
  bytesSent?: number;
}

/** One hook call of the life, with the chain's combined status. */
export interface HookStep {
  hook: string;
  /** argv after argv[0]. */
  argv: string[];
  /** Env var names the hook saw, in envp order. */
  envKeys: string[];
  /** Combined chain status: 0 SUCCESS, 1 ERROR, 2 DEFERRED (also for a script step). */
  status: number;
  statusName: string;
  /** Per plugin that registered the hook. */
  calls: Array<{ plugin: string; returnCode: number; returnName: string; ms: number }>;
  /** Which per-client context the plugins got: the client's, or the server's ("generic") one. */
  context: 'client' | 'server';
  /** Milliseconds since the client's connect/disconnect started, and the call's duration. */
  t: number;
  ms: number;
  note?: string;
}

/** Where a client's life stopped, in OpenVPN's terms. */
export type LifeStage = 'tls-verify' | 'auth' | 'tls-final' | 'client-connect' | 'learn-address';

/** What the AUTH_USER_PASS_VERIFY stage did. */
export interface AuthReport {
  /** False when no plugin registered AUTH_USER_PASS_VERIFY or the client sent no username. */
  called: boolean;
  deferred: boolean;
  /** auth_pending_file contents read right after DEFERRED (timeout seconds, method, extra). */
  pending?: { timeout: number; method: string; extra: string };
  /** First byte of auth_control_file that decided a deferred auth ('1' or '0'). */
  controlByte?: string;
  /** How many times auth_control_file was read while deferred. */
  polls: number;
  /** From auth_failed_reason_file (verbatim), when auth failed. */
  reason?: string;
  ms: number;
}

/** What the client-connect stage did (plugin v1, plugin v2, script), see ClientConnectResult. */
export interface ClientConnectReport {
  deferred: boolean;
  polls: number;
  ms: number;
}

interface LifeCommon {
  client: string;
  /** Every hook called, in order. */
  hooks: HookStep[];
  auth: AuthReport;
  logs: PluginLogEntry[];
  /** Total milliseconds of connect(). */
  ms: number;
  /** Hook calls that blocked the (single-threaded) server for more than 100 ms: they stall every other client. */
  blockingCalls: Array<{ hook: string; plugin: string; ms: number }>;
}

/** The client got its PUSH_REPLY. */
export interface ConnectedResult extends LifeCommon {
  outcome: 'connected';
  /** Config the server applies for the client (client-connect's), as text and parsed. */
  config: string;
  configParts: ConfigPart[];
  options: ParsedOption[];
  warnings: string[];
  /** The VPN address learned with LEARN_ADDRESS add (after any ifconfig-push). */
  address: string;
  /** False when a LEARN_ADDRESS plugin refused the address (OpenVPN then routes nothing to the client). */
  addressLearned: boolean;
  clientConnect: ClientConnectReport;
}

/** The server refused the client: what the client sees is `clientSees`. */
export interface RejectedResult extends LifeCommon {
  outcome: 'rejected';
  stage: LifeStage;
  /** AUTH_FAILED reason the client receives (auth_failed_reason_file content, or OpenVPN's own words), if any. */
  reason?: string;
  /** "AUTH_FAILED" / "AUTH_FAILED,<reason>" / "TLS handshake failed" */
  clientSees: string;
  clientConnect?: ClientConnectReport;
}

/** A deferral did not resolve in time (auth: hand-window or auth_pending timeout; client-connect: the host's limit). */
export interface TimeoutResult extends LifeCommon {
  outcome: 'timeout';
  stage: 'auth' | 'client-connect';
  pending: string;
  clientConnect?: ClientConnectReport;
}

/** OpenVPN would exit here (e.g. a second plugin deferred AUTH_USER_PASS_VERIFY). */
export interface FatalResult extends LifeCommon {
  outcome: 'fatal';
  stage: LifeStage;
  reason: string;
}

export type ConnectResult = ConnectedResult | RejectedResult | TimeoutResult | FatalResult | FailureOutcome;

/** The server-side end of a client: CLIENT_DISCONNECT, destructor, LEARN_ADDRESS delete. */
export interface DisconnectedResult {
  outcome: 'disconnected';
  client: string;
  hooks: HookStep[];
  logs: PluginLogEntry[];
  ms: number;
}

export type DisconnectResult = DisconnectedResult | FailureOutcome;

/** Timing and limits for deferrals, per host (and overridable per client call). */
export interface DeferralOptions {
  /** Give up on a deferred client-connect after this long (default 60000; OpenVPN itself never gives up). */
  timeoutMs?: number;
  /** Deferred auth expires after this (OpenVPN: hand-window, default 60 s), or the auth_pending_file timeout. */
  handWindowMs?: number;
  /** Re-check interval while deferred (default 20 ms; 1100 with timing 'openvpn'). */
  pollIntervalMs?: number;
  /** 'fast' (default): re-check every pollIntervalMs and at once on a file write; 'openvpn': ~1.1 s cadence. */
  timing?: 'fast' | 'openvpn';
}
