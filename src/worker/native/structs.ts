// koffi declarations of the v3 ABI structs of openvpn-plugin.h (layouts checked against the real header by test/abi.test.ts).
import koffi from 'koffi';

/** struct openvpn_plugin_string_list: a malloc'd linked list of name/value pairs returned by a plugin. */
export const StringList = koffi.struct('openvpn_plugin_string_list', {
  next: 'void *',
  name: 'void *',
  value: 'void *',
});

/** struct openvpn_plugin_callbacks: five function pointers, all implemented in the C runtime. */
const Callbacks = koffi.struct('openvpn_plugin_callbacks', {
  plugin_log: 'void *',
  plugin_vlog: 'void *',
  plugin_secure_memzero: 'void *',
  plugin_base64_encode: 'void *',
  plugin_base64_decode: 'void *',
});

/** struct openvpn_plugin_args_open_in, passed to openvpn_plugin_open_v3. */
export const OpenIn = koffi.struct('openvpn_plugin_args_open_in', {
  type_mask: 'int',
  argv: 'void *',
  envp: 'void *',
  callbacks: 'void *',
  ssl_api: 'int',
  ovpn_version: 'void *',
  ovpn_version_major: 'uint',
  ovpn_version_minor: 'uint',
  ovpn_version_patch: 'void *',
});

/** struct openvpn_plugin_args_open_return, filled by openvpn_plugin_open_v3. */
export const OpenReturn = koffi.struct('openvpn_plugin_args_open_return', {
  type_mask: 'int',
  handle: 'void *',
  return_list: 'void *',
});

/** struct openvpn_plugin_args_func_in, passed to openvpn_plugin_func_v3. */
const FuncIn = koffi.struct('openvpn_plugin_args_func_in', {
  type: 'int',
  argv: 'void *',
  envp: 'void *',
  handle: 'void *',
  per_client_context: 'void *',
  current_cert_depth: 'int',
  current_cert: 'void *',
});

/** struct openvpn_plugin_args_func_return, filled by openvpn_plugin_func_v3. */
const FuncReturn = koffi.struct('openvpn_plugin_args_func_return', {
  return_list: 'void *',
});

export const ABI_STRUCTS = {
  string_list: StringList,
  callbacks: Callbacks,
  open_in: OpenIn,
  open_return: OpenReturn,
  func_in: FuncIn,
  func_return: FuncReturn,
} as const;

/** struct ovph_frame of the C runtime (runtime.c: one hook call's arguments, results and copied return list), as
 * indexes into Int32Array (i32) and BigUint64Array (u64) views of it; listBytes is the byte offset of the list.
 * The `in` member is a struct openvpn_plugin_args_func_in at byte 24 (FuncIn's own layout, checked in C). */
export const FRAME = {
  fn: 0, // u64
  id: 2, // i32
  version: 3, // i32
  timeout: 4, // i32 (unsigned in C)
  collect: 5, // i32
  type: 6, // i32: in.type
  argv: 4, // u64: in.argv
  envp: 5, // u64: in.envp
  handle: 6, // u64: in.handle
  perClientContext: 7, // u64: in.per_client_context
  certDepth: 16, // i32: in.current_cert_depth
  cert: 9, // u64: in.current_cert
  returnListSlot: 10, // u64: out.return_list
  list: 11, // u64
  argvGuard: 12, // u64
  envpGuard: 13, // u64
  nodes: 28, // i32
  used: 29, // i32
  cap: 30, // i32
  elapsedNs: 16, // u64 (int64_t in C): how long the entry point ran
  listBytes: 136, // byte offset of the copied list
} as const;
