// The results of a client's whole life (connect, disconnect) and of its client-connect stage, as the worker reports them.
import type { FailureOutcome } from './failures.js';
import type { ConfigPart, Step } from '../openvpn/client-connect.js';
import type { ParsedOption } from '../openvpn/client-config.js';
import type { PluginLogEntry } from './logs.js';
import type { SessionState } from '../openvpn/auth-token.js';

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
  /** auth_pending_file contents read right after DEFERRED (timeout seconds, method, extra), and the control messages
   * the client is then sent (AUTH_PENDING,timeout N and INFO_PRE,extra). */
  pending?: { timeout: number; method: string; extra: string; clientSees: string[] };
  /** First byte of auth_control_file that decided a deferred auth ('1' or '0'). */
  controlByte?: string;
  /** How many times auth_control_file was read while deferred. */
  polls: number;
  /** From auth_failed_reason_file (verbatim), when auth failed. */
  reason?: string;
  ms: number;
}

/** One handler's step of the client-connect stage. */
export type ClientConnectStep = Step;

/** What the client-connect stage did (plugin v1, plugin v2, script), as the worker reports it. */
export interface ClientConnectReport {
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
}

/** The client-connect stage in a client's whole life, in short. */
export interface ClientConnectSummary {
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

/** The client got its PUSH_REPLY. The config the server applies for it is the client-connect report's, as is
 * (text, parts, parsed, warnings); a refused LEARN_ADDRESS adds a warning. */
export interface ConnectedResult extends LifeCommon, Pick<ClientConnectReport, 'config' | 'configParts' | 'options' | 'warnings'> {
  outcome: 'connected';
  /** The push options the client gets from the server's config (`push`, unless its own config has `push-reset`),
   * then from its own config (client-connect's `push`), in that order; the ones OpenVPN adds itself (ifconfig,
   * route-gateway, topology, peer-id, cipher, ...) are not listed. */
  pushReply: string[];
  /** The VPN address learned with LEARN_ADDRESS add (after any ifconfig-push). */
  address: string;
  /** False when a LEARN_ADDRESS plugin refused the address (OpenVPN then routes nothing to the client). */
  addressLearned: boolean;
  clientConnect: ClientConnectSummary;
}

/** The server refused the client: what the client sees is `clientSees`. */
export interface RejectedResult extends LifeCommon {
  outcome: 'rejected';
  stage: LifeStage;
  /** AUTH_FAILED reason the client receives (auth_failed_reason_file content, or OpenVPN's own words), if any. */
  reason?: string;
  /** "AUTH_FAILED" / "AUTH_FAILED,<reason>" / "TLS handshake failed" */
  clientSees: string;
  clientConnect?: ClientConnectSummary;
}

/** A deferred client-connect did not resolve within the host's limit (OpenVPN itself waits forever). A deferred auth
 * that expires is a rejection at auth, as OpenVPN sends AUTH_FAILED. */
export interface TimeoutResult extends LifeCommon {
  outcome: 'timeout';
  stage: 'client-connect';
  pending: string;
  clientConnect?: ClientConnectSummary;
}

/** OpenVPN would exit here (e.g. a second plugin deferred AUTH_USER_PASS_VERIFY). */
export interface FatalResult extends LifeCommon {
  outcome: 'fatal';
  stage: LifeStage;
  reason: string;
}

/** The connection ended while a deferral of the client's own was pending: the client vanished (disconnect() while
 * connect() waited) or the server restarted. No CLIENT_DISCONNECT (OpenVPN calls it only for clients past
 * client-connect), the destructors ran; `leftBehind` lists the temp files OpenVPN would leave (the host removed them). */
export interface DroppedResult extends LifeCommon {
  outcome: 'dropped';
  stage: LifeStage;
  /** Who ended it: the client itself, or the server's restart signal. */
  by: 'client' | 'SIGHUP' | 'SIGUSR1';
  leftBehind: string[];
}

/** What the worker answers to a connect: every outcome but the failures (which the caller finds itself). */
export type WorkerConnectResult = ConnectedResult | RejectedResult | TimeoutResult | FatalResult | DroppedResult;

export type ConnectResult = WorkerConnectResult | FailureOutcome;

/** --auth-gen-token at a renegotiation: the session_state the server set, and whether the token spared the plugins
 * their AUTH_USER_PASS_VERIFY (a valid token without external-auth). */
export interface TokenReport {
  sessionState: SessionState;
  pluginsSkipped: boolean;
}

/** A renegotiation (reneg-sec, reneg-bytes, client-initiated) whose new key is authenticated: the tunnel goes on. */
export interface RenewedResult extends LifeCommon {
  outcome: 'renewed';
  /** 1 for the client's first renegotiation, 2 for its second, ... */
  renegotiation: number;
  token?: TokenReport;
}

/** The new key failed (TLS_VERIFY, auth, a deferred auth that expired, an expired token, TLS_FINAL): OpenVPN kills
 * the whole tunnel. `hooks` holds the failing calls, then the client's end (CLIENT_DISCONNECT, destructor, LEARN_ADDRESS
 * delete); a later disconnect() calls no plugin. */
export interface TunnelKilledResult extends LifeCommon {
  outcome: 'rejected';
  tunnelKilled: true;
  stage: LifeStage;
  renegotiation: number;
  /** AUTH_FAILED reason the client receives, if any. */
  reason?: string;
  clientSees: string;
  token?: TokenReport;
}

/** What the worker answers to a renegotiation (a second deferring plugin makes OpenVPN exit: fatal). */
export type WorkerRenegotiateResult = RenewedResult | TunnelKilledResult | FatalResult;

export type RenegotiateResult = WorkerRenegotiateResult | FailureOutcome;

/** The server-side end of a client: CLIENT_DISCONNECT, destructor, LEARN_ADDRESS delete. */
export interface DisconnectedResult {
  outcome: 'disconnected';
  client: string;
  hooks: HookStep[];
  logs: PluginLogEntry[];
  ms: number;
  /** Set when the server ended the client before it asked to (its hooks ran then): why. */
  endedBy?: string;
  /** The client vanished while its connect still waited on a deferral (connect() then says `dropped`): the temp
   * files OpenVPN would leave behind there (client-connect v1/script files); the host removed them. */
  vanished?: { stage: LifeStage; leftBehind: string[] };
}

/** A server restart (SIGHUP or SIGUSR1): what happened to each client and to the plugins. */
export interface RestartedResult {
  outcome: 'restarted';
  signal: 'SIGHUP' | 'SIGUSR1';
  /** Every client the restart dropped, in host.client() order: connected ones got CLIENT_DISCONNECT; clients still
   * waiting on a deferral got none (their connect() says `dropped`). */
  dropped: DisconnectedResult[];
  /** The plugin entry points the restart called, in order ("client_destructor_v1 a.so", "close_v1 a.so", ...). */
  calls: string[];
  logs: PluginLogEntry[];
  ms: number;
}

export type RestartResult = RestartedResult | FailureOutcome;

export type DisconnectResult = DisconnectedResult | FailureOutcome;
