// The emulated side of the differential suite: the same plugin chain and client inputs through ovpn-plugin-host's
// whole-life library API (openHost, client.connect, client.disconnect, host.close); several clients connect at the same
// time (Promise.all), as the real clients are started together.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHost, isFailure, type Client, type ClientInput, type ConnectResult, type DisconnectResult, type PluginHost } from '../../src/index.js';
import type { ParsedOption } from '../../src/openvpn/client-config.js';
import { type ChainPlugin, REAL_POOL_FIRST, SAMPLE_KEYS } from './real-server.js';

export interface HostRun {
  /** connected | rejected | timeout | fatal | load-error | crashed | hung | open-failed */
  outcome: string;
  /** What the client would receive on rejection ("AUTH_FAILED[,reason]"). */
  clientSees?: string;
  reason?: string;
  /** The parsed client-connect config. */
  options: ParsedOption[];
  /** The VPN address the client gets (LEARN_ADDRESS add / ifconfig). */
  address?: string;
  /** The AUTH_PENDING and INFO_PRE messages the host says the client is sent. */
  authPending: string[];
  /** The push options the host says the client gets (the server config's, then the client's own). */
  pushReply?: string[];
  /** A failure outcome (load-error, crashed, hung), an open error or an exception, as text. */
  problem?: string;
  /** The full results, for diagnostics. */
  raw: unknown;
  /** Several clients: each one's run, in the order of the `clients` option (the top-level fields are the first's). */
  clients?: HostClientRun[];
}

export interface HostClientRun extends HostRun {
  username?: string | null;
}

export interface HostRunOptions {
  plugins: ChainPlugin[];
  username?: string | null;
  password?: string;
  /** Several clients, connecting at the same time (default: one with username/password). */
  clients?: Array<{ username?: string | null; password?: string; peerInfo?: Record<string, string> }>;
  /** UV_* variables the (single) client sends. */
  peerInfo?: Record<string, string>;
  /** The server's proto as plugins see it (host option server.proto): 'udp' (default) or 'tcp' (= 'tcp-server'). */
  proto?: 'udp' | 'tcp';
  /** --client-connect script argv (the host option `script`; the config file is appended). */
  script?: string[];
  keys?: string;
  /** Limit for a deferral (ms). */
  timeoutMs?: number;
  /** A server.conf: the host runs it (--config) instead of plugins/proto/script. */
  config?: string;
  /** One client: once connected, the server restarts with this signal and the client reconnects (a new client). */
  restart?: 'SIGHUP' | 'SIGUSR1';
  /** One client: it vanishes (disconnect()) once its connect waited on a deferral and re-checked it. */
  vanish?: boolean;
  /** Renegotiations of the (single) connected client before it disconnects, renegSec seconds apart (from the
   * previous key, as the server's reneg-sec timer); stopped by one that does not renew. */
  renegotiations?: number;
  renegSec?: number;
}

/** The client's certificate chain as the real client presents it: the sample client cert and its CA. */
function sampleClientChain(keys = SAMPLE_KEYS): string {
  return readFileSync(join(keys, 'client.crt'), 'utf8') + readFileSync(join(keys, 'ca.crt'), 'utf8');
}

/** The n-th pool address of the real server (`server 10.29.41.0/24`: .2, .3, ...). */
export function realPoolAddress(n: number): string {
  const [a, b, c, d] = REAL_POOL_FIRST.split('.').map(Number);
  return `${a}.${b}.${c}.${d! + n}`;
}

/** One connect + disconnect result in the suite's terms. */
function toRun(r: ConnectResult, d: DisconnectResult): HostRun {
  const run: HostRun = { outcome: r.outcome, options: [], authPending: ('auth' in r && r.auth.pending?.clientSees) || [], raw: { connect: r, disconnect: d } };
  if (isFailure(r)) {
    run.problem = `connect: ${JSON.stringify(r).slice(0, 600)}`;
  } else if (r.outcome === 'connected') {
    run.options = r.options;
    run.pushReply = r.pushReply;
    run.address = r.address;
  } else if (r.outcome === 'rejected') {
    run.clientSees = r.clientSees;
    run.reason = r.reason;
  } else if (r.outcome === 'timeout') {
    run.reason = r.pending;
  } else if (r.outcome === 'dropped') {
    run.reason = `dropped at ${r.stage} by ${r.by}`;
  } else {
    run.reason = r.reason;
  }
  if (isFailure(d)) run.problem = `${run.problem ? `${run.problem}; ` : ''}disconnect: ${JSON.stringify(d).slice(0, 600)}`;
  return run;
}

/**
 * The clients' lives: all connect at the same time, then all disconnect (as the real clients do after they settled),
 * then the host is closed (the real server's shutdown). Client inputs match the real clients': the sample certificate
 * chain, --auth-user-pass, and the real server's pool addresses in order (.2, .3, ...).
 */
export async function runHost(opts: HostRunOptions): Promise<HostRun> {
  let host: Awaited<ReturnType<typeof openHost>>;
  try {
    host = await openHost({
      plugins: opts.config ? [] : opts.plugins,
      callTimeoutMs: 10_000,
      timeoutMs: opts.timeoutMs ?? 20_000,
      ...(opts.config ? { config: opts.config } : {}),
      ...(!opts.config && opts.proto === 'tcp' ? { server: { proto: 'tcp-server' } } : {}),
      ...(!opts.config && opts.script ? { script: opts.script } : {}),
    });
  } catch (e) {
    return { outcome: 'open-failed', options: [], authPending: [], problem: (e as Error).message, raw: e };
  }
  try {
    const inputs = opts.clients ?? [{ username: opts.username, password: opts.password, peerInfo: opts.peerInfo }];
    const cert = sampleClientChain(opts.keys);
    const clientInputs: ClientInput[] = inputs.map((c, i) => ({
      name: inputs.length === 1 ? 'parity-client' : `parity-client-${i + 1}`,
      username: c.username ?? null,
      ...(c.password !== undefined ? { password: c.password } : {}),
      cert,
      peerInfo: c.peerInfo,
      poolIp: realPoolAddress(i),
    }));
    const clients = clientInputs.map((input) => host.client(input));
    if (inputs.length === 1 && (opts.restart || opts.vanish)) return await restartOrVanish(host, clients[0]!, clientInputs[0]!, opts);
    const connected = await Promise.all(clients.map((c) => c.connect()));
    const renegotiations: unknown[] = [];
    if (opts.renegotiations && clients.length === 1 && connected[0]!.outcome === 'connected') {
      let keyAt = performance.now();
      for (let i = 0; i < opts.renegotiations; i++) {
        if (opts.renegSec) await new Promise((r) => setTimeout(r, Math.max(0, keyAt + opts.renegSec! * 1000 - performance.now())));
        keyAt = performance.now();
        const r = await clients[0]!.renegotiate();
        renegotiations.push(r);
        if (r.outcome !== 'renewed') break;
      }
    }
    const ended = await Promise.all(clients.map((c) => c.disconnect()));
    const runs: HostClientRun[] = clients.map((_, i) => ({ ...toRun(connected[i]!, ended[i]!), username: inputs[i]!.username }));
    if (renegotiations.length) runs[0]!.raw = { ...(runs[0]!.raw as object), renegotiations };
    return inputs.length === 1 ? runs[0]! : { ...runs[0]!, clients: runs };
  } finally {
    await host.close();
  }
}

/** One client through a restart (connect, restart, the old client's end, a new client's life) or vanishing mid-deferral. */
async function restartOrVanish(host: PluginHost, client: Client, input: ClientInput, opts: HostRunOptions): Promise<HostRun> {
  if (opts.vanish) {
    let vanishing: Promise<DisconnectResult> | undefined;
    const r = await client.connect({
      // after the first re-check, as the real client is stopped only after several
      onProgress: (p) => {
        if (p.polls > 0) vanishing ??= client.disconnect();
      },
    });
    return toRun(r, await (vanishing ?? client.disconnect()));
  }
  const first = await client.connect();
  const restarted = await host.restart(opts.restart!);
  if (restarted.outcome !== 'restarted') return { ...toRun(first, await client.disconnect()), problem: `restart: ${JSON.stringify(restarted).slice(0, 600)}` };
  await client.disconnect(); // already ended by the restart: runs nothing
  const again = host.client({ ...input, name: 'parity-client-again' });
  return toRun(await again.connect(), await again.disconnect());
}
