// The emulated side of the differential suite: the same plugin chain and client inputs through ovpn-plugin-host's
// whole-life library API (openHost, client.connect, client.disconnect, host.close).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHost, isFailure } from '../../src/index.js';
import type { ParsedOption } from '../../src/server/client-config.js';
import type { ChainPlugin } from './real-server.js';
import { REAL_POOL_FIRST, SAMPLE_KEYS } from './real-server.js';

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
  /** A failure outcome (load-error, crashed, hung), an open error or an exception, as text. */
  problem?: string;
  /** The full results, for diagnostics. */
  raw: unknown;
}

export interface HostRunOptions {
  plugins: ChainPlugin[];
  username?: string | null;
  password?: string;
  keys?: string;
  /** Limit for a deferral (ms). */
  timeoutMs?: number;
}

/** The client's certificate chain as the real client presents it: the sample client cert and its CA. */
export function sampleClientChain(keys = SAMPLE_KEYS): string {
  return readFileSync(join(keys, 'client.crt'), 'utf8') + readFileSync(join(keys, 'ca.crt'), 'utf8');
}

/**
 * One client's life: connect, then disconnect (as the real client does after it settled), then close the host (the
 * real server's shutdown). Client inputs match the real client's: its certificate chain, --auth-user-pass, and the
 * real server's first pool address.
 */
export async function runHost(opts: HostRunOptions): Promise<HostRun> {
  let host: Awaited<ReturnType<typeof openHost>>;
  try {
    host = await openHost({ plugins: opts.plugins, callTimeoutMs: 10_000, timeoutMs: opts.timeoutMs ?? 20_000 });
  } catch (e) {
    return { outcome: 'open-failed', options: [], problem: (e as Error).message, raw: e };
  }
  try {
    const client = host.client({
      name: 'parity-client',
      username: opts.username ?? null,
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      cert: sampleClientChain(opts.keys),
      poolIp: REAL_POOL_FIRST,
    });
    const r = await client.connect();
    const d = await client.disconnect();
    const run: HostRun = { outcome: r.outcome, options: [], raw: { connect: r, disconnect: d } };
    if (isFailure(r)) {
      run.problem = `connect: ${JSON.stringify(r).slice(0, 600)}`;
    } else if (r.outcome === 'connected') {
      run.options = r.options;
      run.address = r.address;
    } else if (r.outcome === 'rejected') {
      run.clientSees = r.clientSees;
      run.reason = r.reason;
    } else if (r.outcome === 'timeout') {
      run.reason = r.pending;
    } else {
      run.reason = r.reason;
    }
    if (isFailure(d)) run.problem = `${run.problem ? `${run.problem}; ` : ''}disconnect: ${JSON.stringify(d).slice(0, 600)}`;
    return run;
  } finally {
    await host.close();
  }
}
