// Several plugins called as OpenVPN calls a hook: every plugin, in config order, results combined (ERROR > DEFERRED > SUCCESS).
import { HOOKS, RETURN } from '../abi/constants.js';
import { newStringArray, getRuntime, type Pointer } from '../native/runtime.js';
import type { CallOptions, Plugin } from './plugin.js';
import type { ReturnListNode } from './return-list.js';

export interface PluginCallRecord {
  plugin: number;
  /** false when the plugin did not register the hook (OpenVPN skips it with SUCCESS). */
  called: boolean;
  returnCode: number;
  returnList: ReturnListNode[] | null;
  ms: number;
}

export interface ChainCallResult {
  /** OpenVPN's combined status: 1 if any plugin failed (any code other than 0 and 2), else 2 if any deferred, else 0. */
  status: number;
  calls: PluginCallRecord[];
  /** True when no plugin defines the hook: OpenVPN then calls nothing and returns SUCCESS. */
  undefinedHook: boolean;
  /** AUTH_USER_PASS_VERIFY only: a second plugin deferred. OpenVPN exits ("multiple authentication plug-ins
   * performing deferred authentication") without calling the rest of the chain. */
  fatal?: 'multiple-deferred-auth';
}

export interface ChainCallOptions extends Omit<CallOptions, 'perClientContext'> {
  /** Per-plugin per-client contexts, by plugin index. */
  contexts?: readonly Pointer[];
}

/** Combine per-plugin return codes the way plugin_call_ssl does. */
export function combineStatus(codes: readonly number[]): number {
  let deferred = false;
  for (const c of codes) {
    if (c === RETURN.DEFERRED) deferred = true;
    else if (c !== RETURN.SUCCESS) return RETURN.ERROR;
  }
  return deferred ? RETURN.DEFERRED : RETURN.SUCCESS;
}

/** Call TYPE on every plugin that wants it, with one envp block built once for the whole chain. */
export function callChain(plugins: readonly Plugin[], type: number, hookArgv: readonly string[], env: readonly string[],
  opts: ChainCallOptions = {}): ChainCallResult {
  if (!plugins.some((p) => p.wants(type))) return { status: RETURN.SUCCESS, calls: [], undefinedHook: true };
  const envp = newStringArray(env);
  const calls: PluginCallRecord[] = [];
  const isAuth = type === HOOKS.AUTH_USER_PASS_VERIFY;
  let deferrals = 0;
  try {
    for (const [i, plugin] of plugins.entries()) {
      if (!plugin.wants(type)) {
        calls.push({ plugin: i, called: false, returnCode: RETURN.SUCCESS, returnList: null, ms: 0 });
        continue;
      }
      const t0 = performance.now();
      const r = plugin.call(type, hookArgv, envp, { ...opts, perClientContext: opts.contexts?.[i] });
      calls.push({ plugin: i, called: true, returnCode: r.returnCode, returnList: r.returnList, ms: performance.now() - t0 });
      if (isAuth && r.returnCode === RETURN.DEFERRED && ++deferrals > 1) {
        return { status: RETURN.ERROR, calls, undefinedHook: false, fatal: 'multiple-deferred-auth' };
      }
    }
  } finally {
    getRuntime().free(envp);
  }
  return { status: combineStatus(calls.map((c) => c.returnCode)), calls, undefinedHook: false };
}
