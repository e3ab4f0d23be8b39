// What the emulated server's clients share: whether it still runs (OpenVPN exits on some errors it meets while serving
// a client, e.g. two plugins deferring auth; from then on no plugin is called) and its table of VPN addresses.
import { RouteTable } from '../openvpn/routes.js';

export class ServerExited extends Error {
  override name = 'ServerExited';
  constructor(readonly reason: string) {
    super(`OpenVPN exited: ${reason}`);
  }
}

export class ServerState {
  /** Why the server exited, once it has. */
  exited: string | undefined;
  /** Which client (by id) each learned VPN address routes to. */
  readonly routes = new RouteTable<number>();

  /** Throws ServerExited once the server has exited: call before any plugin call. */
  ensureRunning(): void {
    if (this.exited !== undefined) throw new ServerExited(this.exited);
  }
}
