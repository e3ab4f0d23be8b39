// The library's entry point: a plugin chain opened in a worker process, driven by typed, promise-based calls.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { HOOKS, hookName, returnName, type HookName } from '../openvpn/constants.js';
import { configValue } from '../openvpn/return-list.js';
import type { FailureOutcome } from '../protocol/failures.js';
import type { RestartResult } from '../protocol/client-results.js';
import type { PluginLogEntry } from '../protocol/logs.js';
import type { PluginCall, PluginInfo, RunningProcess } from '../protocol/messages.js';
import { defaultServerParams } from '../openvpn/server-env.js';
import { WorkerChannel } from './channel.js';
import { Client, clientSetup } from './client.js';
import { clientConnectStage, type ClientConnectOptions, type ClientConnectResult } from './client-connect-stage.js';
import { failureFromDeath, failureFromError } from './failures.js';
import { checkMs, DEFAULT_CALL_TIMEOUT_MS, MAX_CALL_TIMEOUT_MS, requestLimitMs } from './limits.js';
import { withServerConfig } from './server-config-file.js';
import { WorkerProcess } from './worker/worker-process.js';
import type { ClientInput, HostOptions } from './options.js';
import { collectMemcheck } from './memcheck/collect.js';
import type { MemcheckReport } from './memcheck/report.js';
import { findValgrind, NO_VALGRIND } from './memcheck/valgrind-command.js';

/** The default call timeout of a host under memcheck: valgrind runs a plugin 20-50x slower. */
const MEMCHECK_CALL_TIMEOUT_MS = 120_000;

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

/** One plugin's part in a raw call, with its return code's name. */
export interface PluginCallReport extends PluginCall {
  returnName: string;
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

/** Temp dirs of hosts not yet closed: removed when the process exits, whatever happens. */
const liveTmpDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of liveTmpDirs) rmSync(dir, { recursive: true, force: true });
});

export class PluginHost {
  readonly #channel: WorkerChannel;
  /** What the `config` file holds that the host does not emulate, and other remarks on it (empty without one). */
  configNotes: readonly string[] = [];
  readonly #options: HostOptions;
  #tmp?: string;
  /** Under memcheck: valgrind's XML file (in a temp dir of its own: the worker removes the host's temp dir as it
   * exits, while valgrind still writes) and, once the worker exited, its report. */
  #memcheckXml?: { dir: string; file: string };
  #memcheck?: MemcheckReport;
  #leftRunning?: RunningProcess[];
  #leftFiles?: string[];

  private constructor(
    channel: WorkerChannel,
    readonly plugins: PluginInfo[],
    options: HostOptions,
  ) {
    this.#channel = channel;
    this.#options = options;
  }

  /** Under `memcheck`: the plugins' memory errors and leaks, each with the plugin call that made it. Set once the
   * worker is gone (after close() or kill(), or once it died); undefined before, without memcheck, or when valgrind
   * wrote nothing. */
  get memcheck(): MemcheckReport | undefined {
    return this.#memcheck;
  }

  /** After close(): the processes the plugins started that were still running half a second after CLOSE_PLUGINS
   * (a helper the plugin never ended; a real server would leave it behind). The host ended them. Empty when none;
   * undefined before close() or when close failed. */
  get leftRunning(): readonly RunningProcess[] | undefined {
    return this.#leftRunning;
  }

  /** After close(): the files left in the server's temp dir (OpenVPN's --tmp-dir, where the control files go), as
   * paths relative to it. A real server removes all of its own by then, so these are the plugins' (a real server
   * would leave them behind). The host removed them. Empty when none; undefined before close() or when it failed. */
  get leftFiles(): readonly string[] | undefined {
    return this.#leftFiles;
  }

  /** Spawn a worker, dlopen every plugin, open them in order. Resolves to the host, or to why it failed. */
  static async open(given: HostOptions): Promise<PluginHost | FailureOutcome> {
    if (!given || !Array.isArray(given.plugins)) throw new TypeError('openHost needs options with a plugins list: openHost({ plugins: [{ path }] })');
    checkMs('callTimeoutMs', given.callTimeoutMs, 1, MAX_CALL_TIMEOUT_MS);
    const { options, notes } = withServerConfig(given);
    let memcheck: { xmlFile: string; valgrind: string; tmp: string } | undefined;
    if (options.memcheck) {
      const valgrind = findValgrind();
      if (!valgrind) return failureFromError({ kind: 'setup', message: NO_VALGRIND }, []);
      const tmp = mkdtempSync(join(tmpdir(), 'ovpn-plugin-host-memcheck-'));
      liveTmpDirs.add(tmp);
      memcheck = { xmlFile: join(tmp, 'valgrind.xml'), valgrind, tmp };
    }
    const worker = new WorkerProcess({ outputName: options.plugins[0]?.path, memcheck });
    if (options.onLog) worker.on('log', options.onLog);
    const callTimeoutMs = options.callTimeoutMs ?? (memcheck ? MEMCHECK_CALL_TIMEOUT_MS : DEFAULT_CALL_TIMEOUT_MS);
    const paths = options.plugins.map((p) => p.path);
    const req = { op: 'start', plugins: options.plugins, callTimeoutMs, openEnv: options.openEnv, server: options.server } as const;
    const r = await worker.request<'start'>(req, requestLimitMs(req, { callTimeoutMs, plugins: paths.length, clients: 0 }));
    if (r.kind !== 'ok') {
      const failure = r.kind === 'dead' ? failureFromDeath(r.death, worker.logs, paths) : failureFromError(r.error, worker.logs);
      if (r.kind === 'error' && r.error.plugins) (failure as { plugins?: PluginInfo[] }).plugins = r.error.plugins;
      // Nothing runs after a failed open (OpenVPN exits; the worker already called abort_v1): kill the worker rather
      // than wait for a graceful exit that a plugin's or koffi's exit handler can stall for seconds.
      await worker.kill();
      if (memcheck) {
        rmSync(memcheck.tmp, { recursive: true, force: true });
        liveTmpDirs.delete(memcheck.tmp);
      }
      return failure;
    }
    const host = new PluginHost(new WorkerChannel(worker, paths, callTimeoutMs), r.result.plugins, { ...options, callTimeoutMs });
    host.configNotes = notes;
    if (memcheck) host.#memcheckXml = { dir: memcheck.tmp, file: memcheck.xmlFile };
    return host;
  }

  /** The worker process's pid (for resource figures and tests), undefined if it never started. */
  get workerPid(): number | undefined {
    return this.#channel.worker.pid;
  }

  /** Whether the worker process is gone (closed, killed, or dead). */
  get workerExited(): boolean {
    return this.#channel.worker.exited;
  }

  /** The server's reneg-sec (from `config`, `serverOptions` or `server`), if one is set: how far apart timed
   * renegotiations are (connect --renegotiate). */
  get renegSec(): number | undefined {
    return this.#options.server?.renegSec || undefined;
  }

  get callTimeoutMs(): number {
    return this.#channel.callTimeoutMs;
  }

  /** Every log line so far. */
  get logs(): PluginLogEntry[] {
    return this.#channel.logs;
  }

  /** Log lines since the last takeLogs() call. */
  takeLogs(): PluginLogEntry[] {
    return this.#channel.takeLogs();
  }

  /** A new client instance (its plugin contexts are constructed now, as OpenVPN does on the first packet).
   * Throws for a bad `cert`. */
  client(input: ClientInput = {}): Client {
    const n = this.#channel.clients++;
    const setup = clientSetup(input, n, this.tmpDir(), { ...defaultServerParams(), ...this.#options.server });
    const created = this.#channel.request<'client-new'>({ op: 'client-new', client: n, setup }).then((r) => ('failure' in r ? r.failure : undefined));
    const { plugins: _p, callTimeoutMs: _c, openEnv: _o, onLog: _l, server: _s, config: _f, serverOptions: _so, memcheck: _m, ...defaults } = this.#options;
    return new Client(this.#channel, n, setup, created, defaults);
  }

  /** The host's private 0700 temp dir (made on first use, removed by close/kill or at process exit). */
  private tmpDir(): string {
    if (!this.#tmp) {
      this.#tmp = mkdtempSync(join(tmpdir(), 'ovpn-plugin-host-'));
      liveTmpDirs.add(this.#tmp);
    }
    return this.#tmp;
  }

  /** The worker is gone: read valgrind's report (before the temp dir that holds it goes), then remove the temp dir. */
  private removeTmp(): void {
    if (this.#memcheckXml && this.#channel.worker.exited) {
      this.#memcheck = collectMemcheck(this.#memcheckXml.file, this.plugins);
      rmSync(this.#memcheckXml.dir, { recursive: true, force: true });
      liveTmpDirs.delete(this.#memcheckXml.dir);
      this.#memcheckXml = undefined;
    }
    if (!this.#tmp) return;
    rmSync(this.#tmp, { recursive: true, force: true });
    liveTmpDirs.delete(this.#tmp);
    this.#tmp = undefined;
  }

  /** `await using host = await openHost(...)` closes the host at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** One raw hook call through the chain, as OpenVPN's plugin_call does it. */
  async call(hook: HookName, opts: HookCallOptions = {}): Promise<HookCallResult> {
    const type = HOOKS[hook];
    if (type === undefined) throw new TypeError(`unknown hook ${String(hook)}; one of ${Object.keys(HOOKS).join(', ')}`);
    const collect = opts.collectReturnList ?? (hook === 'CLIENT_CONNECT_V2' || hook === 'CLIENT_CONNECT_DEFER_V2');
    this.takeLogs();
    const r = await this.#channel.request<'call'>({
      op: 'call',
      hook: type,
      argv: opts.argv ?? [],
      env: opts.env ?? [],
      perClient: opts.perClient ?? true,
      collectReturnList: collect,
      certDer: opts.certDer?.toString('base64'),
      certDepth: opts.certDepth,
      client: opts.client?.id,
    });
    if ('failure' in r) return r.failure;
    const calls = r.ok.calls.map((c) => ({ ...c, returnName: returnName(c.returnCode) }));
    const config = r.ok.calls.map((c) => configValue(c.returnList)).find((v) => v !== undefined);
    return {
      outcome: 'returned',
      hook: hookName(type) as HookName,
      returnCode: r.ok.status,
      returnName: returnName(r.ok.status),
      notRegistered: r.ok.undefinedHook,
      config,
      calls,
      logs: this.takeLogs(),
    };
  }

  /** The client-connect stage for one client, with deferrals resolved (or timed out) as OpenVPN 2.6 does. */
  clientConnect(opts: ClientConnectOptions = {}): Promise<ClientConnectResult> {
    return clientConnectStage(this.#channel, this.plugins, opts);
  }

  /** Restart the server as OpenVPN does on SIGHUP (every plugin closed, then loaded and opened again) or SIGUSR1
   * (plugins kept, each generic constructor called again). Every client is dropped as the real server drops it; its
   * Client is ended (disconnect() returns what happened, with `endedBy`). Reconnect with new host.client()s, as a
   * real client comes back as a new client instance. */
  async restart(signal: 'SIGHUP' | 'SIGUSR1'): Promise<RestartResult> {
    if (signal !== 'SIGHUP' && signal !== 'SIGUSR1') throw new TypeError(`restart takes 'SIGHUP' or 'SIGUSR1', got ${String(signal)}`);
    const logStart = this.#channel.logs.length;
    const r = await this.#channel.request<'restart'>({ op: 'restart', signal });
    if ('failure' in r) return r.failure;
    return { ...r.ok, logs: this.#channel.logs.slice(logStart) };
  }

  /** Close the plugins as a server shutdown does, and end the worker. Resolves to a failure if close crashed or hung. */
  async close(): Promise<FailureOutcome | undefined> {
    const { worker } = this.#channel;
    try {
      if (worker.exited || this.#channel.ending) return undefined;
      this.#channel.ending = 'closed';
      const r = await this.#channel.request<'close'>({ op: 'close' });
      // before the worker goes: as it exits, it removes the temp dirs it knows
      const leftFiles = 'failure' in r || !this.#tmp ? [] : filesIn(this.#tmp);
      await worker.stop();
      if ('failure' in r) return r.failure;
      this.#leftRunning = r.ok.leftRunning;
      this.#leftFiles = leftFiles;
      return undefined;
    } finally {
      this.removeTmp();
    }
  }

  /** Kill the worker at once (no close calls). */
  async kill(): Promise<void> {
    this.#channel.ending ??= 'killed';
    this.#channel.killed = true;
    try {
      await this.#channel.worker.kill();
    } finally {
      this.removeTmp();
    }
  }
}

/** The files under DIR (recursively, directories by their own name with a trailing slash when empty), relative. */
function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => !e.isDirectory() || readdirSync(join(e.parentPath ?? e.path, e.name)).length === 0)
      .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)) + (e.isDirectory() ? '/' : ''))
      .sort();
  } catch {
    return [];
  }
}

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
