// The server's table of VPN addresses and the client each routes to (multi.c multi_learn_addr and the route reaper):
// it decides whether LEARN_ADDRESS says add, update or nothing, and whose end deletes an address.

/** What learning ADDRESS for a client means: a new route, a route taken over from another client, or nothing new. */
export type LearnOp = 'add' | 'update' | null;

export class RouteTable<Client> {
  private readonly owner = new Map<string, Client>();

  /** 'add' when no client has ADDRESS, 'update' when another one has it (the route moves to CLIENT if the plugins
   * accept), null when CLIENT has it already (OpenVPN only refreshes the route, no LEARN_ADDRESS call)
   * [measured: three clients given the same ifconfig-push address: add, update, update]. */
  learnOp(address: string, client: Client): LearnOp {
    const now = this.owner.get(address);
    if (now === undefined) return 'add';
    return now === client ? null : 'update';
  }

  /** The route to ADDRESS now goes to CLIENT (after the plugins accepted the add or update). */
  set(address: string, client: Client): void {
    this.owner.set(address, client);
  }

  /** Forget CLIENT's routes (it has ended) and return their addresses: each gets a LEARN_ADDRESS delete. A route
   * another client took over is that client's to delete [measured: one delete for the three clients above]. */
  release(client: Client): string[] {
    const gone = [...this.owner].filter(([, c]) => c === client).map(([a]) => a);
    for (const a of gone) this.owner.delete(a);
    return gone;
  }
}
