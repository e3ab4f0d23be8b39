// The typed messages between the supervisor (caller's process) and the plugin worker (child process), over Node IPC.
import type { PluginSpec, LoadErrorKind, AbiVersion } from '../worker/plugin/plugin.js';
import type { ReturnListNode } from '../openvpn/return-list.js';
import type { EntryPointName } from '../openvpn/constants.js';
import type { ClientSetup, LifeTiming } from '../worker/client-life.js';
import type { ServerParams } from '../openvpn/server-env.js';

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
  /** DER of a certificate passed as current_cert (TLS_VERIFY), with its depth. */
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
  timing: LifeTiming;
  progress: boolean;
}

/** End the client: CLIENT_DISCONNECT if connected, destructors, LEARN_ADDRESS delete; the client is forgotten. */
export interface ClientEndRequest {
  op: 'client-end';
  client: number;
}

/** The client-connect stage for one client (plugin v1, plugin v2, script), with deferrals. */
export interface ClientConnectRequest {
  op: 'client-connect';
  /** The client's env at client-connect, newest first. */
  env: string[];
  script?: string[];
  tmpDir: string;
  pollIntervalMs: number;
  watchFiles: boolean;
  timeoutMs: number;
  /** Send 'progress' events while deferred. */
  progress: boolean;
}

export interface CloseRequest {
  op: 'close';
}

export type Request = StartRequest | CallRequest | ClientConnectRequest | ClientNewRequest | ClientLifeConnectRequest | ClientEndRequest | CloseRequest;
export type RequestMessage = Request & { id: number };

export interface PluginCall {
  plugin: number;
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

export interface WorkerError {
  kind: LoadErrorKind | 'bad-request' | 'internal';
  message: string;
  plugin?: string;
  /** Index of the plugin that failed, when known. */
  index?: number;
  /** Partial information (e.g. the plugin loaded but did not open). */
  plugins?: PluginInfo[];
}

export type ResponseMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: WorkerError };

/** Unsolicited worker -> supervisor messages (progress of long operations). */
export interface EventMessage {
  event: string;
  data: unknown;
}

export type WorkerMessage = ResponseMessage | EventMessage;

/** Index of the log pipe in the worker's stdio array (moved above fd 100 by the runtime). */
export const LOG_PIPE_FD = 4;
