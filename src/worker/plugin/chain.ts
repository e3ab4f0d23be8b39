// Several plugins called as OpenVPN calls a hook: every plugin, in config order, results combined (ERROR > DEFERRED > SUCCESS).
import { HOOKS, RETURN } from '../../openvpn/constants.js';
import { getRuntime, guardedStringArrayFrom, newGuardedStringArray, packStringsOnce, type PackedStrings, type Pointer } from '../native/runtime.js';
import type { CallOptions, Plugin } from './plugin.js';
import type { ReturnListNode } from '../../openvpn/return-list.js';

interface PluginCallRecord {
  /** The plugin, by its path as given. */
  plugin: string;
  /** false when the plugin did not register the hook (OpenVPN skips it with SUCCESS). */
  called: boolean;
  returnCode: number;
  returnList: ReturnListNode[] | null;
  /** How long the plugin's entry point ran (0 when not called). */
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

export interface ChainCallOptions extends Omit<CallOptions, 'perClientContext' | 'restoreEnvp'> {
  /** Per-plugin per-client contexts, by plugin index. */
  contexts?: readonly Pointer[];
}

/** Combine per-plugin return codes the way plugin_call_ssl does. */
function combineStatus(calls: readonly PluginCallRecord[]): number {
  let deferred = false;
  for (const { returnCode } of calls) {
    if (returnCode === RETURN.DEFERRED) deferred = true;
    else if (returnCode !== RETURN.SUCCESS) return RETURN.ERROR;
  }
  return deferred ? RETURN.DEFERRED : RETURN.SUCCESS;
}

/** An envp block in C memory (a guarded char*[]: every call gets it as encoded, whatever a plugin wrote into it).
 * Pass it to callChain instead of a string array to skip encoding; free it when done. */
export class EncodedEnv {
  private ptr: Pointer;
  private constructor(
    readonly strings: readonly string[],
    ptr: Pointer,
  ) {
    this.ptr = ptr;
  }

  /** Copy ENV (K=V strings, in order) into C memory. */
  static encode(env: readonly string[]): EncodedEnv {
    return new EncodedEnv([...env], newGuardedStringArray(env));
  }

  /** Copy an env packed before into C memory. */
  static fromPacked(env: PackedEnv): EncodedEnv {
    return new EncodedEnv(env.strings, guardedStringArrayFrom(env.packed));
  }

  /** The char*[] (throws once freed). */
  get pointer(): Pointer {
    if (!this.ptr) throw new Error('EncodedEnv used after free()');
    return this.ptr;
  }

  get freed(): boolean {
    return !this.ptr;
  }

  /** Whether it holds exactly the strings of ENV. */
  matches(env: readonly string[]): boolean {
    const mine = this.strings;
    if (!this.ptr || mine.length !== env.length) return false;
    for (let i = 0; i < env.length; i++) if (mine[i] !== env[i]) return false;
    return true;
  }

  free(): void {
    if (!this.ptr) return;
    getRuntime().strvGuardedFree(this.ptr);
    this.ptr = 0n;
  }
}

/** An env packed into bytes once and kept in JS memory by the one who calls with it again and again (a deferred
 * client's re-checks): each call copies the bytes into C and frees them after, instead of joining and encoding
 * every string again (the one shared EncodedEnv below only helps while the same client calls twice in a row). */
export class PackedEnv {
  private constructor(
    readonly strings: readonly string[],
    readonly packed: PackedStrings,
  ) {}

  static pack(env: readonly string[]): PackedEnv {
    return new PackedEnv([...env], packStringsOnce(env));
  }

  /** Whether it holds exactly the strings of ENV. */
  matches(env: readonly string[]): boolean {
    const mine = this.strings;
    if (mine.length !== env.length) return false;
    for (let i = 0; i < env.length; i++) if (mine[i] !== env[i]) return false;
    return true;
  }
}

/** The last env a chain call encoded: a chain called again with the same strings (deferral polls, repeated calls)
 * reuses it instead of encoding them again. */
let lastEnv: EncodedEnv | undefined;

function encodedEnv(env: readonly string[]): EncodedEnv {
  if (lastEnv?.matches(env)) return lastEnv;
  lastEnv?.free();
  lastEnv = undefined;
  lastEnv = EncodedEnv.encode(env);
  return lastEnv;
}

/** Call TYPE on every plugin that wants it, with one envp block for the whole chain (ENV as strings, encoded here or
 * reused from the previous call with the same strings; a PackedEnv, copied into C for this call; or an EncodedEnv
 * the caller keeps). */
export function callChain(
  plugins: readonly Plugin[],
  type: number,
  hookArgv: readonly string[],
  env: readonly string[] | EncodedEnv | PackedEnv,
  opts: ChainCallOptions = {},
): ChainCallResult {
  let lastCalled = -1;
  for (let i = 0; i < plugins.length; i++) if (plugins[i].wants(type)) lastCalled = i;
  if (lastCalled < 0) return { status: RETURN.SUCCESS, calls: [], undefinedHook: true };
  const oneShot = env instanceof PackedEnv ? EncodedEnv.fromPacked(env) : undefined;
  const block = oneShot ?? (env instanceof EncodedEnv ? env : encodedEnv(env as readonly string[]));
  const envp = block.pointer;
  const calls: PluginCallRecord[] = [];
  const isAuth = type === HOOKS.AUTH_USER_PASS_VERIFY;
  const cert = opts.cert ?? 0n;
  const certDepth = cert ? (opts.certDepth ?? -1) : -1;
  const collect = opts.collectReturnList === true;
  const contexts = opts.contexts;
  let deferrals = 0;
  // Every plugin of this call sees what earlier ones wrote into envp (one shared block, as in OpenVPN); the block is
  // restored after the last call, so the next chain call gets it as encoded.
  let restored = false;
  let failed = true;
  try {
    for (let i = 0; i < plugins.length; i++) {
      const plugin = plugins[i];
      if (!plugin.wants(type)) {
        calls.push({ plugin: plugin.spec.path, called: false, returnCode: RETURN.SUCCESS, returnList: null, ms: 0 });
        continue;
      }
      const last = i === lastCalled;
      const r = plugin.callHook(type, hookArgv, envp, contexts?.[i] ?? 0n, cert, certDepth, collect, last);
      calls.push({ plugin: plugin.spec.path, called: true, returnCode: r.returnCode, returnList: r.returnList, ms: r.ms });
      if (last) restored = true;
      if (isAuth && r.returnCode === RETURN.DEFERRED && ++deferrals > 1) {
        failed = false;
        return { status: RETURN.ERROR, calls, undefinedHook: false, fatal: 'multiple-deferred-auth' };
      }
    }
    failed = false;
  } finally {
    if (oneShot) {
      oneShot.free(); // (whatever a plugin wrote into it goes with it)
    } else if (failed) {
      // Not known what was written into the block: never reuse it.
      if (block === lastEnv) lastEnv = undefined;
      if (block !== env) block.free();
      else getRuntime().strvRestore(envp);
    } else if (!restored) {
      getRuntime().strvRestore(envp);
    }
  }
  return { status: combineStatus(calls), calls, undefinedHook: false };
}
