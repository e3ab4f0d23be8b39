// koffi bindings of the C runtime (runtime.c): callbacks table, log pipe, call trampolines, C-memory string arrays.
import koffi, { type LibraryHandle } from 'koffi';
import { buildRuntime, runtimeCandidates } from './locate-runtime.js';

export type Pointer = bigint;

/** The first runtime that loads here (a prebuilt one may not: another CPU, an older glibc), else one built now. */
function loadRuntime(): LibraryHandle {
  const tried: string[] = [];
  for (const path of runtimeCandidates()) {
    try {
      return koffi.load(path);
    } catch (err) {
      tried.push(`${path}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return koffi.load(buildRuntime(tried));
}

function bind() {
  const lib = loadRuntime();
  const f = <T>(proto: string) => lib.func(proto) as unknown as T;
  return {
    lib,
    init: f<(fd: number) => number>('int ovph_init(int fd)'),
    callbacks: f<() => Pointer>('void *ovph_callbacks(void)'),
    logLine: f<(flags: number, name: string, message: string) => void>('void ovph_log_line(int flags, const char *name, const char *message)'),
    logMark: f<(mark: string) => void>('void ovph_log_mark(const char *mark)'),
    setClient: f<(client: number) => void>('void ovph_set_client(int client)'),
    strvNew: f<(block: Uint8Array, len: number, count: number, minSlots: number) => Pointer>(
      'void *ovph_strv_new(const void *block, int len, int count, int min_slots)',
    ),
    free: f<(p: Pointer) => void>('void ovph_free(void *p)'),
    listFree: f<(p: Pointer) => void>('void ovph_list_free(void *p)'),
    openV1: f<(fn: Pointer, id: number, type: number, timeout: number, mask: number[], argv: Pointer, envp: Pointer) => Pointer>(
      'void *ovph_open_v1(void *fn, int id, int type, unsigned int timeout, _Inout_ unsigned int *mask, void *argv, void *envp)',
    ),
    openV2: f<(fn: Pointer, id: number, type: number, timeout: number, mask: number[], argv: Pointer, envp: Pointer, list: Pointer) => Pointer>(
      'void *ovph_open_v2(void *fn, int id, int type, unsigned int timeout, _Inout_ unsigned int *mask, void *argv, void *envp, void *list)',
    ),
    openV3: f<(fn: Pointer, id: number, type: number, timeout: number, structver: number, inp: Pointer, out: Pointer) => number>(
      'int ovph_open_v3(void *fn, int id, int type, unsigned int timeout, int structver, void *in, void *out)',
    ),
    funcV1: f<(fn: Pointer, id: number, type: number, timeout: number, handle: Pointer, argv: Pointer, envp: Pointer) => number>(
      'int ovph_func_v1(void *fn, int id, int type, unsigned int timeout, void *handle, void *argv, void *envp)',
    ),
    funcV2: f<(fn: Pointer, id: number, type: number, timeout: number, handle: Pointer, argv: Pointer, envp: Pointer, pcc: Pointer, list: Pointer) => number>(
      'int ovph_func_v2(void *fn, int id, int type, unsigned int timeout, void *handle, void *argv, void *envp, void *pcc, void *list)',
    ),
    funcV3: f<(fn: Pointer, id: number, type: number, timeout: number, structver: number, inp: Pointer, out: Pointer) => number>(
      'int ovph_func_v3(void *fn, int id, int type, unsigned int timeout, int structver, void *in, void *out)',
    ),
    handleCall: f<(fn: Pointer, id: number, type: number, timeout: number, handle: Pointer) => void>(
      'void ovph_handle_call(void *fn, int id, int type, unsigned int timeout, void *handle)',
    ),
    construct: f<(fn: Pointer, id: number, type: number, timeout: number, handle: Pointer) => Pointer>(
      'void *ovph_construct(void *fn, int id, int type, unsigned int timeout, void *handle)',
    ),
    destruct: f<(fn: Pointer, id: number, type: number, timeout: number, handle: Pointer, ctx: Pointer) => void>(
      'void ovph_destruct(void *fn, int id, int type, unsigned int timeout, void *handle, void *ctx)',
    ),
    intCall: f<(fn: Pointer, id: number, type: number, timeout: number) => number>('int ovph_int_call(void *fn, int id, int type, unsigned int timeout)'),
    reap: f<(pid: number) => number>('int ovph_reap(int pid)'),
    memcheckEnable: f<(leaksPerCall: number) => number>('int ovph_memcheck_enable(int leaks_per_call)'),
    frameNew: f<(cap: number) => Pointer>('void *ovph_frame_new(int cap)'),
    frameSize: f<() => number>('int ovph_frame_size(void)'),
    frameCall: f<(frame: Pointer) => number>('int ovph_frame_call(void *frame)'),
    strvGuarded: f<(block: Uint8Array, len: number, count: number, minSlots: number) => Pointer>(
      'void *ovph_strv_guarded(const void *block, int len, int count, int min_slots)',
    ),
    strvRestore: f<(p: Pointer) => number>('int ovph_strv_restore(void *p)'),
    strvGuardedFree: f<(p: Pointer) => void>('void ovph_strv_guarded_free(void *p)'),
    base64Encode: f<(data: Buffer, size: number, out: Pointer[]) => number>('int ovph_base64_encode(const void *data, int size, _Out_ void **str)'),
    base64Decode: f<(str: string, data: Buffer, size: number) => number>('int ovph_base64_decode(const char *str, _Out_ void *data, int size)'),
  };
}

export type Runtime = ReturnType<typeof bind>;
let runtime: Runtime | undefined;

/** The runtime bindings, loaded once per process and kept referenced (koffi unloads unreachable libraries). */
export function getRuntime(): Runtime {
  runtime ??= bind();
  return runtime;
}

const utf8 = new TextEncoder();
let scratch = new Uint8Array(16 * 1024);

/** Strings packed into one block, each NUL-terminated (a NUL inside a string is dropped, as C would cut it). The
 * bytes are in a reused scratch buffer: valid until the next call. */
function packStrings(strings: readonly string[]): { block: Uint8Array; len: number } {
  let joined = '';
  let clean = true;
  for (let i = 0; i < strings.length; i++) {
    if (strings[i].includes('\0')) clean = false;
  }
  if (!strings.length) joined = '\0';
  else if (clean) joined = `${strings.join('\0')}\0`;
  else joined = `${strings.map((s) => s.replaceAll('\0', '')).join('\0')}\0`;
  // UTF-16 code units -> at most 3 UTF-8 bytes each.
  if (scratch.length < joined.length * 3) scratch = new Uint8Array(joined.length * 3 + 1024);
  const { written } = utf8.encodeInto(joined, scratch);
  return { block: scratch, len: written };
}

/** Pack strings into one NUL-separated block and copy it into a C char*[] (freed with runtime.free). */
export function newStringArray(strings: readonly string[], minSlots = 0): Pointer {
  const { block, len } = packStrings(strings);
  return getRuntime().strvNew(block, len, strings.length, minSlots);
}

/** As newStringArray, plus a pristine copy: runtime.strvRestore undoes any write a plugin made into it, so the
 * array can be reused across calls. Freed with runtime.strvGuardedFree. */
export function newGuardedStringArray(strings: readonly string[], minSlots = 0): Pointer {
  const { block, len } = packStrings(strings);
  return getRuntime().strvGuarded(block, len, strings.length, minSlots);
}

/** Strings packed once into JS memory (their own copy of the bytes), to be copied into C again and again. */
export interface PackedStrings {
  bytes: Uint8Array;
  count: number;
}

/** Pack STRINGS into a block of their own (see packStrings). */
export function packStringsOnce(strings: readonly string[]): PackedStrings {
  const { block, len } = packStrings(strings);
  return { bytes: block.slice(0, len), count: strings.length };
}

/** newGuardedStringArray from strings packed before (no packing, no UTF-8 encoding: one copy into C). */
export function guardedStringArrayFrom(packed: PackedStrings): Pointer {
  return getRuntime().strvGuarded(packed.bytes, packed.bytes.length, packed.count, 0);
}

/** The pointer stored in slot I of a C pointer array. */
export function pointerAt(array: Pointer, index: number): Pointer {
  return (koffi.decode(array, index * 8, 'void *') as Pointer | null) ?? 0n;
}
