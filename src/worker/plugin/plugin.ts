// One loaded OpenVPN plugin: dlopen via koffi, entry points resolved one by one, open/func/close as OpenVPN 2.6 calls them.
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import koffi, { type LibraryHandle, type TypeObject } from 'koffi';
import {
  ENTRY_POINTS,
  type EntryPointName,
  OFFERED_TYPE_MASK,
  OPENVPN_PLUGIN_N,
  OPENVPN_PLUGIN_VERSION,
  OPENVPN_PLUGINv3_STRUCTVER,
  OVPN_VERSION,
  PLOG,
  SSLAPI_OPENSSL,
} from '../../openvpn/constants.js';
import { FRAME, OpenIn, OpenReturn } from '../native/structs.js';
import { getRuntime, newGuardedStringArray, newStringArray, pointerAt, type Pointer } from '../native/runtime.js';
import type { AbiVersion, LoadErrorKind, PluginSpec } from '../../protocol/messages.js';
import type { ReturnListNode } from '../../openvpn/return-list.js';
import { decodeReturnList } from './return-list.js';
import { unloadableFile } from './file-check.js';
import { pluginArguments } from '../../openvpn/plugin-args.js';
import { PSEUDO_TYPE } from '../../protocol/constants.js';
import { PLUGIN_LIBDIR } from '../../openvpn/constants.js';

/** The plugin could not be loaded or opened; OpenVPN would exit at startup. */
export class PluginLoadError extends Error {
  constructor(
    readonly kind: LoadErrorKind,
    readonly plugin: string,
    message: string,
  ) {
    super(message);
    this.name = 'PluginLoadError';
  }
}

export interface CallOptions {
  perClientContext?: Pointer;
  /** Certificate depth for TLS_VERIFY (v3 only); -1 when no certificate is passed. */
  certDepth?: number;
  /** An OpenSSL X509* for TLS_VERIFY (v3 only). */
  cert?: Pointer;
  /** Pass a return-list slot (OpenVPN does so only for CLIENT_CONNECT_V2 and CLIENT_CONNECT_DEFER_V2). */
  collectReturnList?: boolean;
  /** ENVP is a guarded array (newGuardedStringArray, EncodedEnv): undo any write the plugin made into it after the
   * call, so that it can be passed again. */
  restoreEnvp?: boolean;
}

export interface CallResult {
  returnCode: number;
  /** The decoded return list (null when no slot was passed or the plugin returned none). */
  returnList: ReturnListNode[] | null;
  /** How long the entry point ran, in ms (measured in C around the call). */
  ms: number;
}

/** Whether two string arrays hold the same strings. */
function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether the 6 bytes at OFF spell "config" (the name OpenVPN looks for: skip decoding it). */
function isConfig(b: Buffer, off: number): boolean {
  return b[off] === 0x63 && b[off + 1] === 0x6f && b[off + 2] === 0x6e && b[off + 3] === 0x66 && b[off + 4] === 0x69 && b[off + 5] === 0x67;
}

/** A Buffer with its own UTF-8 decoder exposed: toString('utf8', start, end) without the argument handling (what
 * toString calls after checking its arguments; present in every Node version). */
type Utf8Buffer = Buffer & { utf8Slice(start: number, end: number): string };

/** Bytes a frame offers for the return list; a longer list is decoded node by node from the plugin's memory. */
const FRAME_LIST_CAPACITY = 16 * 1024;

/** The C memory of one plugin's hook calls (struct ovph_frame in runtime.c), written and read in place through
 * typed-array views: a call patches a few fields, makes one FFI call, and reads the copied return list. */
class CallFrame {
  readonly ptr: Pointer;
  private readonly i32: Int32Array;
  private readonly u64: BigUint64Array;
  private readonly bytes: Utf8Buffer;

  /** NAME: the plugin as its log lines name it (for a warning about its return list). */
  constructor(
    fn: Pointer,
    id: number,
    version: AbiVersion,
    timeoutMs: number,
    private readonly name: string,
  ) {
    const rt = getRuntime();
    this.ptr = rt.frameNew(FRAME_LIST_CAPACITY);
    if (!this.ptr) throw new Error('out of memory (call frame)');
    const view = koffi.view(this.ptr, rt.frameSize() + FRAME_LIST_CAPACITY);
    this.i32 = new Int32Array(view);
    this.u64 = new BigUint64Array(view);
    this.bytes = Buffer.from(view) as Utf8Buffer;
    this.u64[FRAME.fn] = fn;
    this.i32[FRAME.id] = id;
    this.i32[FRAME.version] = version;
    this.i32[FRAME.timeout] = timeoutMs;
  }

  call(
    type: number,
    argv: Pointer,
    envp: Pointer,
    handle: Pointer,
    ctx: Pointer,
    certDepth: number,
    cert: Pointer,
    collect: boolean,
    envpGuard: Pointer,
  ): CallResult {
    const { i32, u64 } = this;
    i32[FRAME.type] = type;
    u64[FRAME.argv] = argv;
    u64[FRAME.envp] = envp;
    u64[FRAME.handle] = handle;
    u64[FRAME.perClientContext] = ctx;
    i32[FRAME.certDepth] = certDepth;
    u64[FRAME.cert] = cert;
    i32[FRAME.collect] = collect ? 1 : 0;
    u64[FRAME.argvGuard] = argv;
    u64[FRAME.envpGuard] = envpGuard;
    const returnCode = getRuntime().frameCall(this.ptr);
    const ns = (i32[FRAME.elapsedNs * 2] >>> 0) + i32[FRAME.elapsedNs * 2 + 1] * 4294967296;
    return { returnCode, returnList: collect ? this.takeList() : null, ms: ns / 1e6 };
  }

  /** The list the call returned: copied into the frame by C (and freed there), or left for the slow path. */
  private takeList(): ReturnListNode[] | null {
    const nodes = this.i32[FRAME.nodes];
    if (nodes === 0) return null;
    if (nodes < 0) {
      const head = this.u64[FRAME.list];
      const { nodes: list, cycle } = decodeReturnList(head);
      if (cycle) {
        getRuntime().logLine(
          PLOG.WARN,
          'ovpn-plugin-host',
          `${this.name}: the return list is cyclic (node ${cycle.from + 1} points back to node ${cycle.to + 1}); the host read `
            + `its ${list.length} nodes once and cut it there to free it (OpenVPN would free the same node twice and crash)`,
        );
      }
      getRuntime().listFree(head);
      this.u64[FRAME.list] = 0n;
      return list;
    }
    const { bytes, i32 } = this;
    const list: ReturnListNode[] = new Array(nodes);
    let off = FRAME.listBytes; // records are 4-aligned
    for (let n = 0; n < nodes; n++) {
      const nameLen = i32[off >> 2];
      const valueLen = i32[(off >> 2) + 1];
      const start = off + 8;
      const mid = start + Math.max(nameLen, 0);
      const end = mid + Math.max(valueLen, 0);
      list[n] = {
        name: nameLen < 0 ? null : nameLen === 6 && isConfig(bytes, start) ? 'config' : bytes.utf8Slice(start, mid),
        value: valueLen < 0 ? null : bytes.utf8Slice(mid, end),
      };
      off = start + ((end - start + 3) & ~3);
    }
    return list;
  }
}

/** Resolve the file OpenVPN would load: absolute and ./-relative paths as given; a bare name that is not a
 * file here is looked up in PLUGIN_LIBDIR, as OpenVPN does for every non-absolute, non-dot path. */
function resolvePluginPath(path: string): string {
  if (isAbsolute(path) || path.startsWith('.') || existsSync(path)) return path;
  const inLibdir = join(PLUGIN_LIBDIR, path);
  return existsSync(inLibdir) ? inLibdir : path;
}

/** Explain a dlopen failure in one line (koffi's message lacks the file and often the reason). */
function classifyLoadFailure(file: string, message: string): PluginLoadError {
  const detail = message.replace(/^Failed to load shared library:\s*/, '');
  if (!existsSync(file)) return new PluginLoadError('not-found', file, `${file}: no such file (check the path)`);
  let head = Buffer.alloc(20);
  try {
    const fd = openSync(file, 'r');
    readSync(fd, head, 0, 20, 0);
    closeSync(fd);
  } catch {
    head = Buffer.alloc(0);
  }
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) {
    return new PluginLoadError('not-shared-object', file, `${file}: not a shared object (not an ELF file)`);
  }
  const elfClass = head[4] === 2 ? 64 : 32;
  const machine = head.readUInt16LE(18);
  if (elfClass !== 64 || machine !== 62) {
    return new PluginLoadError(
      'wrong-architecture',
      file,
      `${file}: built for another architecture (ELF${elfClass}, machine ${machine}); this host needs x86-64 (ELF64, machine 62)`,
    );
  }
  if (head.readUInt16LE(16) !== 3) {
    return new PluginLoadError('not-shared-object', file, `${file}: not a shared object (${detail}); build it with -shared -fPIC`);
  }
  return new PluginLoadError('load-failed', file, `${file}: cannot be loaded: ${detail}`);
}

/** A plugin library loaded into this (worker) process. Not thread-safe; one per `plugin` line. */
export class Plugin {
  readonly file: string;
  readonly args: string[];
  /** Entry points the library exports, in OpenVPN's lookup order. */
  readonly exported: EntryPointName[];
  readonly openVersion: AbiVersion;
  readonly funcVersion: AbiVersion;
  readonly minVersionRequired: number | undefined;
  readonly initPoint: number;
  handle: Pointer = 0n;
  /** OpenVPN's in-memory mask: every type until the plugin is opened. */
  typeMask = OFFERED_TYPE_MASK;

  private readonly lib: LibraryHandle;
  private readonly symbols = new Map<EntryPointName, Pointer>();
  private readonly live: Pointer[] = []; // argv/envp/struct memory that must outlive the plugin
  private frame: CallFrame | undefined;
  /** Hook argv arrays kept in C memory across calls (guarded: restored after each call): [argv0] and the last other. */
  private argvEmpty: Pointer = 0n;
  private argvLast: { args: readonly string[]; ptr: Pointer } | undefined;
  private argv0: string;

  constructor(
    readonly id: number,
    readonly spec: PluginSpec,
    private readonly callTimeoutMs: number,
  ) {
    this.file = resolvePluginPath(spec.path);
    this.args = pluginArguments(spec.args ?? []);
    this.argv0 = spec.path;
    const unloadable = unloadableFile(this.file);
    if (unloadable) throw new PluginLoadError('not-shared-object', this.file, unloadable);
    try {
      this.lib = koffi.load(this.file);
    } catch (err) {
      throw classifyLoadFailure(this.file, (err as Error).message);
    }
    for (const name of ENTRY_POINTS) {
      try {
        this.symbols.set(name, this.lib.symbol(name) as Pointer);
      } catch {
        // not exported
      }
    }
    this.exported = ENTRY_POINTS.filter((n) => this.symbols.has(n));
    const pick = (kind: 'open' | 'func'): AbiVersion | undefined =>
      ([3, 2, 1] as const).find((v) => this.symbols.has(`openvpn_plugin_${kind}_v${v}` as EntryPointName));
    const openVersion = pick('open');
    const funcVersion = pick('func');
    if (!openVersion) throw this.missing('openvpn_plugin_open_vX', 'no open entry point (openvpn_plugin_open_v1/v2/v3)');
    if (!funcVersion) throw this.missing('openvpn_plugin_func_vX', 'no func entry point (openvpn_plugin_func_v1/v2/v3)');
    if (!this.symbols.has('openvpn_plugin_close_v1'))
      throw this.missing('openvpn_plugin_close_v1', 'openvpn_plugin_close_v1 is not exported (OpenVPN requires it)');
    this.openVersion = openVersion;
    this.funcVersion = funcVersion;

    const rt = getRuntime();
    const minFn = this.symbols.get('openvpn_plugin_min_version_required_v1');
    this.minVersionRequired = minFn ? rt.intCall(minFn, id, PSEUDO_TYPE.minVersion, callTimeoutMs) : undefined;
    if (this.minVersionRequired !== undefined && this.minVersionRequired > OPENVPN_PLUGIN_VERSION) {
      throw new PluginLoadError(
        'min-version',
        this.file,
        `${this.file}: plugin needs interface version ${this.minVersionRequired}, but OpenVPN 2.6 only supports version ${OPENVPN_PLUGIN_VERSION}`,
      );
    }
    const initFn = this.symbols.get('openvpn_plugin_select_initialization_point_v1');
    this.initPoint = initFn ? rt.intCall(initFn, id, PSEUDO_TYPE.initPoint, callTimeoutMs) : 2;
  }

  private missing(symbol: string, what: string): PluginLoadError {
    return new PluginLoadError('missing-entry-point', this.file, `${this.file}: ${what}; OpenVPN refuses to load it (symbol ${symbol} is undefined)`);
  }

  has(name: EntryPointName): boolean {
    return this.symbols.has(name);
  }

  /** Call open (v3, else v2, else v1) with argv = [path as given, ...args] and the given envp, as OpenVPN does. */
  open(envp: readonly string[]): void {
    const rt = getRuntime();
    // Plugins keep argv/envp pointers: this memory lives as long as the plugin. 18 slots as OpenVPN allocates.
    const argv = newStringArray([this.argv0, ...this.args], 17);
    const env = newStringArray(envp);
    this.live.push(argv, env);
    let handle: Pointer;
    let mask = OFFERED_TYPE_MASK;
    const fn = this.symbols.get(`openvpn_plugin_open_v${this.openVersion}` as EntryPointName)!;
    if (this.openVersion === 3) {
      const version = newStringArray([OVPN_VERSION.string, OVPN_VERSION.patch]);
      this.live.push(version);
      const inp = this.alloc(OpenIn);
      const out = this.alloc(OpenReturn);
      koffi.encode(inp, OpenIn, {
        type_mask: OFFERED_TYPE_MASK,
        argv,
        envp: env,
        callbacks: rt.callbacks(),
        ssl_api: SSLAPI_OPENSSL,
        ovpn_version: pointerAt(version, 0),
        ovpn_version_major: OVPN_VERSION.major,
        ovpn_version_minor: OVPN_VERSION.minor,
        ovpn_version_patch: pointerAt(version, 1),
      });
      koffi.encode(out, OpenReturn, { type_mask: 0, handle: null, return_list: null });
      const rc = rt.openV3(fn, this.id, PSEUDO_TYPE.open, this.callTimeoutMs, OPENVPN_PLUGINv3_STRUCTVER, inp, out);
      const ret = koffi.decode(out, OpenReturn) as { type_mask: number; handle: Pointer | null };
      if (rc !== 0) {
        throw new PluginLoadError(
          'open-failed',
          this.file,
          `${this.file}: openvpn_plugin_open_v3 returned ${rc === 1 ? 'ERROR' : rc}; OpenVPN would exit (plugin initialization function failed)`,
        );
      }
      handle = ret.handle ?? 0n;
      mask = ret.type_mask >>> 0;
    } else {
      const maskBox = [OFFERED_TYPE_MASK];
      handle =
        (this.openVersion === 2
          ? rt.openV2(fn, this.id, PSEUDO_TYPE.open, this.callTimeoutMs, maskBox, argv, env, 0n)
          : rt.openV1(fn, this.id, PSEUDO_TYPE.open, this.callTimeoutMs, maskBox, argv, env)) ?? 0n;
      mask = maskBox[0] >>> 0;
    }
    if (!handle) {
      throw new PluginLoadError(
        'open-failed',
        this.file,
        `${this.file}: openvpn_plugin_open_v${this.openVersion} returned no handle (NULL); OpenVPN would exit (plugin initialization function failed)`,
      );
    }
    this.handle = handle;
    if (mask >>> OPENVPN_PLUGIN_N) {
      throw new PluginLoadError(
        'bad-mask',
        this.file,
        `${this.file}: expressed interest in unsupported plugin types (mask 0x${mask.toString(16)}); OpenVPN would exit`,
      );
    }
    this.typeMask = mask;
  }

  /** Whether OpenVPN would call this plugin for TYPE: opened and its own mask bit set. */
  wants(type: number): boolean {
    return this.handle !== 0n && (this.typeMask & (1 << type)) !== 0;
  }

  /** One hook call. HOOK_ARGV are the arguments after argv[0]; ENVP is a C char*[] shared by the chain. */
  call(type: number, hookArgv: readonly string[], envp: Pointer, opts: CallOptions = {}): CallResult {
    const cert = opts.cert ?? 0n;
    return this.callHook(
      type,
      hookArgv,
      envp,
      opts.perClientContext ?? 0n,
      cert,
      cert ? (opts.certDepth ?? -1) : -1,
      opts.collectReturnList === true,
      opts.restoreEnvp === true,
    );
  }

  /** call() without an options object (the chain's hot path). */
  callHook(
    type: number,
    hookArgv: readonly string[],
    envp: Pointer,
    ctx: Pointer,
    cert: Pointer,
    certDepth: number,
    collect: boolean,
    restoreEnvp: boolean,
  ): CallResult {
    this.frame ??= new CallFrame(
      this.symbols.get(`openvpn_plugin_func_v${this.funcVersion}` as EntryPointName)!,
      this.id,
      this.funcVersion,
      this.callTimeoutMs,
      this.spec.path,
    );
    // v1/v2 have no cert arguments; v1 no per-client context and no list (the frame ignores them as OpenVPN does).
    return this.frame.call(type, this.argvFor(hookArgv), envp, this.handle, ctx, certDepth, cert, collect && this.funcVersion !== 1, restoreEnvp ? envp : 0n);
  }

  /** [argv0, ...hookArgv] in C memory, reused while the hook argv stays the same. */
  private argvFor(hookArgv: readonly string[]): Pointer {
    if (hookArgv.length === 0) {
      if (!this.argvEmpty) this.argvEmpty = newGuardedStringArray([this.argv0]);
      return this.argvEmpty;
    }
    const last = this.argvLast;
    if (last && sameStrings(last.args, hookArgv)) return last.ptr;
    if (last) getRuntime().strvGuardedFree(last.ptr);
    const ptr = newGuardedStringArray([this.argv0, ...hookArgv]);
    this.argvLast = { args: [...hookArgv], ptr };
    return ptr;
  }

  /** openvpn_plugin_client_constructor_v1, if exported (NULL otherwise). */
  construct(): Pointer {
    const fn = this.symbols.get('openvpn_plugin_client_constructor_v1');
    if (!fn || !this.handle) return 0n;
    return getRuntime().construct(fn, this.id, PSEUDO_TYPE.constructor, this.callTimeoutMs, this.handle) ?? 0n;
  }

  /** openvpn_plugin_client_destructor_v1, only for a non-NULL context, as OpenVPN does. */
  destruct(ctx: Pointer): void {
    const fn = this.symbols.get('openvpn_plugin_client_destructor_v1');
    if (!fn || !ctx || !this.handle) return;
    getRuntime().destruct(fn, this.id, PSEUDO_TYPE.destructor, this.callTimeoutMs, this.handle, ctx);
  }

  /** openvpn_plugin_close_v1 (only with a handle). The library itself stays loaded and referenced. */
  close(): void {
    if (!this.handle) return;
    const handle = this.handle;
    this.handle = 0n;
    getRuntime().handleCall(this.symbols.get('openvpn_plugin_close_v1')!, this.id, PSEUDO_TYPE.close, this.callTimeoutMs, handle);
  }

  /** openvpn_plugin_abort_v1 if exported, whatever the handle (OpenVPN's fatal-exit path). */
  abort(): void {
    const fn = this.symbols.get('openvpn_plugin_abort_v1');
    if (fn) getRuntime().handleCall(fn, this.id, PSEUDO_TYPE.abort, this.callTimeoutMs, this.handle);
  }

  private alloc(type: TypeObject | string): Pointer {
    const p = koffi.alloc(type, 1) as unknown as Pointer;
    this.live.push(p);
    return p;
  }
}
