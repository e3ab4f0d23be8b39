// OpenVPN 2.6 plugin ABI constants (openvpn-plugin.h): hook types, return codes, log flags, versions. No I/O.

export const OPENVPN_PLUGIN_VERSION = 3;
export const OPENVPN_PLUGINv3_STRUCTVER = 5;
export const SSLAPI_OPENSSL = 1;
export const OVPN_VERSION = { string: '2.6.14', major: 2, minor: 6, patch: '.14' } as const;
export const MAX_PLUGINS = 16;
/** The type mask OpenVPN offers at open (every hook type below OPENVPN_PLUGIN_N). */
export const OFFERED_TYPE_MASK = 0xffff;

/** Hook type numbers, by the name used on the command line (OPENVPN_PLUGIN_ prefix dropped). */
export const HOOKS = {
  UP: 0,
  DOWN: 1,
  ROUTE_UP: 2,
  IPCHANGE: 3,
  TLS_VERIFY: 4,
  AUTH_USER_PASS_VERIFY: 5,
  CLIENT_CONNECT: 6,
  CLIENT_DISCONNECT: 7,
  LEARN_ADDRESS: 8,
  CLIENT_CONNECT_V2: 9,
  TLS_FINAL: 10,
  ENABLE_PF: 11,
  ROUTE_PREDOWN: 12,
  CLIENT_CONNECT_DEFER: 13,
  CLIENT_CONNECT_DEFER_V2: 14,
  CLIENT_CRRESPONSE: 15,
} as const;
export type HookName = keyof typeof HOOKS;
export const OPENVPN_PLUGIN_N = 16;

const HOOK_NAMES: string[] = Object.entries(HOOKS)
  .sort((a, b) => a[1] - b[1])
  .map(([name]) => name);

/** Name of a hook type number (e.g. 9 -> CLIENT_CONNECT_V2), or TYPE_<n> for unknown numbers. */
export function hookName(type: number): string {
  return HOOK_NAMES[type] ?? `TYPE_${type}`;
}

/** Parse a hook given by a user: "CLIENT_CONNECT_V2", "OPENVPN_PLUGIN_CLIENT_CONNECT_V2", "client-connect-v2" or "9". */
export function parseHookName(text: string): HookName | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n < OPENVPN_PLUGIN_N ? (HOOK_NAMES[n] as HookName) : undefined;
  }
  const name = t
    .toUpperCase()
    .replace(/-/g, '_')
    .replace(/^OPENVPN_PLUGIN_/, '');
  return name in HOOKS ? (name as HookName) : undefined;
}

/** Hook names registered in a type mask, in type order. */
export function maskToHooks(mask: number): string[] {
  const out: string[] = [];
  for (let t = 0; t < 32; t++) if (mask & (1 << t)) out.push(hookName(t));
  return out;
}

/** Hooks called for one client, with that client's per-client context. */
export const CLIENT_HOOKS: ReadonlySet<HookName> = new Set<HookName>([
  'TLS_VERIFY',
  'AUTH_USER_PASS_VERIFY',
  'TLS_FINAL',
  'CLIENT_CONNECT',
  'CLIENT_CONNECT_V2',
  'CLIENT_CONNECT_DEFER',
  'CLIENT_CONNECT_DEFER_V2',
  'LEARN_ADDRESS',
  'CLIENT_DISCONNECT',
  'CLIENT_CRRESPONSE',
  'IPCHANGE',
]);

export const RETURN = { SUCCESS: 0, ERROR: 1, DEFERRED: 2 } as const;
export type ReturnName = 'SUCCESS' | 'ERROR' | 'DEFERRED';

/** Name of a hook's return code; any other value is shown as its number (OpenVPN treats it as an error). */
export function returnName(code: number): ReturnName | string {
  return code === 0 ? 'SUCCESS' : code === 1 ? 'ERROR' : code === 2 ? 'DEFERRED' : String(code);
}

/** Plugin log flags (openvpn_plugin_log_flags_t). */
export const PLOG = { ERR: 1, WARN: 2, NOTE: 4, DEBUG: 8, ERRNO: 256, NOMUTE: 512 } as const;
export type PluginLogLevel = 'error' | 'warn' | 'note' | 'debug' | 'info' | 'stdout' | 'stderr';

/** OpenVPN's flag precedence: ERR > WARN > NOTE > DEBUG; no level bit is an always-shown message. */
export function logLevelOf(flags: number): PluginLogLevel {
  if (flags & PLOG.ERR) return 'error';
  if (flags & PLOG.WARN) return 'warn';
  if (flags & PLOG.NOTE) return 'note';
  if (flags & PLOG.DEBUG) return 'debug';
  return 'info';
}

/** Entry points OpenVPN looks up in a plugin, in its order. */
export const ENTRY_POINTS = [
  'openvpn_plugin_open_v1',
  'openvpn_plugin_open_v2',
  'openvpn_plugin_open_v3',
  'openvpn_plugin_func_v1',
  'openvpn_plugin_func_v2',
  'openvpn_plugin_func_v3',
  'openvpn_plugin_close_v1',
  'openvpn_plugin_abort_v1',
  'openvpn_plugin_client_constructor_v1',
  'openvpn_plugin_client_destructor_v1',
  'openvpn_plugin_min_version_required_v1',
  'openvpn_plugin_select_initialization_point_v1',
] as const;
export type EntryPointName = (typeof ENTRY_POINTS)[number];

/** Where Debian's openvpn looks for plugins given by a bare name (PLUGIN_LIBDIR). */
export const PLUGIN_LIBDIR = '/usr/lib/x86_64-linux-gnu/openvpn/plugins';

/** The initialization points a plugin can ask to be opened at (openvpn_plugin_select_initialization_point_v1). */
export const INIT_POINT_NAMES: Readonly<Record<number, string>> = {
  1: 'PRE_CONFIG_PARSE',
  2: 'PRE_DAEMON',
  3: 'POST_DAEMON',
  4: 'POST_UID_CHANGE',
};
