// The VPN address the server's pool gives the n-th client, as `server NETWORK NETMASK` sets the pool up: with
// topology subnet (or tap) the server is .1 and clients get .2, .3, ... (or from `ifconfig-pool START` on); with net30 (and p2p) each client gets its
// own /30 after the server's: local .5 remote .6, then .9/.10, ...
import type { PoolAddress, ServerParams } from './server-env.js';

function toInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The pool address of client N (0-based); REMOTE_IP, when given, is the client's address instead. */
export function poolAddress(
  server: Pick<ServerParams, 'devType' | 'topology' | 'ifconfigLocal' | 'ifconfigNetmask' | 'poolStart'>,
  n: number,
  remoteIp?: string,
): PoolAddress {
  const serverIp = toInt(server.ifconfigLocal);
  if (server.devType === 'tap' || server.topology === 'subnet') {
    const first = server.poolStart !== undefined ? toInt(server.poolStart) : serverIp + 1;
    return { remoteIp: remoteIp ?? toIp(first + n), netmask: server.ifconfigNetmask };
  }
  const remote = remoteIp !== undefined ? toInt(remoteIp) : serverIp - 1 + 4 * (n + 1) + 2;
  return { remoteIp: toIp(remote), localIp: toIp(remote - 1) };
}
