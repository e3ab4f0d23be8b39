// The typed messages between the supervisor (caller's process) and the plugin worker (child process), over Node IPC.
import type { PluginSpec, LoadErrorKind, AbiVersion } from '../plugin/plugin.js';
import type { ReturnListNode } from '../plugin/return-list.js';
import type { EntryPointName } from '../abi/constants.js';

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
  /** envp at open (OpenVPN 2.6.14's init-point-2 env). */
  openEnv: string[];
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

export type Request = StartRequest | CallRequest | ClientConnectRequest | CloseRequest;
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
