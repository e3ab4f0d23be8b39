// One client's whole server-side life in the worker: constructor, TLS_VERIFY per depth, auth (deferred via files),
// TLS_FINAL, IPCHANGE, client-connect, LEARN_ADDRESS, and at the end CLIENT_DISCONNECT, destructor, address delete.
import { unlinkSync } from 'node:fs';
import { readRegularFile } from '../util/safe-read.js';
import { HOOKS, RETURN, hookName, returnName } from '../openvpn/constants.js';
import { callChain, type ChainCallResult } from './plugin/chain.js';
import type { Plugin } from './plugin/plugin.js';
import { x509FromDer, freeX509 } from './native/openssl.js';
import { getRuntime, type Pointer } from './native/runtime.js';
import type { AuthReport, ConnectResult, DisconnectedResult, HookStep, LifeStage } from '../protocol/client-results.js';
import { authExpiryMs, authFailedMessage, controlFileVerdict, parsePendingFile } from '../openvpn/auth-deferral.js';
import { certChainInfo, defaultCertChain, type CertInfo } from '../openvpn/cert-env.js';
import { mergeConfigs } from '../openvpn/client-config.js';
import { configDisables } from '../openvpn/config-disable.js';
import { EnvSet } from '../openvpn/env-set.js';
import {
  afterAuthEnv, afterTlsFinalEnv, authEnv, clientConnectEnv, clientDisconnectEnv, ipchangeEnv, learnAddressEnv,
  newClientEnv, tlsFinalEnv, tlsVerifyEnv, type PeerAddress, type PoolAddress,
} from '../openvpn/server-env.js';
import { createTempFile, firstByte, runClientConnect, type ClientConnectReport } from './client-connect.js';
import { dirWatcher, recheck } from './recheck-scheduler.js';

/** A client as the supervisor describes it (serializable; see ClientInput for the user-facing form). */
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

/** Deferral timing for one connect. */
export interface LifeTiming {
  timeoutMs: number;
  handWindowMs: number;
  pollIntervalMs: number;
  watchFiles: boolean;
  script?: string[];
  /** 'summary' leaves out each hook's argv and env keys (for load runs with thousands of clients). */
  detail?: 'full' | 'summary';
}

export type WorkerConnectResult = Exclude<ConnectResult, { outcome: 'load-error' | 'crashed' | 'hung' }>;
export type Progress = (p: { client: string; stage: string; polls: number; elapsedMs: number; pending: string }) => void;

const BLOCKING_MS = 100;

export class ClientLife {
  readonly contexts: Pointer[];
  env: EnvSet;
  private readonly chain: CertInfo[];
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private connectedAt = 0;
  private state: 'new' | 'connecting' | 'connected' | 'ended' = 'new';
  /** auth_control_file and auth_failed_reason_file of a deferred auth stay until the client goes. */
  private keptFiles: string[] = [];
  private learned?: string;
  private hooks: HookStep[] = [];
  private t0 = 0;
  private summary = false;

  constructor(private readonly plugins: readonly Plugin[], private readonly generic: readonly Pointer[], serverEnv: EnvSet,
    readonly setup: ClientSetup, private readonly tcp = false, readonly id = -1) {
    this.chain = setup.certPem ? certChainInfo(setup.certPem) : defaultCertChain();
    this.env = newClientEnv(serverEnv);
    // OpenVPN creates the client instance (and its plugin contexts) on the first packet, before TLS.
    this.contexts = this.asClient(() => plugins.map((p) => p.construct()));
  }

  /** Run FN with this client as the runtime's current client: its log lines (and its forked helpers') carry it. */
  private asClient<T>(fn: () => T): T {
    const rt = getRuntime();
    rt.setClient(this.id);
    try {
      return fn();
    } finally {
      rt.setClient(-1);
    }
  }

  private names(): string[] {
    return this.plugins.map((p) => p.spec.path);
  }

  private wants(type: number): boolean {
    return this.plugins.some((p) => p.wants(type));
  }

  /** The envp for a call: the client's env with the user's overrides applied last. */
  private envp(env: EnvSet = this.env): string[] {
    if (!this.setup.env) return env.toEnvp();
    const e = env.clone();
    for (const [k, v] of Object.entries(this.setup.env)) {
      if (v === null) e.unset(k);
      else e.override(k, v);
    }
    return e.toEnvp();
  }

  /** Call TYPE through the chain and record it as a hook step (only if a plugin registered it). */
  private call(type: number, argv: string[], opts: { env?: string[]; context?: 'client' | 'server'; cert?: CertInfo; note?: string } = {}): ChainCallResult {
    if (!this.wants(type)) return { status: RETURN.SUCCESS, calls: [], undefinedHook: true };
    const envp = opts.env ?? this.envp();
    const context = opts.context ?? 'client';
    const x509 = opts.cert ? x509FromDer(opts.cert.der) : 0n;
    const started = performance.now();
    let r: ChainCallResult;
    try {
      r = this.asClient(() => callChain(this.plugins, type, argv, envp, {
        contexts: context === 'client' ? this.contexts : this.generic, cert: x509, certDepth: opts.cert?.depth,
      }));
    } finally {
      if (x509) freeX509(x509);
    }
    if (!r.undefinedHook) this.record(type, argv, envp, r, context, started, opts.note);
    return r;
  }

  private record(type: number, argv: readonly string[], envp: readonly string[], r: Pick<ChainCallResult, 'status' | 'calls'>,
    context: 'client' | 'server', started: number, note?: string): void {
    const names = this.names();
    this.hooks.push({
      hook: hookName(type), argv: this.summary ? [] : [...argv], envKeys: this.summary ? [] : envp.map((e) => e.slice(0, Math.max(0, e.indexOf('=')))),
      status: r.status, statusName: returnName(r.status),
      calls: r.calls.filter((c) => c.called).map((c) => ({ plugin: names[c.plugin] ?? `#${c.plugin}`, returnCode: c.returnCode, returnName: returnName(c.returnCode), ms: c.ms })),
      context, t: started - this.t0, ms: performance.now() - started, note,
    });
  }

  /** The connection is initiated once key method 2 is done, whatever the login result: IPCHANGE with
   * trusted_ip/port (UDP: the server's context; TCP: the client's). */
  private ipchange(): void {
    const argv = ipchangeEnv(this.env, this.setup.address, this.env.get('common_name'));
    this.call(HOOKS.IPCHANGE, argv, { context: this.tcp ? 'client' : 'server' });
  }

  private blocking(): Array<{ hook: string; plugin: string; ms: number }> {
    return this.hooks.flatMap((h) => h.calls.filter((c) => c.ms > BLOCKING_MS).map((c) => ({ hook: h.hook, plugin: c.plugin, ms: c.ms })));
  }

  /** Everything from the first packet to PUSH_REPLY (or the refusal). */
  async connect(timing: LifeTiming, progress?: Progress): Promise<WorkerConnectResult> {
    if (this.state !== 'new') throw new Error(`client ${this.setup.name} was already connected once; make a new client`);
    this.state = 'connecting';
    this.summary = timing.detail === 'summary';
    this.t0 = performance.now();
    this.hooks = [];
    const auth: AuthReport = { called: false, deferred: false, polls: 0, ms: 0 };
    const base = () => ({ client: this.setup.name, hooks: this.hooks, auth, logs: [], ms: performance.now() - this.t0, blockingCalls: this.blocking() });
    const refuse = (stage: LifeStage, clientSees: string, reason?: string): WorkerConnectResult => {
      this.state = 'ended';
      return { outcome: 'rejected', stage, reason, clientSees, ...base() };
    };

    // TLS handshake: TLS_VERIFY once per chain certificate, the CA (deepest) first.
    for (let d = this.chain.length - 1; d >= 0; d--) {
      const cert = this.chain[d]!;
      const argv = tlsVerifyEnv(this.env, cert, d, this.setup.address);
      if (d === 0 && this.setup.commonName !== undefined) this.env.set('common_name', this.setup.commonName);
      const r = this.call(HOOKS.TLS_VERIFY, argv, { cert });
      if (r.status !== RETURN.SUCCESS) return refuse('tls-verify', 'TLS handshake failed', `TLS_VERIFY rejected the certificate at depth ${d}`);
    }

    // Key method 2: peer info, user/pass auth through the plugins, then TLS_FINAL (even while auth is deferred).
    const authStart = performance.now();
    const authPlugin = this.wants(HOOKS.AUTH_USER_PASS_VERIFY);
    let pending: { acf: string; afr: string; deadline: number } | undefined;
    if (authPlugin && this.setup.username === null) {
      authEnv(this.env, { ivVars: this.setup.peerInfo, username: null, untrusted: this.setup.address });
      return refuse('auth', 'TLS handshake failed',
        'the client sent no username/password but a plugin checks them (OpenVPN fails the TLS handshake unless --auth-user-pass-optional)');
    }
    if (authPlugin) {
      const files = { acf: createTempFile(this.setup.tmpDir, 'acf'), apf: createTempFile(this.setup.tmpDir, 'apf'), afr: createTempFile(this.setup.tmpDir, 'afr') };
      const argv = authEnv(this.env, {
        ivVars: this.setup.peerInfo, username: this.setup.username, password: this.setup.password, untrusted: this.setup.address,
        plugin: true, authControlFile: files.acf, authPendingFile: files.apf, authFailedReasonFile: files.afr,
      });
      auth.called = true;
      const r = this.call(HOOKS.AUTH_USER_PASS_VERIFY, argv);
      afterAuthEnv(this.env);
      if (r.fatal) {
        this.removeFiles([files.acf, files.apf, files.afr]);
        this.state = 'ended';
        auth.ms = performance.now() - authStart;
        return {
          outcome: 'fatal', stage: 'auth', ...base(),
          reason: 'a second plugin returned DEFERRED from AUTH_USER_PASS_VERIFY: OpenVPN exits ("multiple authentication plug-ins performing deferred authentication")',
        };
      }
      let status = r.status;
      let clientReason: string | undefined;
      if (status === RETURN.DEFERRED) {
        const p = parsePendingFile(readText(files.apf), this.env.get('IV_SSO'));
        this.removeFiles([files.apf]);
        if (p.kind === 'invalid') {
          status = RETURN.ERROR;
          clientReason = p.clientReason;
          this.hooks[this.hooks.length - 1]!.note = p.reason;
        } else if (p.kind === 'pending') {
          auth.pending = { timeout: p.timeout, method: p.method, extra: p.extra };
        }
      }
      if (status === RETURN.ERROR) {
        const reason = clientReason ?? (readText(files.afr) || undefined);
        this.removeFiles([files.acf, files.apf, files.afr]);
        auth.reason = reason;
        auth.ms = performance.now() - authStart;
        this.ipchange();
        return refuse('auth', authFailedMessage(reason), reason);
      }
      if (status === RETURN.DEFERRED) {
        auth.deferred = true;
        this.keptFiles.push(files.acf, files.afr);
        pending = { acf: files.acf, afr: files.afr, deadline: authStart + authExpiryMs(timing.handWindowMs, auth.pending) };
      } else {
        this.removeFiles([files.acf, files.apf, files.afr]);
      }
    } else {
      authEnv(this.env, { ivVars: this.setup.peerInfo, username: null, untrusted: this.setup.address });
    }
    const fin = this.call(HOOKS.TLS_FINAL, tlsFinalEnv(this.env));
    afterTlsFinalEnv(this.env);
    this.ipchange();
    if (fin.status !== RETURN.SUCCESS) return refuse('tls-final', 'AUTH_FAILED', 'TLS_FINAL failed: the key is not authenticated');

    if (pending) {
      const verdict = await this.waitForControlFile(pending, auth, timing, progress);
      auth.ms = performance.now() - authStart;
      if (verdict === 'timeout') {
        this.state = 'ended';
        return {
          outcome: 'timeout', stage: 'auth', ...base(),
          pending: `auth_control_file still undecided after ${Math.round(pending.deadline - authStart)} ms (${auth.pending ? 'auth_pending_file timeout' : 'hand-window'})`,
        };
      }
      if (verdict === 'rejected') {
        auth.reason = readText(pending.afr) || undefined;
        return refuse('auth', authFailedMessage(auth.reason), auth.reason);
      }
    } else {
      auth.ms = performance.now() - authStart;
    }

    const commonName = this.env.get('common_name');

    // client-connect: plugin v1, plugin v2, script; deferrals resolved as OpenVPN does.
    clientConnectEnv(this.env, { commonName, trusted: this.setup.address, pool: this.setup.pool, timeUnix: this.createdAt, v1: false });
    const ccCalls: Array<{ argv: string[]; env: string[] }> = [];
    const ccT = performance.now() - this.t0;
    let address = '';
    let learned = false;
    // Right when the stage ends (in the same turn, as OpenVPN's one thread does): CLIENT_DISCONNECT after a failed
    // chain, or LEARN_ADDRESS add for an accepted client.
    const finish = (cc: ClientConnectReport) => {
      // The stage ran on a copy of the env (with the user's overrides, which apply to every hook anyway): adopt it.
      this.env = EnvSet.fromEnvp(cc.env);
      this.recordStage(cc, ccCalls, ccT);
      if (cc.outcome === 'rejected') {
        // ... with the disconnect env set first, as for any disconnect.
        this.call(HOOKS.CLIENT_DISCONNECT, this.disconnectEnv());
      } else if (cc.outcome === 'accepted') {
        address = this.env.get('ifconfig_pool_remote_ip') ?? this.setup.pool.remoteIp ?? '';
        learned = this.call(HOOKS.LEARN_ADDRESS, learnAddressEnv(this.env, { op: 'add', address, commonName })).status === RETURN.SUCCESS;
        if (learned) this.learned = address;
        this.state = 'connected';
        this.connectedAt = performance.now();
      }
    };
    const pendingStage = runClientConnect(this.plugins, this.contexts, {
      env: this.envp(), script: timing.script, tmpDir: this.setup.tmpDir, pollIntervalMs: timing.pollIntervalMs,
      watchFiles: timing.watchFiles, timeoutMs: timing.timeoutMs, isDisabled: configDisables,
      onProgress: progress ? (p) => progress({ client: this.setup.name, stage: 'client-connect', ...p }) : undefined,
      clientId: this.id,
      onChainCall: (_type, argv, env) => ccCalls.push(this.summary ? { argv: [], env: [] } : { argv: [...argv], env: [...env] }),
    }, this.names(), finish);
    const cc = pendingStage instanceof Promise ? await pendingStage : pendingStage;
    const ccReport = { deferred: cc.deferred, polls: cc.polls, ms: cc.elapsedMs };
    if (cc.outcome === 'timeout') {
      this.state = 'ended';
      return { outcome: 'timeout', stage: 'client-connect', pending: cc.pending ?? 'deferred', clientConnect: ccReport, ...base() };
    }
    if (cc.outcome === 'rejected') {
      this.state = 'ended';
      return { outcome: 'rejected', stage: 'client-connect', reason: cc.reason, clientSees: 'AUTH_FAILED', clientConnect: ccReport, ...base() };
    }
    const parsed = mergeConfigs(cc.config);
    return {
      outcome: 'connected', ...base(), config: cc.config.map((c) => c.text).join(''), configParts: cc.config, options: parsed.options,
      warnings: learned ? parsed.warnings : [...parsed.warnings, `LEARN_ADDRESS add ${address} failed: OpenVPN routes nothing to this client`],
      address, addressLearned: learned, clientConnect: ccReport,
    };
  }

  /** The client-connect stage's steps as hook steps (script runs included), with the argv/env each chain call got. */
  private recordStage(cc: ClientConnectReport, ccCalls: Array<{ argv: string[]; env: string[] }>, ccT: number): void {
    for (const s of cc.steps) {
      if (s.handler === 'script') {
        this.hooks.push({ hook: 'script', argv: [], envKeys: [], status: s.result === 'failed' ? RETURN.ERROR : s.result === 'deferred' ? RETURN.DEFERRED : RETURN.SUCCESS,
          statusName: s.result, calls: [], context: 'client', t: ccT + s.t, ms: s.ms, note: s.note });
        continue;
      }
      const c = ccCalls.shift();
      if (!s.calls || s.calls.length === 0) continue;
      this.hooks.push({
        hook: s.hook, argv: c?.argv ?? [], envKeys: (c?.env ?? []).map((e) => e.slice(0, Math.max(0, e.indexOf('=')))),
        status: s.status ?? RETURN.SUCCESS, statusName: returnName(s.status ?? RETURN.SUCCESS), calls: s.calls.map((x) => ({ ...x, plugin: this.names()[x.plugin] ?? `#${x.plugin}` })),
        context: 'client', t: ccT + s.t, ms: s.ms, note: s.note,
      });
    }
  }

  /** The server-side end: CLIENT_DISCONNECT (if connected), destructors, LEARN_ADDRESS delete, temp files. */
  disconnect(): DisconnectedResult {
    this.t0 = performance.now();
    this.hooks = [];
    if (this.state === 'connected') this.call(HOOKS.CLIENT_DISCONNECT, this.disconnectEnv());
    this.free();
    if (this.learned !== undefined) {
      // The route reaper's delete: empty env, the server's context, no common name.
      this.call(HOOKS.LEARN_ADDRESS, learnAddressEnv(this.env, { op: 'delete', address: this.learned }), { env: [], context: 'server' });
      this.learned = undefined;
    }
    return { outcome: 'disconnected', client: this.setup.name, hooks: this.hooks, logs: [], ms: performance.now() - this.t0 };
  }

  /** multi_client_disconnect_setenv: trusted_*, bytes_received, bytes_sent, time_duration (since connected). */
  private disconnectEnv(): string[] {
    const since = this.connectedAt || this.t0;
    return clientDisconnectEnv(this.env, {
      trusted: this.setup.address, bytesReceived: this.setup.bytesReceived, bytesSent: this.setup.bytesSent,
      durationSeconds: Math.round((performance.now() - since) / 1000),
    });
  }

  /** Destructors (non-NULL contexts only) and the files kept for a deferred auth; safe to call twice. */
  free(): void {
    if (this.contexts.length) {
      this.asClient(() => this.plugins.forEach((p, i) => p.destruct(this.contexts[i]!)));
      this.contexts.length = 0;
    }
    this.state = 'ended';
    this.removeFiles(this.keptFiles);
    this.keptFiles = [];
  }

  private removeFiles(paths: readonly string[]): void {
    for (const p of paths) {
      try {
        unlinkSync(p);
      } catch {
        // already gone
      }
    }
  }

  /** Re-read auth_control_file on a timer and on writes until '1'/'0' or the expiry. */
  private async waitForControlFile(pending: { acf: string; deadline: number }, auth: AuthReport, timing: LifeTiming, progress?: Progress): Promise<'accepted' | 'rejected' | 'timeout'> {
    let wake: (() => void) | undefined;
    const unwatch = timing.watchFiles ? dirWatcher.watch(pending.acf, () => wake?.()) : undefined;
    const start = performance.now();
    let lastProgress = 0;
    try {
      for (;;) {
        auth.polls++;
        const v = controlFileVerdict(firstByte(pending.acf));
        if (v !== 'pending') {
          auth.controlByte = v === 'accepted' ? '1' : '0';
          return v;
        }
        const now = performance.now();
        if (now >= pending.deadline) return 'timeout';
        if (progress && now - lastProgress >= 200) {
          lastProgress = now;
          progress({ client: this.setup.name, stage: 'auth', polls: auth.polls, elapsedMs: now - start, pending: `auth_control_file ${pending.acf}` });
        }
        const nap = recheck.sleep(Math.min(timing.pollIntervalMs, Math.max(0, pending.deadline - now)));
        wake = nap.wake;
        await nap.promise;
        wake = undefined;
      }
    } finally {
      unwatch?.();
    }
  }
}

/** auth_pending_file / auth_failed_reason_file text: regular files only, never blocking on a FIFO. */
function readText(path: string): string | undefined {
  const r = readRegularFile(path, 1024 * 1024);
  return r.kind === 'text' ? r.text : undefined;
}
