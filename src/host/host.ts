// The library's entry point: a plugin chain opened in a worker process, driven by typed, promise-based calls.
import { HOOKS, hookName, returnName, type HookName } from '../openvpn/constants.js';
import type { PluginSpec } from '../worker/plugin/plugin.js';
import { configValue, type ReturnListNode } from '../openvpn/return-list.js';
import { failureFromDeath, failureFromError, type FailureOutcome } from '../protocol/failures.js';
import type { PluginLogEntry } from './worker/log-pipe.js';
import { WorkerProcess, type RequestOutcome } from './worker/worker-process.js';
import type { CallResponse, PluginInfo, Request, StartResponse } from '../protocol/messages.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, clientSetup, type ConnectOptions } from './client.js';
import type { ClientInput } from '../protocol/client-results.js';
import type { ServerParams } from '../openvpn/server-env.js';
import { clientConnectStage, type ClientConnectOptions, type ClientConnectResult } from './client-connect-stage.js';

export interface HostOptions extends ConnectOptions {
  plugins: PluginSpec[];
  /** A synchronous plugin call that takes longer is killed and reported as `hung` (default 30000). */
  callTimeoutMs?: number;
  /** envp at open; default: OpenVPN 2.6.14's open-time env. */
  openEnv?: string[];
  /** The server's configuration as it shows in plugins' env: proto ('udp', 'tcp-server', ...), dev, topology,
   * setenv lines, ... (defaults: the 2.6.14 capture's). With proto tcp-server, IPCHANGE gets the client's context. */
  server?: Partial<ServerParams>;
  /** Called for every plugin log line as it arrives. */
  onLog?: (entry: PluginLogEntry) => void;
}

export interface HookCallOptions {
  /** Arguments after argv[0]. */
  argv?: string[];
  /** The complete envp as K=V strings, in order. */
  env?: string[];
  /** Give each plugin a fresh per-client context for this call (default: for client hooks). */
  perClient?: boolean;
  /** Pass a return-list slot (default: for CLIENT_CONNECT_V2 and CLIENT_CONNECT_DEFER_V2, as OpenVPN does). */
  collectReturnList?: boolean;
  /** A DER certificate for current_cert (TLS_VERIFY) and its depth. */
  certDer?: Buffer;
  certDepth?: number;
  /** Call with this client's per-client contexts (made by host.client()). */
  client?: Client;
}

export interface PluginCallReport {
  plugin: string;
  called: boolean;
  returnCode: number;
  returnName: string;
  returnList: ReturnListNode[] | null;
  ms: number;
}

export interface HookReturnedOutcome {
  outcome: 'returned';
  hook: HookName;
  /** OpenVPN's combined status for the chain (0 SUCCESS, 1 ERROR, 2 DEFERRED). */
  returnCode: number;
  returnName: string;
  /** No plugin registered the hook: OpenVPN calls nothing and treats it as SUCCESS. */
  notRegistered: boolean;
  /** The first "config" node of the first plugin that returned one. */
  config?: string;
  calls: PluginCallReport[];
  logs: PluginLogEntry[];
}

export type HookCallResult = HookReturnedOutcome | FailureOutcome;

const DEFAULT_CALL_TIMEOUT_MS = 30_000;

export class PluginHost {
  private clientCount = 0;
  private tmp?: string;

  private constructor(
    readonly worker: WorkerProcess,
    readonly plugins: PluginInfo[],
    private readonly options: HostOptions,
    private logStart: number,
  ) {}

  /** A new client instance (its plugin contexts are constructed now, as OpenVPN does on the first packet).
   * Throws for a bad `cert`. */
  client(input: ClientInput = {}): Client {
    const n = this.clientCount++;
    const setup = clientSetup(input, n, this.tmpDir());
    const created = this.send({ op: 'client-new', client: n, setup }, this.callTimeoutMs * (this.plugins.length + 1))
      .then((r) => ('failure' in r ? r.failure : undefined));
    const { plugins: _p, callTimeoutMs: _c, openEnv: _o, onLog: _l, server: _s, ...defaults } = this.options;
    return new Client(this, n, setup, created, defaults);
  }

  /** The host's private 0700 temp dir (made on first use, removed by close/kill or at process exit). */
  private tmpDir(): string {
    if (!this.tmp) {
      this.tmp = mkdtempSync(join(tmpdir(), 'ovpn-plugin-host-'));
      liveTmpDirs.add(this.tmp);
    }
    return this.tmp;
  }

  private removeTmp(): void {
    if (!this.tmp) return;
    rmSync(this.tmp, { recursive: true, force: true });
    liveTmpDirs.delete(this.tmp);
    this.tmp = undefined;
  }

  /** `await using host = await openHost(...)` closes the host at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Spawn a worker, dlopen every plugin, open them in order. Resolves to the host, or to why it failed. */
  static async open(options: HostOptions): Promise<PluginHost | FailureOutcome> {
    const worker = new WorkerProcess({ outputName: options.plugins[0]?.path });
    if (options.onLog) worker.on('log', options.onLog);
    const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const r = await worker.request<StartResponse>({
      op: 'start', plugins: options.plugins, callTimeoutMs, openEnv: options.openEnv, server: options.server,
    }, callTimeoutMs * (options.plugins.length * 3 + 1));
    if (r.kind !== 'ok') {
      const failure = r.kind === 'dead'
        ? failureFromDeath(r.death, worker.logs, options.plugins.map((p) => p.path))
        : failureFromError(r.error, worker.logs);
      if (r.kind === 'error' && r.error.plugins) (failure as { plugins?: PluginInfo[] }).plugins = r.error.plugins;
      await worker.stop();
      return failure;
    }
    return new PluginHost(worker, r.result.plugins, { ...options, callTimeoutMs }, 0);
  }

  get callTimeoutMs(): number {
    return this.options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  /** Every log line so far. */
  get logs(): PluginLogEntry[] {
    return this.worker.logs;
  }

  /** Log lines since the last takeLogs() call. */
  takeLogs(): PluginLogEntry[] {
    const out = this.worker.logs.slice(this.logStart);
    this.logStart = this.worker.logs.length;
    return out;
  }

  paths(): string[] {
    return this.plugins.map((p) => p.path);
  }

  /** Send a request and turn a worker death or error into a failure outcome. */
  async send<T>(req: Request, limitMs: number): Promise<{ ok: T } | { failure: FailureOutcome }> {
    const r: RequestOutcome<T> = await this.worker.request<T>(req, limitMs);
    if (r.kind === 'ok') return { ok: r.result };
    if (r.kind === 'dead') return { failure: failureFromDeath(r.death, this.takeLogs(), this.paths()) };
    return { failure: failureFromError(r.error, this.takeLogs()) };
  }

  /** One raw hook call through the chain, as OpenVPN's plugin_call does it. */
  async call(hook: HookName, opts: HookCallOptions = {}): Promise<HookCallResult> {
    const type = HOOKS[hook];
    const collect = opts.collectReturnList ?? (hook === 'CLIENT_CONNECT_V2' || hook === 'CLIENT_CONNECT_DEFER_V2');
    this.takeLogs();
    const r = await this.send<CallResponse>({
      op: 'call', hook: type, argv: opts.argv ?? [], env: opts.env ?? [], perClient: opts.perClient ?? true,
      collectReturnList: collect, certDer: opts.certDer?.toString('base64'), certDepth: opts.certDepth, client: opts.client?.id,
    }, this.callTimeoutMs * 3);
    if ('failure' in r) return r.failure;
    const calls = r.ok.calls.map((c) => ({
      plugin: this.plugins[c.plugin]?.path ?? `#${c.plugin}`, called: c.called, returnCode: c.returnCode,
      returnName: returnName(c.returnCode), returnList: c.returnList, ms: c.ms,
    }));
    const config = r.ok.calls.map((c) => configValue(c.returnList)).find((v) => v !== undefined);
    return {
      outcome: 'returned', hook: hookName(type) as HookName, returnCode: r.ok.status, returnName: returnName(r.ok.status),
      notRegistered: r.ok.undefinedHook, config, calls, logs: this.takeLogs(),
    };
  }

  /** The client-connect stage for one client, with deferrals resolved (or timed out) as OpenVPN 2.6 does. */
  clientConnect(opts: ClientConnectOptions = {}): Promise<ClientConnectResult> {
    return clientConnectStage(this, opts);
  }

  /** Close the plugins as a server shutdown does, and end the worker. Resolves to a failure if close crashed or hung. */
  async close(): Promise<FailureOutcome | undefined> {
    try {
      if (this.worker.exited) return undefined;
      const r = await this.send({ op: 'close' }, this.callTimeoutMs * (this.plugins.length * 2 + this.clientCount * 3 + 1));
      await this.worker.stop();
      return 'failure' in r ? r.failure : undefined;
    } finally {
      this.removeTmp();
    }
  }

  /** Kill the worker at once (no close calls). */
  async kill(): Promise<void> {
    try {
      await this.worker.kill();
    } finally {
      this.removeTmp();
    }
  }
}

/** Temp dirs of hosts not yet closed: removed when the process exits, whatever happens. */
const liveTmpDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of liveTmpDirs) rmSync(dir, { recursive: true, force: true });
});

/** Load and open a plugin chain failed: `failure` says why (load-error, crashed or hung). */
export class HostOpenError extends Error {
  constructor(readonly failure: FailureOutcome) {
    super(failure.outcome === 'load-error' ? failure.error.message : failure.message);
    this.name = 'HostOpenError';
  }
}

/** Open a plugin chain in a worker, as OpenVPN does at startup. Throws HostOpenError if a plugin fails to load or open. */
export async function openHost(options: HostOptions): Promise<PluginHost> {
  const r = await PluginHost.open(options);
  if (isFailure(r)) throw new HostOpenError(r);
  return r;
}

export function isFailure<T extends object>(r: T | FailureOutcome): r is FailureOutcome {
  return 'outcome' in r && (r.outcome === 'load-error' || r.outcome === 'crashed' || r.outcome === 'hung');
}

