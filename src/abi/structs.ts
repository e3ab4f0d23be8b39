// koffi declarations of the v3 ABI structs of openvpn-plugin.h (layouts checked against the real header by test/abi.test.ts).
import koffi from 'koffi';

/** struct openvpn_plugin_string_list: a malloc'd linked list of name/value pairs returned by a plugin. */
export const StringList = koffi.struct('openvpn_plugin_string_list', {
  next: 'void *',
  name: 'void *',
  value: 'void *',
});

/** struct openvpn_plugin_callbacks: five function pointers, all implemented in the C runtime. */
export const Callbacks = koffi.struct('openvpn_plugin_callbacks', {
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
export const FuncIn = koffi.struct('openvpn_plugin_args_func_in', {
  type: 'int',
  argv: 'void *',
  envp: 'void *',
  handle: 'void *',
  per_client_context: 'void *',
  current_cert_depth: 'int',
  current_cert: 'void *',
});

/** struct openvpn_plugin_args_func_return, filled by openvpn_plugin_func_v3. */
export const FuncReturn = koffi.struct('openvpn_plugin_args_func_return', {
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
