// One client's whole server-side life in the worker: constructor, TLS_VERIFY per depth, auth (deferred via files),
// TLS_FINAL, IPCHANGE, client-connect, LEARN_ADDRESS, and at the end CLIENT_DISCONNECT, destructor, address delete.
import { randomBytes } from 'node:crypto';
import { statSync, unlinkSync } from 'node:fs';
import { readRegularFile } from '../util/safe-read.js';
import { HOOKS, RETURN, hookName, returnName } from '../openvpn/constants.js';
import { callChain, type ChainCallResult } from './plugin/chain.js';
import type { Plugin } from './plugin/plugin.js';
import { x509FromDer, freeX509 } from './native/openssl.js';
import type { Pointer } from './native/runtime.js';
import type {
  AuthReport,
  ClientConnectReport,
  DisconnectedResult,
  HookStep,
  LifeStage,
  TokenReport,
  WorkerConnectResult,
  WorkerRenegotiateResult,
} from '../protocol/client-results.js';
import { tokenState, tokenText, type AuthGenTokenSettings, type SessionState } from '../openvpn/auth-token.js';
import { authExpiryMs, authFailedMessage, authPendingMessages, controlFileVerdict, parsePendingFile } from '../openvpn/auth-deferral.js';
import { certChainInfo, defaultCertChain, type CertInfo } from '../openvpn/cert-env.js';
import { ccdFileName } from '../openvpn/client-connect.js';
import { EnvSet } from '../openvpn/env-set.js';
import {
  afterAuthEnv,
  afterTlsFinalEnv,
  authEnv,
  clearX509Env,
  clientConnectEnv,
  clientDisconnectEnv,
  ipchangeEnv,
  learnAddressEnv,
  newClientEnv,
  tlsFinalEnv,
  tlsVerifyEnv,
} from '../openvpn/server-env.js';
import { createTempFile, firstByte, runClientConnect, type ClientConnectOutcome } from './client-connect.js';
import { dirWatcher } from './recheck-scheduler.js';
import { DeferralWait } from './deferral-wait.js';
import { asClient } from './as-client.js';
import { ServerExited, ServerState } from './server-state.js';
import { ConnectionDropped, type DroppedBy } from './dropped.js';
import type { ClientSetup, DeferralProgress, DeferralTiming } from '../protocol/messages.js';

/** Told where a waiting client is (the session adds who the client is). */
export type Progress = (p: Omit<DeferralProgress, 'client' | 'name'>) => void;

/** What of the server's configuration a client's life depends on. */
export interface ServerSettings {
  /** proto tcp-server: IPCHANGE gets the client's context (UDP: the server's). */
  tcp: boolean;
  /** --keying-material-exporter's length: TLS_FINAL gets exported_keying_material, 2 x length hex digits. */
  exporterLength?: number;
  /** --client-config-dir, and --ccd-exclusive. */
  clientConfigDir?: string;
  ccdExclusive?: boolean;
  /** --script-security below 2: a --client-connect script is not run (its handler fails). */
  scriptsForbidden?: boolean;
  /** --auth-user-pass-optional, --username-as-common-name. */
  authUserPassOptional?: boolean;
  usernameAsCommonName?: boolean;
  /** The server's --push options. */
  push?: readonly string[];
  /** --auth-gen-token, its arguments, and --reneg-sec (the token's default renewal time). */
  authGenToken?: boolean;
  authGenTokenSettings?: AuthGenTokenSettings;
  renegSec?: number;
  /** --duplicate-cn (false: a newcomer with the same common name ends a connected client). */
  duplicateCn?: boolean;
}

/** A deferred auth being waited for: its control and reason files, and when it expires. */
interface PendingAuth {
  acf: string;
  afr: string;
  deadline: number;
}

/** One connect in progress: its timing, where progress goes, and the auth report being filled. */
interface Connecting {
  timing: DeferralTiming;
  progress?: Progress;
  auth: AuthReport;
  authStart: number;
  /** The stage the connect is in. */
  stage: LifeStage;
  /** A renegotiation of a connected client (no IPCHANGE; a refusal kills the tunnel). */
  renegotiation?: boolean;
  /** --auth-gen-token at a renegotiation: the session_state the server sets and the token the client presents. */
  session?: { state: SessionState; token: string };
}

const BLOCKING_MS = 100;

export class ClientLife {
  readonly contexts: Pointer[];
  env: EnvSet;
  private readonly chain: CertInfo[];
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private renegotiations = 0;
  private connectedAt = 0;
  private state: 'new' | 'connecting' | 'connected' | 'renegotiating' | 'ended' = 'new';
  /** --auth-gen-token: the session's id and when its token was issued (the first auth), in Unix seconds. */
  private session?: { id: string; issuedS: number };
  /** auth_control_file and auth_failed_reason_file of a deferred auth stay until the client goes. */
  private keptFiles: string[] = [];
  private hooks: HookStep[] = [];
  private t0 = 0;
  private summary = false;
  /** Aborted when the connection ends while connect() waits on a deferral (see drop()). */
  private readonly dropping = new AbortController();
  /** The connect in progress, while it runs. */
  private connecting?: Promise<WorkerConnectResult>;

  constructor(
    private readonly plugins: readonly Plugin[],
    private readonly generic: readonly Pointer[],
    serverEnv: EnvSet,
    readonly setup: ClientSetup,
    private readonly settings: ServerSettings = { tcp: false },
    readonly id = -1,
    private readonly server = new ServerState(),
    /** Told when this client reaches client-connect, with its common name (OpenVPN ends duplicates then). */
    private readonly beforeClientConnect?: (cn: string | undefined) => void,
  ) {
    this.chain = setup.certPem ? certChainInfo(setup.certPem) : defaultCertChain();
    this.env = newClientEnv(serverEnv);
    // OpenVPN creates the client instance (and its plugin contexts) on the first packet, before TLS.
    this.contexts = asClient(id, () => plugins.map((p) => p.construct()));
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
    this.server.ensureRunning();
    if (!this.wants(type)) return { status: RETURN.SUCCESS, calls: [], undefinedHook: true };
    const envp = opts.env ?? this.envp();
    const context = opts.context ?? 'client';
    const x509 = opts.cert ? x509FromDer(opts.cert.der) : 0n;
    const started = performance.now();
    let r: ChainCallResult;
    try {
      r = asClient(this.id, () =>
        callChain(this.plugins, type, argv, envp, {
          contexts: context === 'client' ? this.contexts : this.generic,
          cert: x509,
          certDepth: opts.cert?.depth,
        }),
      );
    } finally {
      if (x509) freeX509(x509);
    }
    if (!r.undefinedHook) this.record(type, argv, envp, r, context, started, opts.note);
    return r;
  }

  private record(
    type: number,
    argv: readonly string[],
    envp: readonly string[],
    r: Pick<ChainCallResult, 'status' | 'calls'>,
    context: 'client' | 'server',
    started: number,
    note?: string,
  ): void {
    this.hooks.push({
      hook: hookName(type),
      argv: this.summary ? [] : [...argv],
      envKeys: this.summary ? [] : envp.map((e) => e.slice(0, Math.max(0, e.indexOf('=')))),
      status: r.status,
      statusName: returnName(r.status),
      calls: r.calls.filter((c) => c.called).map((c) => ({ plugin: c.plugin, returnCode: c.returnCode, returnName: returnName(c.returnCode), ms: c.ms })),
      context,
      t: started - this.t0,
      ms: performance.now() - started,
      note,
    });
  }

  /** The connection is initiated once key method 2 is done, whatever the login result: IPCHANGE with
   * trusted_ip/port (UDP: the server's context; TCP: the client's). */
  private ipchange(): void {
    const argv = ipchangeEnv(this.env, this.setup.address, this.env.get('common_name'));
    this.call(HOOKS.IPCHANGE, argv, { context: this.settings.tcp ? 'client' : 'server' });
  }

  private blocking(): Array<{ hook: string; plugin: string; ms: number }> {
    return this.hooks.flatMap((h) => h.calls.filter((c) => c.ms > BLOCKING_MS).map((c) => ({ hook: h.hook, plugin: c.plugin, ms: c.ms })));
  }

  /** Everything from the first packet to PUSH_REPLY (or the refusal), one OpenVPN stage after the other. */
  connect(timing: DeferralTiming, progress?: Progress): Promise<WorkerConnectResult> {
    if (this.state !== 'new') throw new Error(`client ${this.setup.name} was already connected once (or ended); make a new client`);
    this.connecting = this.runConnect(timing, progress).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Whether connect() is still running: the client waits on a deferral. */
  get waiting(): boolean {
    return this.connecting !== undefined;
  }

  /** The connection ends while connect() waits on a deferral (the client vanished, or the server restarted). As on
   * OpenVPN 2.6.14 (measured, deferred auth, v2 and v1 client-connect): no CLIENT_DISCONNECT (the client never got
   * past client-connect), the destructors run; a deferred auth's files go with the key, but a deferred v1/script
   * client-connect's cc and ccr files are never deleted: they are reported, then removed by the host. */
  async drop(by: DroppedBy): Promise<DisconnectedResult> {
    const t0 = performance.now();
    const running = this.connecting;
    this.dropping.abort(new ConnectionDropped(by));
    const r = running ? await running : undefined;
    // connect had just finished (connected or refused) before the drop took effect: an ordinary end
    if (r && r.outcome !== 'dropped') return this.disconnect();
    const stage = r?.outcome === 'dropped' ? r.stage : 'auth';
    const leftBehind = r?.outcome === 'dropped' ? r.leftBehind : [];
    this.hooks = [];
    this.free();
    this.removeFiles(leftBehind);
    return { outcome: 'disconnected', client: this.setup.name, hooks: [], logs: [], ms: performance.now() - t0, vanished: { stage, leftBehind } };
  }

  private async runConnect(timing: DeferralTiming, progress?: Progress): Promise<WorkerConnectResult> {
    this.state = 'connecting';
    this.summary = timing.detail === 'summary';
    this.t0 = performance.now();
    this.hooks = [];
    const run: Connecting = { timing, progress, auth: { called: false, deferred: false, polls: 0, ms: 0 }, authStart: 0, stage: 'tls-verify' };
    try {
      return await this.connectStages(run);
    } catch (err) {
      if (err instanceof ConnectionDropped) {
        this.state = 'ended';
        return { outcome: 'dropped', stage: run.stage, by: err.by, leftBehind: err.leftBehind, ...this.base(run) };
      }
      if (!(err instanceof ServerExited)) throw err;
      // Another client's error made OpenVPN exit while this one was connecting: nothing more happens for it.
      this.state = 'ended';
      return { outcome: 'fatal', stage: run.stage, ...this.base(run), reason: `${err.message}, while this client was connecting` };
    }
  }

  private async connectStages(run: Connecting): Promise<WorkerConnectResult> {
    const refused = this.tlsVerify(run);
    if (refused) return refused;
    run.stage = 'auth';
    const authed = this.authenticate(run);
    if ('outcome' in authed) return authed;
    // --ccd-exclusive fails the key like a failed auth: IPCHANGE, no TLS_FINAL (measured on the real server)
    const ccdRefusal = this.ccdExclusiveFailure();
    if (ccdRefusal) {
      this.ipchange();
      return this.refuse(run, 'auth', 'AUTH_FAILED', ccdRefusal);
    }
    run.stage = 'tls-final';
    const finalRefused = this.tlsFinal(run);
    if (finalRefused) return finalRefused;
    if (authed.pending) {
      run.stage = 'auth';
      const authRefused = await this.awaitDeferredAuth(run, authed.pending);
      if (authRefused) return authRefused;
    } else {
      run.auth.ms = performance.now() - run.authStart;
    }
    run.stage = 'client-connect';
    return this.clientConnect(run);
  }

  /**
   * A soft reset of the connected client's TLS session (reneg-sec, reneg-bytes, client-initiated), with the same
   * per-client contexts. Measured on a real 2.6.14 server: X509_* cleared, TLS_VERIFY per depth, AUTH_USER_PASS_VERIFY
   * (deferred again, expiring as at the first connect), TLS_FINAL; no IPCHANGE, no client-connect. A failed new key
   * (auth ERROR: no TLS_FINAL; '0' or expiry after TLS_FINAL; an expired token) sends AUTH_FAILED and kills the tunnel:
   * OpenVPN ends the instance 5 s later ("Delayed exit"): CLIENT_DISCONNECT, destructor, LEARN_ADDRESS delete.
   */
  async renegotiate(timing: DeferralTiming, progress?: Progress): Promise<WorkerRenegotiateResult> {
    if (this.state !== 'connected') {
      const ended = this.endedEarly?.endedBy ?? 'it has ended';
      const why = this.state === 'renegotiating' ? 'it is already renegotiating' : this.state === 'ended' ? ended : 'it is not connected';
      throw new Error(`client ${this.setup.name} cannot renegotiate: ${why}`);
    }
    this.state = 'renegotiating';
    this.renegotiations++;
    this.summary = timing.detail === 'summary';
    this.t0 = performance.now();
    this.hooks = [];
    const run: Connecting = {
      timing,
      progress,
      auth: { called: false, deferred: false, polls: 0, ms: 0 },
      authStart: 0,
      stage: 'tls-verify',
      renegotiation: true,
    };
    try {
      const r = await this.renegotiateStages(run);
      // (contexts gone: the host was closed meanwhile, and the client's end already ran)
      if (r.outcome === 'rejected' && this.contexts.length > 0) {
        // the tunnel is killed: the client's end runs now (OpenVPN: 5 s later), and a later disconnect calls nothing;
        // its calls go into this.hooks, the array the result holds
        this.state = 'connected';
        this.end();
        this.endedEarly = {
          outcome: 'disconnected',
          client: this.setup.name,
          hooks: [],
          logs: [],
          ms: 0,
          endedBy: `renegotiation ${r.renegotiation} failed: the tunnel was killed`,
        };
        r.ms = performance.now() - this.t0;
      } else if (r.outcome === 'renewed') this.state = 'connected';
      return r;
    } catch (err) {
      if (!(err instanceof ServerExited)) throw err;
      this.state = 'ended';
      return { outcome: 'fatal', stage: run.stage, ...this.base(run), reason: `${err.message}, while this client was renegotiating` };
    }
  }

  private async renegotiateStages(run: Connecting): Promise<WorkerRenegotiateResult> {
    const n = this.renegotiations;
    const killed = (r: WorkerConnectResult): WorkerRenegotiateResult =>
      r.outcome === 'rejected'
        ? { ...r, tunnelKilled: true, renegotiation: n, ...this.tokenReport(run) }
        : r.outcome === 'fatal'
          ? r
          : { outcome: 'fatal', stage: run.stage, ...this.base(run), reason: `unexpected ${r.outcome} while renegotiating` };
    clearX509Env(this.env);
    // (a TLS_VERIFY refusal at a renegotiation was not measured: it is treated as any failed new key)
    const refused = this.tlsVerify(run);
    if (refused) return killed(refused);
    run.stage = 'auth';
    run.authStart = performance.now();
    const token = this.presentToken(run);
    let pending: PendingAuth | undefined;
    if (token === 'expired') {
      // no plugin call, and the env is left as it was (measured: CLIENT_DISCONNECT still sees the previous session_state)
      return killed(this.refuse(run, 'auth', 'AUTH_FAILED,SESSION: token expired', '--auth-gen-token: the auth-token the client presented has expired'));
    }
    if (token === 'skip') {
      // a valid token: no plugin call, but the auth env is set again (measured: TLS_FINAL sees IV_*, username,
      // common_name, untrusted_*, session_state Authenticated, session_id, newest first)
      const username = this.setup.username ?? '';
      authEnv(this.env, { ivVars: this.setup.peerInfo, username, untrusted: this.setup.address, plugin: false, session: this.sessionEnv(run) });
    } else {
      const authed = this.authenticate(run);
      if ('outcome' in authed) return killed(authed);
      pending = authed.pending;
    }
    run.stage = 'tls-final';
    const finalRefused = this.tlsFinal(run);
    if (finalRefused) return killed(finalRefused);
    if (pending) {
      run.stage = 'auth';
      const authRefused = await this.awaitDeferredAuth(run, pending);
      if (authRefused) return killed(authRefused);
    } else {
      run.auth.ms = performance.now() - run.authStart;
    }
    return { outcome: 'renewed', renegotiation: n, ...this.base(run), ...this.tokenReport(run) };
  }

  /** --auth-gen-token at a renegotiation: the client presents the token it got at its connect (measured: a 2.6.14
   * client kept presenting that one; the server's renewed token reached it only after its 2nd renegotiation).
   * 'skip': valid, no plugin call; 'expired': refused without a plugin call; 'plugins': call them (no token, or
   * external-auth, where the plugins get session_state and the token as the password). */
  private presentToken(run: Connecting): 'skip' | 'expired' | 'plugins' {
    if (!this.settings.authGenToken || !this.session) return 'plugins';
    const settings = this.settings.authGenTokenSettings ?? { lifetimeS: 0, externalAuth: false };
    const state = tokenState(settings, Date.now() / 1000 - this.session.issuedS, this.settings.renegSec);
    run.session = { state, token: tokenText(this.session.id, Math.floor(this.session.issuedS)) };
    if (settings.externalAuth) return 'plugins';
    return state === 'Authenticated' ? 'skip' : 'expired';
  }

  private tokenReport(run: Connecting): { token?: TokenReport } {
    if (!run.session) return {};
    return { token: { sessionState: run.session.state, pluginsSkipped: !run.auth.called } };
  }

  /** What every connect result carries. */
  private base(run: Connecting) {
    return { client: this.setup.name, hooks: this.hooks, auth: run.auth, logs: [], ms: performance.now() - this.t0, blockingCalls: this.blocking() };
  }

  private refuse(run: Connecting, stage: LifeStage, clientSees: string, reason?: string): WorkerConnectResult & { outcome: 'rejected' } {
    this.state = 'ended';
    return { outcome: 'rejected', stage, reason, clientSees, ...this.base(run) };
  }

  /** TLS handshake: TLS_VERIFY once per chain certificate, the CA (deepest) first. */
  private tlsVerify(run: Connecting): WorkerConnectResult | undefined {
    for (let d = this.chain.length - 1; d >= 0; d--) {
      const cert = this.chain[d]!;
      const argv = tlsVerifyEnv(this.env, cert, d, this.setup.address);
      if (d === 0 && this.setup.commonName !== undefined) this.env.set('common_name', this.setup.commonName);
      const r = this.call(HOOKS.TLS_VERIFY, argv, { cert });
      if (r.status !== RETURN.SUCCESS) return this.refuse(run, 'tls-verify', 'TLS handshake failed', `TLS_VERIFY rejected the certificate at depth ${d}`);
    }
    return undefined;
  }

  /** Key method 2: peer info and user/pass auth through the plugins (AUTH_USER_PASS_VERIFY, deferred through files). */
  private authenticate(run: Connecting): WorkerConnectResult | { pending?: PendingAuth } {
    run.authStart = performance.now();
    const { auth } = run;
    const authPlugin = this.wants(HOOKS.AUTH_USER_PASS_VERIFY);
    // --auth-user-pass-optional: a client that sends none is checked with empty strings
    const username = this.setup.username ?? (this.settings.authUserPassOptional ? '' : null);
    if (!authPlugin || username === null) {
      authEnv(this.env, { ivVars: this.setup.peerInfo, username: null, untrusted: this.setup.address });
      if (!authPlugin) return {};
      return this.refuse(
        run,
        'auth',
        'TLS handshake failed',
        'the client sent no username/password but a plugin checks them (OpenVPN fails the TLS handshake unless --auth-user-pass-optional)',
      );
    }
    if (username === '' && !this.settings.authUserPassOptional) {
      // a blank username: OpenVPN logs "peer provided a blank username", calls no plugin and fails the key (§5.1)
      authEnv(this.env, { ivVars: this.setup.peerInfo, username, untrusted: this.setup.address, session: this.sessionEnv(run) });
      const reason = 'the client sent a blank username: OpenVPN refuses it before any plugin is called (unless --auth-user-pass-optional)';
      auth.reason = reason;
      auth.ms = performance.now() - run.authStart;
      if (!run.renegotiation) this.ipchange();
      return this.refuse(run, 'auth', authFailedMessage(undefined), reason);
    }
    const files = {
      acf: createTempFile(this.setup.tmpDir, 'acf'),
      apf: createTempFile(this.setup.tmpDir, 'apf'),
      afr: createTempFile(this.setup.tmpDir, 'afr'),
    };
    const argv = authEnv(this.env, {
      ivVars: this.setup.peerInfo,
      username,
      // with a token (--auth-gen-token external-auth at a renegotiation), the client sends the token as its password
      password: run.session?.token ?? this.setup.password,
      untrusted: this.setup.address,
      plugin: true,
      session: this.sessionEnv(run),
      authControlFile: files.acf,
      authPendingFile: files.apf,
      authFailedReasonFile: files.afr,
    });
    auth.called = true;
    const r = this.call(HOOKS.AUTH_USER_PASS_VERIFY, argv);
    afterAuthEnv(this.env);
    // --username-as-common-name: a key not failed (SUCCESS or DEFERRED) takes the username as its common name
    if (this.settings.usernameAsCommonName && !r.fatal && (r.status === RETURN.SUCCESS || r.status === RETURN.DEFERRED)) {
      this.env.set('common_name', username);
    }
    if (r.fatal) {
      this.removeFiles([files.acf, files.apf, files.afr]);
      this.state = 'ended';
      auth.ms = performance.now() - run.authStart;
      return {
        outcome: 'fatal',
        stage: 'auth',
        ...this.base(run),
        reason:
          'a second plugin returned DEFERRED from AUTH_USER_PASS_VERIFY: OpenVPN exits ("multiple authentication plug-ins performing deferred authentication"); '
          + 'the host did as OpenVPN does: abort_v1 on each plugin, no destructor, no close, and no more clients',
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
        auth.pending = { timeout: p.timeout, method: p.method, extra: p.extra, clientSees: authPendingMessages(p, run.timing.authPendingCapMs) };
      }
    }
    if (status === RETURN.ERROR) {
      const reason = clientReason ?? (readText(files.afr) || undefined);
      this.removeFiles([files.acf, files.apf, files.afr]);
      auth.reason = reason;
      auth.ms = performance.now() - run.authStart;
      if (!run.renegotiation) this.ipchange();
      return this.refuse(run, 'auth', authFailedMessage(reason), reason);
    }
    if (status !== RETURN.DEFERRED) {
      this.removeFiles([files.acf, files.apf, files.afr]);
      return {};
    }
    auth.deferred = true;
    this.keptFiles.push(files.acf, files.afr);
    return {
      pending: {
        acf: files.acf,
        afr: files.afr,
        deadline: run.authStart + authExpiryMs(run.timing.handWindowMs, auth.pending && { timeout: auth.pending.timeout, capMs: run.timing.authPendingCapMs }),
      },
    };
  }

  /** --ccd-exclusive (ssl_verify.c verify_final_auth_checks): a client without its own file in --client-config-dir
   * (DEFAULT does not count) fails its authentication. Why, or undefined. */
  private ccdExclusiveFailure(): string | undefined {
    const { clientConfigDir: dir, ccdExclusive } = this.settings;
    if (!ccdExclusive || dir === undefined) return undefined;
    const cn = this.env.get('common_name');
    const name = ccdFileName(cn);
    const file = `${dir}/${name ?? cn ?? ''}`;
    if (name !== undefined && name !== 'DEFAULT' && isRegularFile(file)) return undefined;
    return `--client-config-dir authentication failed for common name '${cn ?? ''}' file='${file}' (ccd-exclusive)`;
  }

  /** The key material the TLS session exports for --keying-material-exporter (random here: no TLS runs). */
  private exportedKeyingMaterial(): string | undefined {
    const n = this.settings.exporterLength;
    return n === undefined ? undefined : randomBytes(n).toString('hex');
  }

  /** --auth-gen-token: session_id and session_state for AUTH_USER_PASS_VERIFY (Initial at the first connect). */
  private sessionEnv(run: Connecting): { id: string; state: string } | undefined {
    if (!this.settings.authGenToken) return undefined;
    this.session ??= { id: randomBytes(12).toString('base64'), issuedS: Date.now() / 1000 };
    return { id: this.session.id, state: run.session?.state ?? 'Initial' };
  }

  /** TLS_FINAL (even while auth is deferred), then IPCHANGE. */
  private tlsFinal(run: Connecting): WorkerConnectResult | undefined {
    const fin = this.call(HOOKS.TLS_FINAL, tlsFinalEnv(this.env, { exportedKeyingMaterial: this.exportedKeyingMaterial() }));
    afterTlsFinalEnv(this.env);
    // a renegotiation has no IPCHANGE (measured)
    if (!run.renegotiation) this.ipchange();
    return fin.status === RETURN.SUCCESS ? undefined : this.refuse(run, 'tls-final', 'AUTH_FAILED', 'TLS_FINAL failed: the key is not authenticated');
  }

  /** Re-read auth_control_file on a timer and on writes until '1'/'0' or the expiry. */
  private async awaitDeferredAuth(run: Connecting, pending: PendingAuth): Promise<WorkerConnectResult | undefined> {
    const { auth, timing, progress } = run;
    const start = performance.now();
    const wait = new DeferralWait({
      deadline: pending.deadline,
      pollIntervalMs: timing.pollIntervalMs,
      signal: this.dropping.signal,
      onProgress:
        progress
        && ((now) => progress({ stage: 'auth', polls: auth.polls, elapsedMs: now - start, pending: `auth_control_file ${pending.acf}`, file: pending.acf })),
    });
    const unwatch = timing.watchFiles ? dirWatcher.watch(pending.acf, wait.wake) : undefined;
    let verdict: 'accepted' | 'rejected' | 'timeout';
    try {
      verdict = await wait.until(() => {
        auth.polls++;
        const v = controlFileVerdict(firstByte(pending.acf));
        return v === 'pending' ? undefined : v;
      }, true);
    } finally {
      unwatch?.();
    }
    auth.ms = performance.now() - run.authStart;
    if (verdict === 'timeout') {
      // OpenVPN fails a key whose deferred auth is still undecided at auth_deferred_expire: the client gets AUTH_FAILED.
      const window = auth.pending ? `the auth_pending_file timeout (${auth.pending.timeout} s)` : 'hand-window';
      const reason = `deferred auth not decided within ${window}: auth_control_file still undecided after ${Math.round(pending.deadline - run.authStart)} ms`;
      return this.refuse(run, 'auth', 'AUTH_FAILED', reason);
    }
    auth.controlByte = verdict === 'accepted' ? '1' : '0';
    if (verdict === 'rejected') {
      auth.reason = readText(pending.afr) || undefined;
      return this.refuse(run, 'auth', authFailedMessage(auth.reason), auth.reason);
    }
    return undefined;
  }

  /** client-connect (plugin v1, plugin v2, script; deferrals resolved as OpenVPN does), then LEARN_ADDRESS add. */
  private async clientConnect(run: Connecting): Promise<WorkerConnectResult> {
    const { timing, progress } = run;
    const commonName = this.env.get('common_name');
    this.beforeClientConnect?.(commonName);
    clientConnectEnv(this.env, { commonName, trusted: this.setup.address, pool: this.setup.pool, timeUnix: this.createdAt, v1: false });
    const ccCalls: Array<{ argv: string[]; env: string[] }> = [];
    const ccT = performance.now() - this.t0;
    let address = '';
    let learned = false;
    // Right when the stage ends (in the same turn, as OpenVPN's one thread does): CLIENT_DISCONNECT after a failed
    // chain, or LEARN_ADDRESS add for an accepted client.
    const finish = ({ report, env }: ClientConnectOutcome) => {
      // The stage ran on a copy of the env (with the user's overrides, which apply to every hook anyway): adopt it.
      this.env = EnvSet.fromEnvp(env);
      this.recordStage(report, ccCalls, ccT);
      if (report.outcome === 'rejected') {
        // ... with the disconnect env set first, as for any disconnect.
        this.call(HOOKS.CLIENT_DISCONNECT, this.disconnectEnv());
      } else if (report.outcome === 'accepted') {
        address = this.env.get('ifconfig_pool_remote_ip') ?? this.setup.pool.remoteIp ?? '';
        learned = this.learnAddress(address, commonName);
      }
    };
    const stage = runClientConnect(
      this.plugins,
      this.contexts,
      {
        server: this.server,
        clientConfigDir: this.settings.clientConfigDir,
        scriptsForbidden: this.settings.scriptsForbidden,
        env: this.envp(),
        tmpDir: this.setup.tmpDir,
        timing,
        clientId: this.id,
        signal: this.dropping.signal,
        onProgress: progress ? (p) => progress({ stage: 'client-connect', ...p }) : undefined,
        // (summary: the hooks get no argv and env keys, so nothing is kept per call, nor per re-check)
        onChainCall: this.summary ? undefined : (_type, argv, env) => ccCalls.push({ argv: [...argv], env: [...env] }),
      },
      finish,
    );
    const { report } =
      stage instanceof Promise
        ? await stage.catch((err: unknown) => {
            // dropped while deferred: the stage's calls so far are still the client's hooks
            if (err instanceof ConnectionDropped) this.recordStage(err, ccCalls, ccT);
            throw err;
          })
        : stage;
    const summary = { deferred: report.deferred, polls: report.polls, ms: report.elapsedMs };
    if (report.outcome === 'timeout') {
      this.state = 'ended';
      return { outcome: 'timeout', stage: 'client-connect', pending: report.pending ?? 'deferred', clientConnect: summary, ...this.base(run) };
    }
    if (report.outcome === 'rejected') {
      this.state = 'ended';
      return { outcome: 'rejected', stage: 'client-connect', reason: report.reason, clientSees: 'AUTH_FAILED', clientConnect: summary, ...this.base(run) };
    }
    return {
      outcome: 'connected',
      ...this.base(run),
      config: report.config,
      configParts: report.configParts,
      options: report.options,
      warnings: learned ? report.warnings : [...report.warnings, `LEARN_ADDRESS for ${address} failed: OpenVPN routes nothing to this client`],
      pushReply: pushReply(this.settings.push ?? [], report.options),
      address,
      addressLearned: learned,
      clientConnect: summary,
    };
  }

  /** LEARN_ADDRESS add (or update, when another client has the address) for the client's VPN address; the client is
   * connected from here on. Whether it was learned. */
  private learnAddress(address: string, commonName: string | undefined): boolean {
    const routes = this.server.routes;
    const op = routes.learnOp(address, this.id);
    const learned = op === null || this.call(HOOKS.LEARN_ADDRESS, learnAddressEnv(this.env, { op, address, commonName })).status === RETURN.SUCCESS;
    if (learned) routes.set(address, this.id);
    this.state = 'connected';
    this.connectedAt = performance.now();
    return learned;
  }

  /** The client-connect stage's steps as hook steps (script runs included), with the argv/env each chain call got. */
  private recordStage(cc: Pick<ClientConnectReport, 'steps'>, ccCalls: Array<{ argv: string[]; env: string[] }>, ccT: number): void {
    let next = 0;
    for (const s of cc.steps) {
      if (s.handler === 'script' || s.handler === 'ccd') {
        // not a plugin call: the script's run, or the client-config-dir file read
        this.hooks.push({
          hook: s.handler === 'ccd' ? 'client-config-dir' : 'script',
          argv: [],
          envKeys: [],
          status: s.result === 'failed' ? RETURN.ERROR : s.result === 'deferred' ? RETURN.DEFERRED : RETURN.SUCCESS,
          statusName: s.result,
          calls: [],
          context: 'client',
          t: ccT + s.t,
          ms: s.ms,
          note: s.note,
        });
        continue;
      }
      const c = ccCalls[next++];
      if (!s.calls || s.calls.length === 0) continue;
      this.hooks.push({
        hook: s.hook,
        argv: c?.argv ?? [],
        envKeys: (c?.env ?? []).map((e) => e.slice(0, Math.max(0, e.indexOf('=')))),
        status: s.status ?? RETURN.SUCCESS,
        statusName: returnName(s.status ?? RETURN.SUCCESS),
        calls: s.calls,
        context: 'client',
        t: ccT + s.t,
        ms: s.ms,
        note: s.note,
      });
    }
  }

  /** The server-side end: CLIENT_DISCONNECT (if connected), destructors, LEARN_ADDRESS delete, temp files. */
  disconnect(): DisconnectedResult {
    this.t0 = performance.now();
    this.hooks = [];
    this.end();
    return { outcome: 'disconnected', client: this.setup.name, hooks: this.hooks, logs: [], ms: performance.now() - this.t0 };
  }

  /** The client's end, recorded in this.hooks. */
  private end(): void {
    if (this.state === 'connected' || this.state === 'renegotiating') this.call(HOOKS.CLIENT_DISCONNECT, this.disconnectEnv());
    this.free();
    for (const address of this.server.routes.release(this.id)) {
      // The route reaper's delete: empty env, the server's context, no common name.
      this.call(HOOKS.LEARN_ADDRESS, learnAddressEnv(this.env, { op: 'delete', address }), { env: [], context: 'server' });
    }
  }

  /** The common name of a client that is connected (undefined otherwise). */
  get connectedAs(): string | undefined {
    return this.state === 'connected' || this.state === 'renegotiating' ? this.env.get('common_name') : undefined;
  }

  /** The server ended this client (before it asked to): its disconnect runs now; the result says why. */
  endByServer(why: string, ended: DisconnectedResult = this.disconnect()): void {
    this.endedEarly = { ...ended, endedBy: why };
  }

  /** The disconnect result of a client the server already ended (endByServer), if it was. */
  endedEarly: DisconnectedResult | undefined;

  /** multi_client_disconnect_setenv: trusted_*, bytes_received, bytes_sent, time_duration (since connected). */
  private disconnectEnv(): string[] {
    const since = this.connectedAt || this.t0;
    return clientDisconnectEnv(this.env, {
      trusted: this.setup.address,
      bytesReceived: this.setup.bytesReceived,
      bytesSent: this.setup.bytesSent,
      durationSeconds: Math.round((performance.now() - since) / 1000),
    });
  }

  /** Destructors (non-NULL contexts only) and the files kept for a deferred auth; safe to call twice. */
  free(): void {
    if (this.contexts.length) {
      asClient(this.id, () =>
        this.plugins.forEach((p, i) => {
          p.destruct(this.contexts[i]!);
        }),
      );
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
}

/** What the client gets pushed: the server's push options unless its config resets them, then its own. */
function pushReply(serverPush: readonly string[], options: ReadonlyArray<{ name: string; args: string[] }>): string[] {
  const own = options.filter((o) => o.name === 'push').map((o) => o.args[0] ?? '');
  return [...(options.some((o) => o.name === 'push-reset') ? [] : serverPush), ...own];
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** auth_pending_file / auth_failed_reason_file text: regular files only, never blocking on a FIFO. */
function readText(path: string): string | undefined {
  const r = readRegularFile(path, 1024 * 1024);
  return r.kind === 'text' ? r.text : undefined;
}
