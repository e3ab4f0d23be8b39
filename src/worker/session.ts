// The worker's state: the opened plugin chain with its generic per-client contexts, and the requests it serves.
import { CLIENT_HOOKS, MAX_PLUGINS, hookName, maskToHooks, type HookName } from '../openvpn/constants.js';
import { defaultServerParams, serverOpenEnv, serverUpEnv } from '../openvpn/server-env.js';
import type { EnvSet } from '../openvpn/env-set.js';
import type { ClientConnectReport, DisconnectedResult, RestartedResult, WorkerConnectResult, WorkerRenegotiateResult } from '../protocol/client-results.js';
import type {
  CallRequest,
  CallResponse,
  ClientConnectRequest,
  ClientEndRequest,
  ClientLifeConnectRequest,
  ClientNewRequest,
  ClientRenegotiateRequest,
  DeferralProgress,
  PluginInfo,
  RestartRequest,
  StartRequest,
  StartResponse,
  WorkerError,
} from '../protocol/messages.js';
import { callChain } from './plugin/chain.js';
import { Plugin, PluginLoadError } from './plugin/plugin.js';
import type { Pointer } from './native/runtime.js';
import { x509FromDer, freeX509 } from './native/openssl.js';
import { disconnectAfterFailure, runClientConnect } from './client-connect.js';
import { ClientLife, type ServerSettings } from './client-life.js';
import { ServerState } from './server-state.js';
import { ReopenFailure, reopenPlugins } from './restart.js';

export class RequestError extends Error {
  constructor(readonly error: WorkerError) {
    super(error.message);
  }
}

function describe(p: Plugin): PluginInfo {
  return {
    index: p.id,
    path: p.spec.path,
    file: p.file,
    args: p.args,
    exported: p.exported,
    openVersion: p.openVersion,
    funcVersion: p.funcVersion,
    minVersionRequired: p.minVersionRequired ?? null,
    initPoint: p.initPoint,
    typeMask: p.typeMask,
    hooks: p.handle ? maskToHooks(p.typeMask) : [],
  };
}

export class WorkerSession {
  plugins: Plugin[] = [];
  /** The top-level ("generic") per-client context of each plugin, made right after its open. */
  genericContexts: Pointer[] = [];
  /** The server's env after UP: what every new client instance inherits. */
  private serverEnv?: EnvSet;
  private clients = new Map<number, ClientLife>();
  private settings: ServerSettings = { tcp: false };
  private closed = false;
  /** Shared with every client: once OpenVPN would have exited, no plugin is called any more. */
  private readonly server = new ServerState();
  /** What start was given: a SIGHUP loads and opens the plugins again from it. */
  private started?: { req: StartRequest; openEnv: string[] };

  /** dlopen every plugin first, then open each in order (OpenVPN's startup), then make generic contexts. */
  start(req: StartRequest): StartResponse {
    if (req.plugins.length > MAX_PLUGINS) {
      throw new RequestError({ kind: 'bad-request', message: `at most ${MAX_PLUGINS} plugins (OpenVPN's MAX_PLUGINS), got ${req.plugins.length}` });
    }
    for (const [i, spec] of req.plugins.entries()) {
      try {
        this.plugins.push(new Plugin(i, spec, req.callTimeoutMs));
      } catch (err) {
        throw this.loadError(err, i);
      }
    }
    const server = { ...defaultServerParams(), ...(req.server ?? {}) };
    this.settings = {
      tcp: server.proto.startsWith('tcp'),
      exporterLength: server.keyingMaterialExporter?.length,
      clientConfigDir: server.clientConfigDir,
      ccdExclusive: server.ccdExclusive,
      scriptsForbidden: server.scriptSecurity !== undefined && server.scriptSecurity < 2,
      authUserPassOptional: server.authUserPassOptional,
      usernameAsCommonName: server.usernameAsCommonName,
      push: server.push,
      authGenToken: server.authGenToken,
      authGenTokenSettings: server.authGenTokenSettings,
      renegSec: server.renegSec,
      duplicateCn: server.duplicateCn,
    };
    const openEnv = req.openEnv ?? serverOpenEnv(server).toEnvp();
    this.started = { req, openEnv };
    this.serverEnv = serverUpEnv(server);
    for (const [i, plugin] of this.plugins.entries()) {
      try {
        plugin.open(openEnv);
      } catch (err) {
        // OpenVPN's fatal path: abort_v1 on every loaded plugin, including the failed one; no close.
        for (const p of this.plugins) p.abort();
        this.closed = true;
        throw this.loadError(err, i);
      }
      this.genericContexts[i] = plugin.construct();
    }
    return { plugins: this.plugins.map(describe) };
  }

  private loadError(err: unknown, index: number): RequestError {
    if (err instanceof PluginLoadError) {
      return new RequestError({ kind: err.kind, message: err.message, plugin: err.plugin, index, plugins: this.plugins.map(describe) });
    }
    return new RequestError({ kind: 'internal', message: (err as Error).message, index });
  }

  call(req: CallRequest): CallResponse {
    this.ensureRunning();
    const name = hookName(req.hook) as HookName;
    const client = req.client === undefined ? undefined : this.client(req.client);
    const clientHook = !client && CLIENT_HOOKS.has(name) && req.perClient;
    const contexts = client ? client.contexts : clientHook ? this.plugins.map((p) => p.construct()) : this.genericContexts;
    const cert = req.certDer ? x509FromDer(Buffer.from(req.certDer, 'base64')) : 0n;
    try {
      const r = callChain(this.plugins, req.hook, req.argv, req.env, {
        contexts,
        collectReturnList: req.collectReturnList,
        cert,
        certDepth: req.certDepth,
      });
      return { status: r.status, undefinedHook: r.undefinedHook, calls: r.calls };
    } finally {
      if (cert) freeX509(cert);
      if (clientHook)
        this.plugins.forEach((p, i) => {
          p.destruct(contexts[i]);
        });
    }
  }

  /** One client's client-connect stage with its own per-client contexts (made first, destroyed last). */
  async clientConnect(req: ClientConnectRequest, progress?: (p: DeferralProgress) => void): Promise<ClientConnectReport> {
    const contexts = this.plugins.map((p) => p.construct());
    try {
      const stage = runClientConnect(this.plugins, contexts, {
        env: req.env,
        tmpDir: req.tmpDir,
        timing: req.timing,
        clientConfigDir: this.settings.clientConfigDir,
        scriptsForbidden: this.settings.scriptsForbidden,
        onProgress: progress && ((p) => progress({ name: '', stage: 'client-connect', ...p })),
      });
      const { report, env } = stage instanceof Promise ? await stage : stage;
      if (report.outcome === 'rejected') {
        const step = disconnectAfterFailure(this.plugins, contexts, env, report.elapsedMs);
        if (step) report.steps.push(step);
      }
      return report;
    } finally {
      this.plugins.forEach((p, i) => {
        p.destruct(contexts[i]);
      });
    }
  }

  private client(id: number): ClientLife {
    const c = this.clients.get(id);
    if (!c) throw new RequestError({ kind: 'bad-request', message: `no client #${id} (already disconnected?)` });
    return c;
  }

  clientNew(req: ClientNewRequest): null {
    this.ensureRunning();
    if (this.closed || !this.serverEnv) throw new RequestError({ kind: 'bad-request', message: 'the host is closed' });
    try {
      const life = new ClientLife(this.plugins, this.genericContexts, this.serverEnv, req.setup, this.settings, req.client, this.server, (cn) =>
        this.endDuplicates(life, cn),
      );
      this.clients.set(req.client, life);
    } catch (err) {
      throw new RequestError({ kind: 'bad-request', message: (err as Error).message });
    }
    return null;
  }

  async clientLifeConnect(req: ClientLifeConnectRequest, progress?: (p: DeferralProgress) => void): Promise<WorkerConnectResult> {
    const c = this.client(req.client);
    if (c.endedEarly) {
      throw new RequestError({
        kind: 'bad-request',
        message: `client ${c.setup.name} was ended (${c.endedEarly.endedBy}) before it connected: make a new client`,
      });
    }
    const r = await c.connect(req.timing, progress && ((p) => progress({ client: req.client, name: c.setup.name, ...p })));
    if (r.outcome === 'fatal' && this.server.exited === undefined) this.exitFatal(r.reason);
    return r;
  }

  /** A connected client's renegotiation; asking it of a client that is not connected is a bad request. */
  async clientRenegotiate(req: ClientRenegotiateRequest, progress?: (p: DeferralProgress) => void): Promise<WorkerRenegotiateResult> {
    this.ensureRunning();
    const c = this.client(req.client);
    let r: WorkerRenegotiateResult;
    try {
      r = await c.renegotiate(req.timing, progress && ((p) => progress({ client: req.client, name: c.setup.name, ...p })));
    } catch (err) {
      throw new RequestError({ kind: 'bad-request', message: (err as Error).message });
    }
    if (r.outcome === 'fatal' && this.server.exited === undefined) this.exitFatal(r.reason);
    return r;
  }

  /** OpenVPN's exit on a fatal error (openvpn_exit): abort_v1 on every plugin, in order; no destructor, no close. */
  private exitFatal(reason: string): void {
    this.server.exited = reason;
    this.closed = true;
    for (const p of this.plugins) p.abort();
  }

  /** A request that would call plugins after OpenVPN exited is refused, saying so. */
  private ensureRunning(): void {
    if (this.server.exited !== undefined) {
      throw new RequestError({
        kind: 'bad-request',
        message: `OpenVPN exited (${this.server.exited.split(':')[0]}): this host serves no more clients; open a new one`,
      });
    }
  }

  /** Without --duplicate-cn, a client reaching client-connect ends the connected clients with its common name
   * (multi.c multi_delete_dup), as if they had disconnected. */
  private endDuplicates(newcomer: ClientLife, cn: string | undefined): void {
    if (this.settings.duplicateCn !== false || cn === undefined) return;
    for (const c of this.clients.values()) {
      if (c !== newcomer && c.endedEarly === undefined && c.connectedAs === cn) {
        c.endByServer(`${newcomer.setup.name} connected with the same common name '${cn}' (no duplicate-cn): the server ended this client`);
      }
    }
  }

  /** The client's end; one whose connect still waits on a deferral vanishes (ClientLife.drop). */
  async clientEnd(req: ClientEndRequest): Promise<DisconnectedResult> {
    const c = this.client(req.client);
    this.clients.delete(req.client);
    if (c.endedEarly) return c.endedEarly;
    if (c.waiting && this.server.exited === undefined) return c.drop('client');
    // After OpenVPN exited nothing more happens for a client: no CLIENT_DISCONNECT, no destructor.
    if (this.server.exited !== undefined) return { outcome: 'disconnected', client: c.setup.name, hooks: [], logs: [], ms: 0 };
    return c.disconnect();
  }

  /**
   * A restart by signal, as OpenVPN 2.6.14 does it (measured with the recorder on the real server, UDP): every
   * connected client gets CLIENT_DISCONNECT, its destructor, then LEARN_ADDRESS delete (server context), one client
   * after the other; a client still waiting on a deferral gets only its destructor. Then ROUTE_PREDOWN and DOWN
   * (the tun device's hooks: not emulated here, as at start and close). SIGHUP: generic destructors, close_v1,
   * dlclose, dlopen, open, generic constructors (then UP, ROUTE_UP); the host does not dlclose (the library stays
   * mapped, and dlopen of the same path gives it back). SIGUSR1: the plugins stay open, and each gets
   * its generic constructor again with no destructor for the old context (which leaks). The real clients then
   * reconnect as new client instances (new constructors): here, new host.client()s.
   */
  async restart(req: RestartRequest): Promise<RestartedResult> {
    this.ensureRunning();
    if (this.closed || !this.started) throw new RequestError({ kind: 'bad-request', message: 'the host is closed' });
    if (req.signal !== 'SIGHUP' && req.signal !== 'SIGUSR1') {
      throw new RequestError({ kind: 'bad-request', message: `restart takes SIGHUP or SIGUSR1, got ${String(req.signal)}` });
    }
    const t0 = performance.now();
    const dropped: DisconnectedResult[] = [];
    for (const c of this.clients.values()) {
      if (c.endedEarly) continue;
      const r = c.waiting ? await c.drop(req.signal) : c.disconnect();
      c.endByServer(`the server restarted (${req.signal})`, r);
      dropped.push(c.endedEarly!);
    }
    const calls: string[] = [];
    try {
      const reopened = reopenPlugins(req.signal, this.plugins, this.genericContexts, this.started, calls);
      this.plugins = reopened.plugins;
      this.genericContexts = reopened.genericContexts;
    } catch (err) {
      if (!(err instanceof ReopenFailure)) throw err;
      // OpenVPN's fatal path when a plugin fails to load or open again: abort_v1 on every plugin, and it exits
      for (const p of err.plugins) p.abort();
      this.plugins = err.plugins;
      this.closed = true;
      this.server.exited = `a plugin failed to open again after ${req.signal}`;
      throw this.loadError(err.reason, err.index);
    }
    return { outcome: 'restarted', signal: req.signal, dropped, calls, logs: [], ms: performance.now() - t0 };
  }

  /** Shutdown as OpenVPN does: remaining clients ended, generic destructors (plugin order), then close_v1 for each. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.clients.values()) c.disconnect();
    this.clients.clear();
    // from here on, a client still waiting on a deferral calls no plugin (its contexts are gone)
    this.server.exited ??= 'the server was shut down';
    this.plugins.forEach((p, i) => {
      p.destruct(this.genericContexts[i]);
    });
    for (const p of this.plugins) p.close();
  }
}
