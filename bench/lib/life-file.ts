// The client life that build/bench/c-host replays, written from this project's OpenVPN model (firstClientLife): as
// hook calls with their whole env ("hooks only"), or as the env changes OpenVPN makes around each call ("server work").
import { writeFileSync } from 'node:fs';
import { HOOKS, type HookName } from '../../dist/openvpn/constants.js';
import { firstClientLife, serverUpEnv, type HookCall, type LifeParams } from '../../dist/openvpn/server-env.js';

/** Hooks that belong to the server, not to a client's life (c-host's server-work life leaves them out). */
const SERVER_HOOKS: ReadonlySet<HookName> = new Set<HookName>(['UP', 'DOWN', 'ROUTE_UP', 'ROUTE_PREDOWN']);
/** The stages of every client's life: OpenVPN builds their env whether or not a plugin registered the hook. */
const CLIENT_STAGES: readonly HookName[] = ['TLS_VERIFY', 'TLS_FINAL', 'IPCHANGE', 'CLIENT_CONNECT_V2', 'LEARN_ADDRESS', 'CLIENT_DISCONNECT'];
/** Vars c-host makes itself in server-work mode (control files with real names, certificate digests). */
const HOST_MADE =
  /^(auth_control_file|auth_pending_file|auth_failed_reason_file|client_connect_config_file|client_connect_deferred_file|tls_digest(_sha256)?_\d+)$/;

function certHex(c: HookCall): string {
  return c.cert?.der ? Buffer.from(c.cert.der).toString('hex') : '-';
}

function noNewline(c: HookCall, strings: readonly string[]): void {
  for (const s of strings) if (s.includes('\n')) throw new Error(`a newline in ${c.hook}'s argv/env`);
}

/** "Hooks only": the calls the plugin registered, each with its whole env (c-host life/v2-many without --server-work). */
export function writeHooksOnlyLife(path: string, params: Partial<LifeParams>): number {
  const calls = firstClientLife(params);
  const out: string[] = [];
  for (const c of calls) {
    const env = c.env.toEnvp();
    noNewline(c, [...c.argv, ...env]);
    out.push(`H ${HOOKS[c.hook]} ${c.certDepth} ${c.context} ${c.argv.length} ${env.length} ${certHex(c)}`, ...c.argv, ...env);
  }
  writeFileSync(path, `${out.join('\n')}\n`);
  return calls.length;
}

const nameOf = (s: string) => s.slice(0, s.indexOf('=') >>> 0);

/**
 * "Server work" (c-host --server-work): the server env a client inherits, then every stage of a client's life (the
 * registered hooks and the client stages OpenVPN goes through anyway) with the vars set and removed before it.
 * Returns the number of stages written.
 */
export function writeServerWorkLife(path: string, params: Partial<LifeParams> & { registeredHooks: readonly HookName[] }): { stages: number } {
  const registeredHooks = [...new Set([...params.registeredHooks, ...CLIENT_STAGES])];
  const calls = firstClientLife({ ...params, registeredHooks }).filter((c) => !SERVER_HOOKS.has(c.hook));
  const top = serverUpEnv(params).toEnvp();
  const out: string[] = [`T ${top.length}`, ...top];
  // the client's inherited copy holds the same strings (in reverse order, which a map by name does not keep)
  let prev = new Map(top.map((s) => [nameOf(s), s]));
  for (const c of calls) {
    const env = c.env.toEnvp();
    noNewline(c, [...c.argv, ...env]);
    // LEARN_ADDRESS delete has an env of its own (empty); IPCHANGE in UDP gets the client's env and the server's context
    const ownEnv = c.context === 'server' && c.hook === 'LEARN_ADDRESS';
    const ctx = ownEnv ? 'server' : c.context === 'server' ? 'server-ctx' : 'client';
    if (ownEnv) {
      out.push(`H ${HOOKS[c.hook]} ${c.certDepth} ${ctx} ${c.argv.length} ${env.length} 0 -`, ...c.argv, ...env);
      continue;
    }
    const cur = new Map(env.map((s) => [nameOf(s), s]));
    const sets = [...cur].filter(([n, s]) => !HOST_MADE.test(n) && prev.get(n) !== s).map(([, s]) => s);
    const unsets = [...prev.keys()].filter((n) => !HOST_MADE.test(n) && !cur.has(n));
    // sets are applied in order, each prepended: oldest first, so that the newest ends up first as in OpenVPN's envp
    out.push(
      `H ${HOOKS[c.hook]} ${c.certDepth} ${ctx} ${c.argv.length} ${sets.length} ${unsets.length} ${certHex(c)}`,
      ...c.argv,
      ...sets.reverse(),
      ...unsets,
    );
    prev = cur;
  }
  writeFileSync(path, `${out.join('\n')}\n`);
  return { stages: calls.length };
}
