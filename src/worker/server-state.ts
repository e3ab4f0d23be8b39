// Whether the emulated server still runs. OpenVPN exits on some errors it meets while serving a client (two plugins
// deferring auth); from then on no plugin is called, for that client or any other.
export class ServerExited extends Error {
  override name = 'ServerExited';
  constructor(readonly reason: string) {
    super(`OpenVPN exited: ${reason}`);
  }
}

export class ServerState {
  /** Why the server exited, once it has. */
  exited: string | undefined;

  /** Throws ServerExited once the server has exited: call before any plugin call. */
  ensureRunning(): void {
    if (this.exited !== undefined) throw new ServerExited(this.exited);
  }
}
