// The plugins' part of a server restart: SIGHUP closes every plugin and loads and opens it again; SIGUSR1 keeps them
// and calls each generic constructor again (OpenVPN 2.6.14, measured: the old generic context is never destroyed).
import type { StartRequest } from '../protocol/messages.js';
import { Plugin } from './plugin/plugin.js';
import type { Pointer } from './native/runtime.js';

/** A plugin failed to load or open again: the plugins as they stand (for abort_v1), which one, and why. */
export class ReopenFailure extends Error {
  constructor(
    readonly plugins: Plugin[],
    readonly index: number,
    readonly reason: unknown,
  ) {
    super(`plugin ${index} did not load or open again: ${(reason as Error)?.message ?? String(reason)}`);
  }
}

/** Run the restart's plugin calls in OpenVPN's order, naming each in CALLS ("close_v1 a.so"); the plugins and
 * generic contexts the server goes on with. Throws a ReopenFailure when a plugin cannot be loaded or opened again. */
export function reopenPlugins(
  signal: 'SIGHUP' | 'SIGUSR1',
  plugins: Plugin[],
  generic: Pointer[],
  started: { req: StartRequest; openEnv: string[] },
  calls: string[],
): { plugins: Plugin[]; genericContexts: Pointer[] } {
  const name = (p: Plugin, entry: string) => `${entry} ${p.spec.path}`;
  const hasConstructor = (p: Plugin) => p.exported.includes('openvpn_plugin_client_constructor_v1');
  if (signal === 'SIGUSR1') {
    const contexts = plugins.map((p) => {
      if (hasConstructor(p)) calls.push(`${name(p, 'client_constructor_v1')} (again; the old generic context is not destroyed)`);
      return p.construct();
    });
    return { plugins, genericContexts: contexts };
  }
  // SIGHUP: generic destructors in plugin order, then close_v1 for each (OpenVPN dlcloses each right after its close;
  // the host keeps the library mapped, so a plugin's static variables survive here where OpenVPN's may not)
  plugins.forEach((p, i) => {
    if (generic[i] && p.exported.includes('openvpn_plugin_client_destructor_v1')) calls.push(name(p, 'client_destructor_v1'));
    p.destruct(generic[i]!);
  });
  for (const p of plugins) {
    calls.push(name(p, 'close_v1'));
    p.close();
  }
  // then, as at startup: load every plugin, open each in order, each open followed by its generic constructor
  const fresh: Plugin[] = [];
  for (const [i, spec] of started.req.plugins.entries()) {
    try {
      fresh.push(new Plugin(i, spec, started.req.callTimeoutMs));
    } catch (reason) {
      throw new ReopenFailure(fresh, i, reason);
    }
  }
  const contexts: Pointer[] = [];
  for (const [i, p] of fresh.entries()) {
    try {
      calls.push(name(p, `open_v${p.openVersion}`));
      p.open(started.openEnv);
    } catch (reason) {
      throw new ReopenFailure(fresh, i, reason);
    }
    if (hasConstructor(p)) calls.push(name(p, 'client_constructor_v1'));
    contexts[i] = p.construct();
  }
  return { plugins: fresh, genericContexts: contexts };
}
