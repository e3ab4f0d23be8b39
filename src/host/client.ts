// A simulated client of the host's plugin chain: connect() runs its server-side life, disconnect() ends it.
import { certChainInfo } from '../openvpn/cert-env.js';
import { readRegularFile } from '../util/safe-read.js';
import { clientPeerInfo } from '../openvpn/peer-info.js';
import { poolAddress } from '../openvpn/pool.js';
import { defaultServerParams, type ServerParams } from '../openvpn/server-env.js';
import type { ConnectResult, DisconnectResult, RenegotiateResult } from '../protocol/client-results.js';
import type { FailureOutcome } from '../protocol/failures.js';
import type { PluginLogEntry } from '../protocol/logs.js';
import type { ClientSetup } from '../protocol/messages.js';
import type { WorkerChannel } from './channel.js';
import { deferralTiming, progressOf, type ClientInput, type ConnectOptions } from './options.js';

/** The largest certificate chain file read (a chain of a few certificates is a few KB). */
const MAX_CERT_BYTES = 1024 * 1024;

/** Read the cert option: PEM text, or a path to a PEM file. Throws a one-line error for a user mistake. */
export function readCertOption(cert: string): string {
  if (cert.includes('-----BEGIN')) return cert;
  // a regular file of a certificate chain's size: never /dev/zero, a FIFO or a directory
  const r = readRegularFile(cert, MAX_CERT_BYTES);
  if (r.kind === 'missing') throw new Error(`cert ${cert}: no such file (give a PEM chain file or PEM text)`);
  if (r.kind === 'not-regular') throw new Error(`cert ${cert}: ${r.what}, not a regular file (give a PEM chain file or PEM text)`);
  if (r.truncatedFrom !== undefined) throw new Error(`cert ${cert}: ${r.truncatedFrom} bytes, more than a certificate chain has (at most ${MAX_CERT_BYTES})`);
  const text = r.text;
  try {
    certChainInfo(text);
  } catch (err) {
    throw new Error(`cert ${cert}: ${(err as Error).message}`);
  }
  return text;
}

/** Fill in a client's defaults: the n-th client gets its own source port and pool address. */
export function clientSetup(input: ClientInput, n: number, tmpDir: string, server: ServerParams = defaultServerParams()): ClientSetup {
  const certPem = input.cert === undefined ? undefined : readCertOption(input.cert);
  if (certPem !== undefined) certChainInfo(certPem);
  return {
    name: input.name ?? `client-${n + 1}`,
    certPem,
    commonName: input.commonName,
    username: input.username === undefined ? null : input.username,
    password: input.password ?? '',
    env: input.env,
    peerInfo: clientPeerInfo(input.peerInfo ?? {}, input.replacePeerInfo),
    address: input.address ?? { ip: '127.0.0.1', port: 36472 + (n % 20000) },
    pool: poolAddress(server, n, input.poolIp),
    bytesReceived: input.bytesReceived ?? 0,
    bytesSent: input.bytesSent ?? 0,
    tmpDir,
  };
}

export class Client {
  private connected?: Promise<ConnectResult>;
  private ended?: Promise<DisconnectResult>;
  /** The renegotiation in progress, if any: disconnect() waits for it. */
  private renegotiating?: Promise<unknown>;
  /** Set when a renegotiation ended the tunnel (or OpenVPN): why no other one can run. */
  private killedBy?: string;

  /** Made by host.client(). */
  constructor(
    private readonly channel: WorkerChannel,
    readonly id: number,
    readonly setup: ClientSetup,
    private readonly created: Promise<FailureOutcome | undefined>,
    private readonly defaults: ConnectOptions,
  ) {}

  get name(): string {
    return this.setup.name;
  }

  /** Run the server-side life up to connected (or refused): TLS_VERIFY per depth, auth, TLS_FINAL, IPCHANGE,
   * client-connect, LEARN_ADDRESS add. Deferrals are waited for. Once per client. */
  connect(opts: ConnectOptions = {}): Promise<ConnectResult> {
    if (this.ended && !this.connected) {
      return Promise.reject(
        new Error(`${this.name} has ended (disconnect() came before connect()): a Client connects once; make a new one with host.client()`),
      );
    }
    this.connected ??= this.runConnect({ ...this.defaults, ...opts });
    return this.connected;
  }

  private async runConnect(opts: ConnectOptions): Promise<ConnectResult> {
    const failed = await this.created;
    if (failed) return failed;
    const logStart = this.channel.logs.length;
    const { onProgress } = opts;
    const r = await this.channel.request<'client-life-connect'>(
      { op: 'client-life-connect', client: this.id, timing: deferralTiming(opts), progress: !!onProgress },
      onProgress && ((p) => onProgress(progressOf(p))),
    );
    if ('failure' in r) return r.failure;
    return { ...r.ok, logs: opts.detail === 'summary' ? [] : this.ownLogs(logStart) };
  }

  /** Log lines since START that are this client's, or nobody's in particular (server-level lines, plugin stdout):
   * lines another client's calls (or the helpers they forked) logged are left out. */
  private ownLogs(start: number): PluginLogEntry[] {
    return this.channel.logs.slice(start).filter((l) => l.client === undefined || l.client === this.id);
  }

  /** Renegotiate the connected client's TLS session as reneg-sec, reneg-bytes or the client would: TLS_VERIFY per
   * depth, AUTH_USER_PASS_VERIFY (deferred again; with auth-gen-token the client presents its token, and a valid one
   * skips the plugins), TLS_FINAL. Outcome 'renewed', or 'rejected' with tunnelKilled (the client's end ran: a later
   * disconnect() calls no plugin). Only after connect() resolved 'connected'; one at a time. */
  async renegotiate(opts: ConnectOptions = {}): Promise<RenegotiateResult> {
    const failed = await this.created;
    if (failed) return failed;
    const connected = this.connected && (await this.connected);
    if (connected?.outcome !== 'connected') {
      throw new Error(`client ${this.name} cannot renegotiate: ${connected ? `its connect ended ${connected.outcome}` : 'connect() it first'}`);
    }
    if (this.ended) throw new Error(`client ${this.name} cannot renegotiate: it was disconnected`);
    if (this.killedBy) throw new Error(`client ${this.name} cannot renegotiate: ${this.killedBy}`);
    const merged = { ...this.defaults, ...opts };
    const logStart = this.channel.logs.length;
    const { onProgress } = merged;
    const request = this.channel.request<'client-renegotiate'>(
      { op: 'client-renegotiate', client: this.id, timing: deferralTiming(merged), progress: !!onProgress },
      onProgress && ((p) => onProgress(progressOf(p))),
    );
    this.renegotiating = request;
    const r = await request;
    if ('failure' in r) return r.failure;
    if (r.ok.outcome !== 'renewed') this.killedBy = `its tunnel ended at renegotiation ${'renegotiation' in r.ok ? r.ok.renegotiation : ''} (${r.ok.outcome})`;
    return { ...r.ok, logs: merged.detail === 'summary' ? [] : this.ownLogs(logStart) };
  }

  /** End the client as the server does: CLIENT_DISCONNECT (if it connected), destructors, LEARN_ADDRESS delete.
   * Called while connect() still waits on a deferral, the client vanishes there: connect() resolves to `dropped`,
   * and the result's `vanished` lists the temp files OpenVPN would leave (the host removes them). */
  disconnect(opts: { detail?: 'full' | 'summary' } = {}): Promise<DisconnectResult> {
    this.ended ??= this.runDisconnect(opts.detail ?? this.defaults.detail);
    return this.ended;
  }

  private async runDisconnect(detail?: 'full' | 'summary'): Promise<DisconnectResult> {
    const failed = await this.created;
    if (failed) return failed;
    // (a renegotiation under way ends first; a connect still waiting on a deferral does not: the client vanishes there)
    if (this.renegotiating) await this.renegotiating;
    const logStart = this.channel.logs.length;
    const r = await this.channel.request<'client-end'>({ op: 'client-end', client: this.id });
    if ('failure' in r) return r.failure;
    return { ...r.ok, logs: detail === 'summary' ? [] : this.ownLogs(logStart) };
  }
}
