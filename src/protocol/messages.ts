// The typed messages between the caller's process and the plugin worker (child process), as JSON lines:
// one request type per operation, the one response type each gets, and the events the worker sends on its own.
import type { EntryPointName } from '../openvpn/constants.js';
import type { ReturnListNode } from '../openvpn/return-list.js';
import type { PeerAddress, PoolAddress, ServerParams } from '../openvpn/server-env.js';
import type { ClientConnectReport, DisconnectedResult, RestartedResult, WorkerConnectResult, WorkerRenegotiateResult } from './client-results.js';

/** A plugin as a `plugin` line names it. */
export interface PluginSpec {
  /** The path as the user wrote it; it is also argv[0] of every call, as in OpenVPN. */
  path: string;
  /** Arguments after the path, as on a `plugin` line. */
  args?: string[];
}

export type AbiVersion = 1 | 2 | 3;

export type LoadErrorKind =
  | 'not-found'
  | 'not-shared-object'
  | 'wrong-architecture'
  | 'load-failed'
  | 'missing-entry-point'
  | 'min-version'
  | 'open-failed'
  | 'bad-mask'
  /** Not the plugin's fault: the host itself cannot run here (no native runtime for this machine, koffi missing). */
  | 'setup';

/** What the worker learned about a plugin when loading and opening it. */
export interface PluginInfo {
  index: number;
  path: string;
  file: string;
  args: string[];
  exported: EntryPointName[];
  openVersion: AbiVersion;
  funcVersion: AbiVersion;
  minVersionRequired: number | null;
  initPoint: number;
  typeMask: number;
  hooks: string[];
}

/** A client as the caller describes it to the worker (see ClientInput for the user-facing form). */
export interface ClientSetup {
  name: string;
  /** PEM chain text; undefined = the bundled test chain. */
  certPem?: string;
  commonName?: string;
  username: string | null;
  password: string;
  env?: Record<string, string | null>;
  peerInfo: Array<[string, string]>;
  address: PeerAddress;
  pool: PoolAddress;
  bytesReceived: number;
  bytesSent: number;
  /** Private 0700 directory for this host's temp files. */
  tmpDir: string;
}

/** How deferrals are waited for, in one connect (or one client-connect stage). */
export interface DeferralTiming {
  /** Give up on a deferred client-connect after this long. */
  timeoutMs: number;
  /** Deferred auth expires after this (unless auth_pending_file gives its own timeout). */
  handWindowMs: number;
  /** An auth_pending_file timeout is capped at this: max(hand-window, reneg-sec / 2). */
  authPendingCapMs: number;
  /** Re-check interval while deferred. */
  pollIntervalMs: number;
  /** Also re-check at once when a watched file is written. */
  watchFiles: boolean;
  /** --client-connect command as argv (the config file path is appended), run without a shell. */
  script?: string[];
  /** 'summary' leaves out each hook's argv and env keys (for load runs with thousands of clients). */
  detail?: 'full' | 'summary';
}

/** dlopen every plugin, open each in order, make the generic per-client contexts. */
export interface StartRequest {
  op: 'start';
  plugins: PluginSpec[];
  callTimeoutMs: number;
  /** envp at open; default: OpenVPN 2.6.14's init-point-2 env, made in the worker (its pid is daemon_pid). */
  openEnv?: string[];
  /** The server's configuration as it shows in the env (proto, dev, topology, --setenv, ...); defaults: the capture's. */
  server?: Partial<ServerParams>;
}

/** One raw hook call through the chain. */
export interface CallRequest {
  op: 'call';
  hook: number;
  /** Arguments after argv[0]. */
  argv: string[];
  env: string[];
  /** Give each plugin a fresh per-client context (constructor before, destructor after), as for a client hook. */
  perClient: boolean;
  collectReturnList: boolean;
  /** DER of a certificate passed as current_cert (TLS_VERIFY), base64, with its depth. */
  certDer?: string;
  certDepth?: number;
  /** Use this client's per-client contexts (see client-new) instead of fresh ones. */
  client?: number;
}

/** A new client instance: its plugin contexts are constructed now (OpenVPN: on the first packet, before TLS). */
export interface ClientNewRequest {
  op: 'client-new';
  client: number;
  setup: ClientSetup;
}

/** Run the client's life up to connected (or its refusal). */
export interface ClientLifeConnectRequest {
  op: 'client-life-connect';
  client: number;
  timing: DeferralTiming;
  /** Send 'progress' events while deferred. */
  progress: boolean;
}

/** Renegotiate a connected client's TLS session: TLS_VERIFY per depth, AUTH_USER_PASS_VERIFY (or the token), TLS_FINAL,
 * a deferred auth waited for; a failure kills the tunnel. */
export interface ClientRenegotiateRequest {
  op: 'client-renegotiate';
  client: number;
  timing: DeferralTiming;
  /** Send 'progress' events while deferred. */
  progress: boolean;
}

/** End the client: CLIENT_DISCONNECT if connected, destructors, LEARN_ADDRESS delete; the client is forgotten. */
export interface ClientEndRequest {
  op: 'client-end';
  client: number;
}

/** The client-connect stage alone, for a client made for it (plugin v1, plugin v2, script), with deferrals. */
export interface ClientConnectRequest {
  op: 'client-connect';
  /** The client's env at client-connect, newest first. */
  env: string[];
  tmpDir: string;
  timing: DeferralTiming;
  /** Send 'progress' events while deferred. */
  progress: boolean;
}

/** Restart the server as OpenVPN does on SIGHUP (plugins closed and opened again) or SIGUSR1 (plugins kept, the
 * generic constructor called again); every client is dropped. */
export interface RestartRequest {
  op: 'restart';
  signal: 'SIGHUP' | 'SIGUSR1';
}

/** Shut the server down: remaining clients ended, destructors, close. */
interface CloseRequest {
  op: 'close';
}

/** A process a plugin started, still running: its pid and command line. */
export interface RunningProcess {
  pid: number;
  command: string;
}

/** After close: the processes the plugins started that were still running (the worker ends them as it exits). */
interface CloseResponse {
  leftRunning: RunningProcess[];
}

/** One plugin's part in a chain call. */
export interface PluginCall {
  /** The plugin, by its path as given. */
  plugin: string;
  called: boolean;
  returnCode: number;
  returnList: ReturnListNode[] | null;
  ms: number;
}

export interface CallResponse {
  status: number;
  undefinedHook: boolean;
  calls: PluginCall[];
}

export interface StartResponse {
  plugins: PluginInfo[];
}

/** Every request, by op, with the one response it gets. */
interface Operations {
  start: { request: StartRequest; response: StartResponse };
  call: { request: CallRequest; response: CallResponse };
  'client-new': { request: ClientNewRequest; response: null };
  'client-life-connect': { request: ClientLifeConnectRequest; response: WorkerConnectResult };
  'client-renegotiate': { request: ClientRenegotiateRequest; response: WorkerRenegotiateResult };
  'client-end': { request: ClientEndRequest; response: DisconnectedResult };
  'client-connect': { request: ClientConnectRequest; response: ClientConnectReport };
  close: { request: CloseRequest; response: CloseResponse };
  restart: { request: RestartRequest; response: RestartedResult };
}

export type Op = keyof Operations;
export type RequestOf<K extends Op> = Operations[K]['request'];
export type ResponseOf<K extends Op> = Operations[K]['response'];
export type Request = RequestOf<Op>;
export type RequestMessage = Request & { id: number };

/** Why the worker could not do what a request asked (the worker itself is fine). */
export interface WorkerError {
  kind: LoadErrorKind | 'bad-request' | 'internal';
  message: string;
  plugin?: string;
  /** Index of the plugin that failed, when known. */
  index?: number;
  /** Partial information (e.g. the plugin loaded but did not open). */
  plugins?: PluginInfo[];
}

export type ResponseMessage = { id: number; ok: true; result: ResponseOf<Op> } | { id: number; ok: false; error: WorkerError };

/** Where a deferred client is, sent about every 200 ms while it waits. */
export interface DeferralProgress {
  /** The client (host.client() order), absent for the client-connect stage run alone. */
  client?: number;
  /** The client's name (or empty for the stage alone). */
  name: string;
  stage: 'auth' | 'client-connect';
  polls: number;
  elapsedMs: number;
  /** What it waits for, in words. */
  pending: string;
  /** The file whose first byte decides the deferral, when one does: auth_control_file, or the v1 plugin's or script's
   * client_connect_deferred_file (absent for CLIENT_CONNECT_DEFER_V2 polls). An outside party may write it. */
  file?: string;
}

/** Messages the worker sends on its own: it is ready (request time limits start), it cannot run here (and exits),
 * or a request's progress. */
type WorkerEvent = { event: 'ready' } | { event: 'setup-failed'; message: string } | { event: 'progress'; request: number; progress: DeferralProgress };

export type WorkerMessage = ResponseMessage | WorkerEvent;
