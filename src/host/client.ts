// A simulated client of the host's plugin chain: connect() runs its server-side life, disconnect() ends it.
import { certChainInfo } from '../openvpn/cert-env.js';
import { readRegularFile } from '../util/safe-read.js';
import { clientPeerInfo } from '../openvpn/peer-info.js';
import { poolAddress } from '../openvpn/pool.js';
import { defaultServerParams, type ServerParams } from '../openvpn/server-env.js';
import type { ConnectResult, DisconnectResult } from '../protocol/client-results.js';
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

  /** End the client as the server does: CLIENT_DISCONNECT (if it connected), destructors, LEARN_ADDRESS delete. */
  disconnect(opts: { detail?: 'full' | 'summary' } = {}): Promise<DisconnectResult> {
    this.ended ??= this.runDisconnect(opts.detail ?? this.defaults.detail);
    return this.ended;
  }

  private async runDisconnect(detail?: 'full' | 'summary'): Promise<DisconnectResult> {
    const failed = await this.created;
    if (failed) return failed;
    if (this.connected) await this.connected;
    const logStart = this.channel.logs.length;
    const r = await this.channel.request<'client-end'>({ op: 'client-end', client: this.id });
    if ('failure' in r) return r.failure;
    return { ...r.ok, logs: detail === 'summary' ? [] : this.ownLogs(logStart) };
  }
}
