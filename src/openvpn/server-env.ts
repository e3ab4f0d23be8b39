// The env changes an OpenVPN 2.6.14 server makes before each plugin hook (top env, UP/DOWN, one client's life), as in real-env-dump.txt.

import type { AuthGenTokenSettings } from './auth-token.js';
import { randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { HookName } from './constants.js';
import { EnvSet, replaceNonPrintable } from './env-set.js';
import { type CertInfo, defaultCertChain } from './cert-env.js';
import { bufParseLines } from './client-config.js';
import { DEFAULT_PEER_INFO } from './peer-info.js';

// ---------------------------------------------------------------------------------------------------------------
// Parameters.

/** An IP address and port (IPv4, IPv6, or IPv4-mapped IPv6). */
export interface PeerAddress {
  ip: string;
  port: number;
}

/** One --setenv (or --setenv-safe, whose name gets the OPENVPN_ prefix) line of the server config. */
interface SetenvEntry {
  name: string;
  value?: string;
  safe?: boolean;
}

/** The server's configuration, as far as it shows in the env. Defaults match the capture in real-env-dump.txt. */
export interface ServerParams {
  configPath: string;
  verb: number;
  daemon: number;
  daemonLogRedirect: number;
  /** Seconds since the epoch (default: now). */
  daemonStartTime: number;
  /** The pid OpenVPN would report (default: this process). */
  daemonPid: number;
  /** proto_1 as OpenVPN names it: "udp", "tcp-server", "udp6", ... */
  proto: string;
  /** --local (local_1 is absent when undefined). */
  local?: string;
  localPort: string | number;
  /** --remote (absent on a server). */
  remote?: string;
  remotePort: string | number;
  /** --setenv / --setenv-safe lines in config order (tuples are plain --setenv). */
  setenv: Array<SetenvEntry | [string, string]>;
  dev: string;
  devType: 'tun' | 'tap';
  topology: 'subnet' | 'net30' | 'p2p';
  tunMtu: number;
  ifconfigLocal: string;
  /** ifconfig_netmask (tap, or tun with topology subnet). */
  ifconfigNetmask: string;
  /** ifconfig_remote (tun with topology net30/p2p). */
  ifconfigRemote: string;
  /** redirect_gateway set before ROUTE_UP (0 without --redirect-gateway). */
  redirectGateway: number;
  /** Last UP/DOWN argument and script_context: "init", or "restart" after SIGUSR1. */
  scriptContext: 'init' | 'restart';
  /** signal set before ROUTE_PREDOWN/DOWN. */
  signal: string;
  /** --keying-material-exporter LABEL LENGTH: TLS_FINAL gets exported_keying_material (2 x LENGTH hex digits). */
  keyingMaterialExporter?: { label: string; length: number };
  /** --client-config-dir (read before the plugins' client-connect), and --ccd-exclusive (a client without its own
   * file there fails at auth). */
  clientConfigDir?: string;
  ccdExclusive?: boolean;
  /** --script-security (default 1: a --client-connect script is not run). Unset: scripts run (the library's script option). */
  scriptSecurity?: number;
  /** --auth-user-pass-optional: a client without a username is authenticated with empty strings. */
  authUserPassOptional?: boolean;
  /** --username-as-common-name: after a successful (or deferred) auth, common_name is the username. */
  usernameAsCommonName?: boolean;
  /** --push options, in config order: every client gets them (unless its own config has push-reset). */
  push?: string[];
  /** --auth-gen-token: AUTH_USER_PASS_VERIFY gets session_id and session_state. */
  authGenToken?: boolean;
  /** --auth-gen-token's arguments (lifetime, renewal time, external-auth): how a renegotiation treats the token. */
  authGenTokenSettings?: AuthGenTokenSettings;
  /** --reneg-sec: the server renegotiates every so many seconds (also the token renewal time's default). */
  renegSec?: number;
  /** --ifconfig-pool START ...: the first client address (default: the one after the server's). */
  poolStart?: string;
  /** --duplicate-cn. false: a client reaching client-connect ends a connected client with the same common name.
   * Unset (no server config): clients may share a common name. */
  duplicateCn?: boolean;
}

/** The VPN address the server assigns (the ifconfig_pool_* vars). */
export interface PoolAddress {
  remoteIp?: string;
  /** ifconfig_pool_netmask (tap, or tun with topology subnet). */
  netmask?: string;
  /** ifconfig_pool_local_ip (tun with topology net30/p2p); used only when netmask is not given. */
  localIp?: string;
  remoteIp6?: string;
  localIp6?: string;
  ip6Netbits?: number;
}

/** One client's side of things. Defaults match the capture (a 2.6.14 client with --auth-user-pass). */
interface ClientParams {
  /** Where the client's packets come from (untrusted_* at TLS time). */
  untrusted: PeerAddress;
  /** The authenticated address (trusted_*); defaults to `untrusted`. */
  trusted?: PeerAddress;
  /** Client chain by depth (0 = client cert); default: assets/test-pki/chain.pem. */
  certChain: CertInfo[];
  /** Peer info the client sends: raw text ("IV_VER=2.6.14\n...") or name/value pairs. */
  peerInfo: string | Array<[string, string]>;
  /** null = user/pass auth not enabled (no username, password or auth_* files). */
  username: string | null;
  password: string;
  authControlFile: string;
  authPendingFile: string;
  authFailedReasonFile: string;
  pool: PoolAddress;
  /** Instance creation time (time_unix/time_ascii); default daemonStartTime. */
  timeUnix: number;
  clientConnectConfigFile: string;
  clientConnectDeferredFile: string;
  bytesReceived: number;
  bytesSent: number;
  durationSeconds: number;
  /** exported_keying_material for TLS_FINAL (only with --keying-material-exporter). */
  exportedKeyingMaterial?: string;
  /** The text after "CR_RESPONSE," for CLIENT_CRRESPONSE. */
  crresponse: string;
}

/** Everything the simulated life needs, plus options for a single raw hook call. */
export interface LifeParams extends ServerParams, ClientParams {
  /** Hooks the plugin chain registered (undefined = all, as in the capture). Changes what OpenVPN sets. */
  registeredHooks?: readonly HookName[];
  /** User/pass auth enabled (default: AUTH_USER_PASS_VERIFY registered, and a username given). */
  userPassAuth?: boolean;
  /** Directory of the placeholder temp-file names (default /tmp). */
  tmpDir: string;
  /** TLS_VERIFY depth for envForHook (default 0, the client cert; OpenVPN calls the deepest first). */
  certDepth: number;
  /** LEARN_ADDRESS operation for envForHook (default "add"). */
  learnAddressOp: 'add' | 'update' | 'delete';
  /** LEARN_ADDRESS address (default: the pool address). */
  learnAddress?: string;
  /** User overrides applied last, verbatim (--env K=V): see EnvSet.override (in place, or new at the front); null removes. */
  envOverrides?: Record<string, string | null>;
}

/** A temp-file name of OpenVPN's shape: <dir>/openvpn_<prefix>_<32 hex>.tmp (platform_create_temp_file). */
function tempFileName(prefix: string, tmpDir = '/tmp'): string {
  return `${tmpDir.replace(/\/+$/, '') || '/'}/openvpn_${prefix}_${randomBytes(16).toString('hex')}.tmp`;
}

/** Server defaults (a fresh daemon_start_time each call). */
export function defaultServerParams(): ServerParams {
  return {
    configPath: '/etc/openvpn/server/server.conf',
    verb: 4,
    daemon: 0,
    daemonLogRedirect: 0,
    daemonStartTime: Math.floor(Date.now() / 1000),
    daemonPid: process.pid,
    proto: 'udp',
    local: '127.0.0.1',
    localPort: 1194,
    remote: undefined,
    remotePort: 1194,
    setenv: [],
    dev: 'tun0',
    devType: 'tun',
    topology: 'subnet',
    tunMtu: 1500,
    ifconfigLocal: '10.29.41.1',
    ifconfigNetmask: '255.255.255.0',
    ifconfigRemote: '10.29.41.2',
    redirectGateway: 0,
    scriptContext: 'init',
    signal: 'sigterm',
  };
}

/** Fill in every parameter not given. Placeholder temp-file names are random each call. */
function resolveLifeParams(input: Partial<LifeParams> = {}): LifeParams {
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<LifeParams>;
  const server = { ...defaultServerParams(), ...given };
  const tmpDir = given.tmpDir ?? '/tmp';
  const subnet = server.devType === 'tap' || server.topology === 'subnet';
  const untrusted = given.untrusted ?? { ip: '127.0.0.1', port: 36472 };
  return {
    ...server,
    untrusted,
    trusted: given.trusted ?? untrusted,
    certChain: given.certChain ?? defaultCertChain(),
    peerInfo: given.peerInfo ?? DEFAULT_PEER_INFO.map(([k, v]) => [k, v] as [string, string]),
    username: given.username === undefined ? 'labuser' : given.username,
    password: given.password ?? 'labpass',
    authControlFile: given.authControlFile ?? tempFileName('acf', tmpDir),
    authPendingFile: given.authPendingFile ?? tempFileName('apf', tmpDir),
    authFailedReasonFile: given.authFailedReasonFile ?? tempFileName('afr', tmpDir),
    pool: given.pool ?? (subnet ? { remoteIp: '10.29.41.2', netmask: server.ifconfigNetmask } : { remoteIp: '10.29.41.6', localIp: '10.29.41.5' }),
    timeUnix: given.timeUnix ?? server.daemonStartTime,
    clientConnectConfigFile: given.clientConnectConfigFile ?? tempFileName('cc', tmpDir),
    clientConnectDeferredFile: given.clientConnectDeferredFile ?? tempFileName('ccr', tmpDir),
    bytesReceived: given.bytesReceived ?? 4863,
    bytesSent: given.bytesSent ?? 5034,
    durationSeconds: given.durationSeconds ?? 7,
    crresponse: given.crresponse ?? 'response',
    tmpDir,
    certDepth: given.certDepth ?? 0,
    learnAddressOp: given.learnAddressOp ?? 'add',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers OpenVPN uses to set vars.

/** time_string(t, 0, false): local time "YYYY-MM-DD HH:MM:SS". */
export function timeAscii(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const V4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** setenv_sockaddr with SA_IP_PORT: <prefix>_ip (or _ip6), then <prefix>_port unless the port is 0. */
export function setPeerEnv(env: EnvSet, prefix: string, addr: PeerAddress): void {
  const mapped = V4_MAPPED.exec(addr.ip);
  if (mapped) env.set(`${prefix}_ip`, mapped[1]!);
  // (an address without ':' is no IPv6 one: Node's IPv6 pattern costs ~7 ms to compile, on the first client's path)
  else if (addr.ip.includes(':') && isIPv6(addr.ip)) env.set(`${prefix}_ip6`, addr.ip);
  else env.set(`${prefix}_ip`, addr.ip);
  if (addr.port) env.set(`${prefix}_port`, addr.port);
}

/** socket.c:ipchange_fmt / print_sockaddr_ex: "[AF_INET]127.0.0.1 36472" (one argv element). */
export function ipchangeArgument(addr: PeerAddress): string {
  return `${isIPv4(addr.ip) ? '[AF_INET]' : '[AF_INET6]'}${addr.ip} ${addr.port}`;
}

/** The usual --setenv: setenv_str, except the names OpenVPN consumes itself; --setenv-safe prefixes OPENVPN_. */
function applySetenv(env: EnvSet, entry: SetenvEntry | [string, string]): void {
  const e: SetenvEntry = Array.isArray(entry) ? { name: entry[0], value: entry[1] } : entry;
  const value = e.value ?? '';
  if (e.safe) {
    env.set(`OPENVPN_${e.name}`, value);
    return;
  }
  if ((e.name === 'REMOTE_RANDOM_HOSTNAME' || e.name === 'PUSH_PEER_INFO') && e.value === undefined) return;
  if (e.name === 'SERVER_POLL_TIMEOUT' && e.value !== undefined) return;
  if (e.name === 'GENERIC_CONFIG') return;
  env.set(e.name, value);
}

// ---------------------------------------------------------------------------------------------------------------
// Server-level env.

/**
 * The env at plugin open, init point 2 (and the base of every later server env): the top-level env built during
 * option parsing (--setenv lines, then options.c:setenv_settings), copied into the server instance by
 * init.c:do_inherit_env (which reverses it: config ... remote_port_1 oldest first).
 */
export function serverOpenEnv(params: Partial<ServerParams> = {}): EnvSet {
  const s = { ...defaultServerParams(), ...stripUndefined(params) };
  const top = new EnvSet();
  for (const e of s.setenv) applySetenv(top, e);
  top.set('config', s.configPath);
  top.set('verb', s.verb);
  top.set('daemon', s.daemon);
  top.set('daemon_log_redirect', s.daemonLogRedirect);
  top.set('daemon_start_time', s.daemonStartTime);
  top.set('daemon_pid', s.daemonPid);
  top.set('proto_1', s.proto);
  top.set('local_1', s.local);
  top.set('local_port_1', String(s.localPort));
  top.set('remote_1', s.remote);
  top.set('remote_port_1', String(s.remotePort));
  return EnvSet.inherit(top);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Does this tun use ifconfig_remote (net30/p2p) rather than ifconfig_netmask? */
function isTunP2p(s: ServerParams): boolean {
  return s.devType === 'tun' && s.topology !== 'subnet';
}

function upDownArgv(s: ServerParams): string[] {
  return [s.dev, String(s.tunMtu), '0', s.ifconfigLocal, isTunP2p(s) ? s.ifconfigRemote : s.ifconfigNetmask, s.scriptContext];
}

/** Before UP: do_ifconfig_setenv, then run_up_down. Returns UP's argv (after argv[0]). */
function upEnv(env: EnvSet, s: ServerParams): string[] {
  env.set('ifconfig_local', s.ifconfigLocal);
  if (isTunP2p(s)) env.set('ifconfig_remote', s.ifconfigRemote);
  else env.set('ifconfig_netmask', s.ifconfigNetmask);
  env.set('script_context', s.scriptContext);
  env.set('tun_mtu', s.tunMtu);
  env.set('dev', s.dev);
  env.set('dev_type', s.devType);
  return upDownArgv(s);
}

/** Before ROUTE_UP: the route vars (only redirect_gateway here: no routes configured). Returns argv (none). */
function routeUpEnv(env: EnvSet, s: ServerParams): string[] {
  env.set('redirect_gateway', s.redirectGateway);
  return [];
}

/** Before ROUTE_PREDOWN and again before DOWN: run_up_down with a signal and no dev_type. Returns the argv. */
function downEnv(env: EnvSet, s: ServerParams): string[] {
  env.set('signal', s.signal);
  env.set('script_context', s.scriptContext);
  env.set('tun_mtu', s.tunMtu);
  env.set('dev', s.dev);
  return upDownArgv(s);
}

/** The server env after UP and ROUTE_UP: the env every new client instance inherits. */
export function serverUpEnv(params: Partial<ServerParams> = {}): EnvSet {
  const s = { ...defaultServerParams(), ...stripUndefined(params) };
  const env = serverOpenEnv(s);
  upEnv(env, s);
  routeUpEnv(env, s);
  return env;
}

/**
 * The env a plugin's open() gets at an init point: 1 = empty (no env yet), 2 = serverOpenEnv, 3/4 = after the
 * tun device is up (serverUpEnv).
 */
export function envAtInitPoint(point: number, params: Partial<ServerParams> = {}): EnvSet {
  if (point <= 1) return new EnvSet();
  if (point === 2) return serverOpenEnv(params);
  return serverUpEnv(params);
}

// ---------------------------------------------------------------------------------------------------------------
// One client's env, step by step (each step mutates the client's EnvSet and returns the argv of the hook after it).

/** A new client instance's env: env_set_inherit of the server's env (order reversed). */
export function newClientEnv(top: EnvSet): EnvSet {
  return EnvSet.inherit(top);
}

/**
 * ssl_verify.c:verify_cert for one chain cert: common_name (depth 0 only, set first), X509_<d>_* (repeats _1, _2),
 * tls_id, tls_digest, tls_digest_sha256, tls_serial, tls_serial_hex, untrusted_ip, untrusted_port.
 * Returns TLS_VERIFY's argv: [depth, subject].
 */
export function tlsVerifyEnv(env: EnvSet, cert: CertInfo, depth: number, untrusted: PeerAddress): string[] {
  if (depth === 0) env.set('common_name', cert.commonName);
  for (const [key, value] of cert.rdns) env.setIncr(`X509_${depth}_${key}`, value);
  env.set(`tls_id_${depth}`, cert.subject);
  env.set(`tls_digest_${depth}`, cert.digestSha1);
  env.set(`tls_digest_sha256_${depth}`, cert.digestSha256);
  env.set(`tls_serial_${depth}`, cert.serial);
  env.set(`tls_serial_hex_${depth}`, cert.serialHex);
  setPeerEnv(env, 'untrusted', untrusted);
  return [String(depth), cert.subject];
}

/** ssl.c:tls_process at a renegotiation: tls_x509_clear_env removes every X509_* var before the new TLS_VERIFYs. */
export function clearX509Env(env: EnvSet): void {
  env.unsetWhere((name) => name.startsWith('X509_'));
}

/**
 * misc.c:output_peer_info_env: each peer-info line (cut like buf_parse at 255 chars) that is NAME=value with a
 * [A-Za-z0-9_] name and starts with IV_ or UV_ is added verbatim, after replacing in the value every
 * non-printable byte (including UTF-8), whitespace, '$', '(' and '`' with '_'. Returns the rejected lines.
 */
export function peerInfoEnv(env: EnvSet, peerInfo: string | ReadonlyArray<readonly [string, string]>): string[] {
  const text = typeof peerInfo === 'string' ? peerInfo : peerInfo.map(([k, v]) => `${k}=${v}`).join('\n');
  const rejected: string[] = [];
  for (const raw of bufParseLines(Buffer.from(text, 'utf8'))) {
    let end = raw.length;
    while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d)) end--; // chomp
    const bytes = Buffer.from(raw.subarray(0, end));
    let state = 0;
    let ok = true;
    for (let i = 0; i < bytes.length && ok; i++) {
      const c = bytes[i]!;
      if (state < 2) {
        if (c === 0x3d && state === 1) state = 2;
        else if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f) state = 1;
        else ok = false;
      }
      // (the C code falls through into the value case for every byte)
      const printable = c >= 0x20 && c <= 0x7e;
      const space = c === 0x20 || (c >= 0x09 && c <= 0x0d);
      if (ok && (!printable || space || c === 0x24 || c === 0x28 || c === 0x60)) bytes[i] = 0x5f;
    }
    const line = bytes.toString('latin1');
    if (!ok || state !== 2 || !(line.startsWith('IV_') || line.startsWith('UV_'))) {
      rejected.push(raw.toString('utf8'));
      continue;
    }
    const eq = line.indexOf('=');
    env.setRaw(line.slice(0, eq), line.slice(eq + 1));
  }
  return rejected;
}

export interface AuthStep {
  /** Peer info the client sent (IV_* lines); set first, whether or not user/pass auth is enabled. */
  ivVars?: string | ReadonlyArray<readonly [string, string]>;
  /** undefined/null: user/pass auth not enabled, only the peer info is set. */
  username?: string | null;
  password?: string;
  /** Default: the env's current common_name. */
  commonName?: string;
  untrusted: PeerAddress;
  /** A plugin has AUTH_USER_PASS_VERIFY: password and the three control-file names are set for the call. */
  plugin?: boolean;
  authControlFile?: string;
  authPendingFile?: string;
  authFailedReasonFile?: string;
  /** --auth-gen-token: the session's id and state (a client without a token: state Initial). */
  session?: { id: string; state: string };
}

/**
 * key_method_2_read -> verify_user_pass -> verify_user_pass_plugin: peer info, then username, common_name,
 * untrusted_ip, untrusted_port, then (plugin call) password, auth_control_file, auth_pending_file,
 * auth_failed_reason_file. Remove the password after the call with afterAuthEnv. Returns AUTH's argv (none).
 */
export function authEnv(env: EnvSet, a: AuthStep): string[] {
  if (a.ivVars !== undefined) peerInfoEnv(env, a.ivVars);
  if (a.username === undefined || a.username === null) return [];
  env.set('username', replaceNonPrintable(a.username));
  env.set('common_name', a.commonName ?? env.get('common_name'));
  setPeerEnv(env, 'untrusted', a.untrusted);
  if (a.session) {
    env.set('session_state', a.session.state);
    env.set('session_id', a.session.id);
  }
  if (a.plugin !== false) {
    env.set('password', replaceNonPrintable(a.password ?? ''));
    env.set('auth_control_file', a.authControlFile ?? tempFileName('acf'));
    env.set('auth_pending_file', a.authPendingFile ?? tempFileName('apf'));
    env.set('auth_failed_reason_file', a.authFailedReasonFile ?? tempFileName('afr'));
  }
  return [];
}

/** After the AUTH_USER_PASS_VERIFY plugin call: setenv_del(password). The auth_* names stay (stale). */
export function afterAuthEnv(env: EnvSet): void {
  env.unset('password');
}

/** Before TLS_FINAL: exported_keying_material only with --keying-material-exporter. Returns argv (none). */
export function tlsFinalEnv(env: EnvSet, opts: { exportedKeyingMaterial?: string } = {}): string[] {
  if (opts.exportedKeyingMaterial !== undefined) env.set('exported_keying_material', opts.exportedKeyingMaterial);
  return [];
}

/** After TLS_FINAL: exported_keying_material is removed again. */
export function afterTlsFinalEnv(env: EnvSet): void {
  env.unset('exported_keying_material');
}

/** Before CLIENT_CRRESPONSE: crresponse (for this call only). Returns argv (none). */
function crResponseEnv(env: EnvSet, response: string): string[] {
  env.set('crresponse', response);
  return [];
}

/**
 * socket.c:link_socket_connection_initiated (first authenticated packet): trusted_ip, trusted_port, common_name.
 * Returns IPCHANGE's argv: one element "[AF_INET]ip port".
 */
export function ipchangeEnv(env: EnvSet, trusted: PeerAddress, commonName?: string): string[] {
  setPeerEnv(env, 'trusted', trusted);
  env.set('common_name', commonName ?? env.get('common_name'));
  return [ipchangeArgument(trusted)];
}

/** multi.c:multi_set_virtual_addr_env: delete all ifconfig_pool_* vars, then set remote_ip, netmask|local_ip, IPv6. */
function setPoolEnv(env: EnvSet, pool: PoolAddress): void {
  for (const n of [
    'ifconfig_pool_local_ip',
    'ifconfig_pool_netmask',
    'ifconfig_pool_remote_ip',
    'ifconfig_pool_local_ip6',
    'ifconfig_pool_remote_ip6',
    'ifconfig_pool_ip6_netbits',
  ]) {
    env.unset(n);
  }
  if (pool.remoteIp) {
    env.set('ifconfig_pool_remote_ip', pool.remoteIp);
    if (pool.netmask) env.set('ifconfig_pool_netmask', pool.netmask);
    else if (pool.localIp) env.set('ifconfig_pool_local_ip', pool.localIp);
  }
  if (pool.remoteIp6) {
    env.set('ifconfig_pool_remote_ip6', pool.remoteIp6);
    if (pool.localIp6) env.set('ifconfig_pool_local_ip6', pool.localIp6);
    env.set('ifconfig_pool_ip6_netbits', pool.ip6Netbits ?? 64);
  }
}

/** The pool address currently in the env (to re-set it unchanged). */
function poolFromEnv(env: EnvSet): PoolAddress {
  const bits = env.get('ifconfig_pool_ip6_netbits');
  return {
    remoteIp: env.get('ifconfig_pool_remote_ip'),
    netmask: env.get('ifconfig_pool_netmask'),
    localIp: env.get('ifconfig_pool_local_ip'),
    remoteIp6: env.get('ifconfig_pool_remote_ip6'),
    localIp6: env.get('ifconfig_pool_local_ip6'),
    ip6Netbits: bits === undefined ? undefined : Number(bits),
  };
}

export interface ClientConnectStep {
  commonName?: string;
  trusted: PeerAddress;
  pool: PoolAddress;
  timeUnix: number;
  /** client_connect_config_file / client_connect_deferred_file (the v1 handler's cc/ccr files). */
  configFile?: string;
  deferredFile?: string;
  /** A plugin has CLIENT_CONNECT (the v1 handler runs and creates the two files). Default true. */
  v1?: boolean;
}

/**
 * multi.c:multi_client_connect_setenv (common_name, trusted_*, ifconfig_pool_*, time_ascii, time_unix), then the
 * v1 handler's ccs_gen_config_file / ccs_gen_deferred_ret_file. Returns CLIENT_CONNECT's argv: [config file].
 */
export function clientConnectEnv(env: EnvSet, c: ClientConnectStep): string[] {
  env.set('common_name', c.commonName ?? env.get('common_name'));
  setPeerEnv(env, 'trusted', c.trusted);
  setPoolEnv(env, c.pool);
  env.set('time_ascii', timeAscii(c.timeUnix));
  env.set('time_unix', c.timeUnix);
  if (c.v1 === false) return [];
  const configFile = c.configFile ?? tempFileName('cc');
  env.set('client_connect_config_file', configFile);
  env.set('client_connect_deferred_file', c.deferredFile ?? tempFileName('ccr'));
  return [configFile];
}

/**
 * After the v1 handler finished (not deferred): the two client_connect_* vars are deleted and, if the config file
 * still exists, the pool address is re-selected and its env re-set (moving it to the front). `pool` overrides
 * the address (e.g. after an ifconfig-push in the imported config).
 */
export function afterClientConnectV1(env: EnvSet, opts: { pool?: PoolAddress; configFileExists?: boolean } = {}): void {
  const pool = opts.pool ?? poolFromEnv(env);
  env.unset('client_connect_config_file');
  env.unset('client_connect_deferred_file');
  if (opts.configFileExists !== false) setPoolEnv(env, pool);
}

/** After a successful CLIENT_CONNECT_V2 round: the pool address env is re-set (multi_client_connect_post_plugin). */
function afterClientConnectV2(env: EnvSet, opts: { pool?: PoolAddress } = {}): void {
  setPoolEnv(env, opts.pool ?? poolFromEnv(env));
}

/**
 * LEARN_ADDRESS argv: add/update get [op, address, common name ("UNDEF" if none)]; delete gets [op, address] and
 * is called with an EMPTY env and the server's context. The client env is not changed.
 */
export function learnAddressEnv(env: EnvSet, l: { op: 'add' | 'update' | 'delete'; address: string; commonName?: string }): string[] {
  if (l.op === 'delete') return [l.op, l.address];
  return [l.op, l.address, l.commonName ?? env.get('common_name') ?? 'UNDEF'];
}

/** multi.c:multi_client_disconnect_setenv: trusted_ip, trusted_port, bytes_received, bytes_sent, time_duration. */
export function clientDisconnectEnv(env: EnvSet, d: { trusted: PeerAddress; bytesReceived: number; bytesSent: number; durationSeconds: number }): string[] {
  setPeerEnv(env, 'trusted', d.trusted);
  env.set('bytes_received', d.bytesReceived);
  env.set('bytes_sent', d.bytesSent);
  env.set('time_duration', d.durationSeconds);
  return [];
}

// ---------------------------------------------------------------------------------------------------------------
// The whole life of the first client, and a single hook's inputs.

/** What OpenVPN passes to one hook call. */
export interface HookCall {
  hook: HookName;
  /** argv after argv[0] (OpenVPN puts the plugin path first). */
  argv: string[];
  env: EnvSet;
  /** current_cert_depth for func_v3: the TLS_VERIFY depth, else -1 (current_cert NULL). */
  certDepth: number;
  /** TLS_VERIFY only: the cert at certDepth (its DER becomes current_cert). */
  cert?: CertInfo;
  /** Which per-client context OpenVPN passes: the server's own ("generic") one or the client's. */
  context: 'server' | 'client';
  note?: string;
}

interface Life {
  calls: HookCall[];
  crresponse: HookCall;
  serverEnv: EnvSet;
}

function simulate(p: LifeParams): Life {
  const calls: HookCall[] = [];
  const registered = (h: HookName) => !p.registeredHooks || p.registeredHooks.includes(h);
  const snapshot = (hook: HookName, argv: string[], env: EnvSet, context: HookCall['context'], extra: Partial<HookCall> = {}): HookCall => ({
    hook,
    argv,
    env: env.clone(),
    certDepth: -1,
    context,
    ...extra,
  });
  const record = (call: HookCall) => {
    if (registered(call.hook)) calls.push(call);
  };

  // Server start.
  const server = serverOpenEnv(p);
  record(snapshot('UP', upEnv(server, p), server, 'server'));
  record(snapshot('ROUTE_UP', routeUpEnv(server, p), server, 'server'));
  const serverEnv = server.clone();

  // The client: TLS handshake (deepest cert first), key method 2 (auth, TLS_FINAL), connection, client-connect.
  const client = newClientEnv(server);
  for (let d = p.certChain.length - 1; d >= 0; d--) {
    const cert = p.certChain[d]!;
    record(snapshot('TLS_VERIFY', tlsVerifyEnv(client, cert, d, p.untrusted), client, 'client', { certDepth: d, cert }));
  }
  const commonName = p.certChain[0]?.commonName;
  const userPass = (p.userPassAuth ?? registered('AUTH_USER_PASS_VERIFY')) && p.username !== null;
  const authArgv = authEnv(client, {
    ivVars: p.peerInfo,
    username: userPass ? p.username : null,
    password: p.password,
    untrusted: p.untrusted,
    plugin: registered('AUTH_USER_PASS_VERIFY'),
    authControlFile: p.authControlFile,
    authPendingFile: p.authPendingFile,
    authFailedReasonFile: p.authFailedReasonFile,
  });
  record(snapshot('AUTH_USER_PASS_VERIFY', authArgv, client, 'client'));
  afterAuthEnv(client);
  record(snapshot('TLS_FINAL', tlsFinalEnv(client, { exportedKeyingMaterial: p.exportedKeyingMaterial }), client, 'client'));
  afterTlsFinalEnv(client);
  const crClient = client.clone();
  const crresponse = snapshot('CLIENT_CRRESPONSE', crResponseEnv(crClient, p.crresponse), crClient, 'client');

  const trusted = p.trusted ?? p.untrusted;
  const tcp = p.proto.startsWith('tcp');
  record(snapshot('IPCHANGE', ipchangeEnv(client, trusted, commonName), client, tcp ? 'client' : 'server'));

  const v1 = registered('CLIENT_CONNECT');
  const ccArgv = clientConnectEnv(client, {
    commonName,
    trusted,
    pool: p.pool,
    timeUnix: p.timeUnix,
    configFile: p.clientConnectConfigFile,
    deferredFile: p.clientConnectDeferredFile,
    v1,
  });
  record(snapshot('CLIENT_CONNECT', ccArgv, client, 'client'));
  if (v1) afterClientConnectV1(client);
  record(snapshot('CLIENT_CONNECT_V2', [], client, 'client'));
  if (registered('CLIENT_CONNECT_V2')) afterClientConnectV2(client);
  const address = p.learnAddress ?? p.pool.remoteIp ?? p.pool.remoteIp6 ?? '';
  const laOp = p.learnAddressOp === 'update' ? 'update' : 'add';
  record(snapshot('LEARN_ADDRESS', learnAddressEnv(client, { op: laOp, address, commonName }), client, 'client'));

  // Disconnect, the lazy route delete, server shutdown.
  record(
    snapshot(
      'CLIENT_DISCONNECT',
      clientDisconnectEnv(client, { trusted, bytesReceived: p.bytesReceived, bytesSent: p.bytesSent, durationSeconds: p.durationSeconds }),
      client,
      'client',
    ),
  );
  record(snapshot('LEARN_ADDRESS', learnAddressEnv(client, { op: 'delete', address }), new EnvSet(), 'server'));
  record(snapshot('ROUTE_PREDOWN', downEnv(server, p), server, 'server'));
  record(snapshot('DOWN', downEnv(server, p), server, 'server'));
  return { calls, crresponse, serverEnv };
}

/**
 * Every hook call OpenVPN 2.6.14 makes while one client connects, disconnects and the server stops, in order
 * (the sequence of real-env-dump.txt): UP, ROUTE_UP, TLS_VERIFY per depth (deepest first), AUTH_USER_PASS_VERIFY,
 * TLS_FINAL, IPCHANGE, CLIENT_CONNECT, CLIENT_CONNECT_V2, LEARN_ADDRESS add, CLIENT_DISCONNECT, LEARN_ADDRESS
 * delete, ROUTE_PREDOWN, DOWN. With `registeredHooks`, only those hooks are listed and OpenVPN's env differs
 * accordingly (no password/auth files without an AUTH plugin, no client_connect_* handling without a v1 plugin).
 */
export function firstClientLife(params: Partial<LifeParams> = {}): HookCall[] {
  return simulate(resolveLifeParams(params)).calls;
}

/**
 * argv (after argv[0]) and env for ONE standalone call of `hook`, as OpenVPN 2.6.14 would pass them for the first
 * client (the life above run up to that hook). TLS_VERIFY uses params.certDepth (default 0), LEARN_ADDRESS
 * params.learnAddressOp (default add), CLIENT_CONNECT_DEFER(_V2) the env of CLIENT_CONNECT(_V2). params.envOverrides
 * are applied last, verbatim.
 */
export function envForHook(hook: HookName, params: Partial<LifeParams> = {}): HookCall {
  const p = resolveLifeParams(params);
  if (p.registeredHooks) {
    const extra: HookName[] = [hook];
    if (hook === 'CLIENT_CONNECT_DEFER') extra.push('CLIENT_CONNECT');
    if (hook === 'CLIENT_CONNECT_DEFER_V2') extra.push('CLIENT_CONNECT_V2');
    p.registeredHooks = [...new Set([...p.registeredHooks, ...extra])];
  }
  const life = simulate(p);
  const find = (h: HookName, pred: (c: HookCall) => boolean = () => true) => {
    const c = life.calls.find((x) => x.hook === h && pred(x));
    if (!c) throw new Error(`no ${h} call in the simulated life`);
    return c;
  };
  let call: HookCall;
  switch (hook) {
    case 'TLS_VERIFY':
      if (p.certDepth < 0 || p.certDepth >= p.certChain.length)
        throw new RangeError(`certDepth ${p.certDepth} is outside the chain (0..${p.certChain.length - 1})`);
      call = find('TLS_VERIFY', (c) => c.certDepth === p.certDepth);
      break;
    case 'LEARN_ADDRESS':
      call = find('LEARN_ADDRESS', (c) => (p.learnAddressOp === 'delete' ? c.argv[0] === 'delete' : c.argv[0] !== 'delete'));
      break;
    case 'CLIENT_CONNECT_DEFER':
      call = { ...find('CLIENT_CONNECT'), hook };
      break;
    case 'CLIENT_CONNECT_DEFER_V2':
      call = { ...find('CLIENT_CONNECT_V2'), hook };
      break;
    case 'CLIENT_CRRESPONSE':
      call = life.crresponse;
      break;
    case 'ENABLE_PF':
      call = {
        hook,
        argv: [],
        env: life.serverEnv.clone(),
        certDepth: -1,
        context: 'server',
        note: 'OpenVPN 2.6 never calls ENABLE_PF (packet filtering was removed); this is the server env',
      };
      break;
    default:
      call = find(hook);
  }
  const env = call.env.clone();
  for (const [name, value] of Object.entries(params.envOverrides ?? {})) {
    if (value === null) env.unset(name);
    else env.override(name, value);
  }
  return { ...call, argv: [...call.argv], env };
}
