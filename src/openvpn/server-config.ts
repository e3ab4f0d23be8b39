// An OpenVPN server config (server.conf) as the host runs it: the config-file syntax (quoting, comments, <inline>
// blocks, `config` includes), then what the host emulates from it: the plugin lines in order, a --client-connect
// script, the server settings plugins see in their env, and the auth timing. Everything else is listed, never dropped
// silently. Pure: files are read through the function the caller passes.
import { tokenizeConfigLine } from './client-config.js';
import type { ServerParams } from './server-env.js';

/** One option line: its tokens and where it stands. */
export interface ConfigLine {
  tokens: string[];
  file: string;
  line: number;
}

/** A problem that makes the config unusable as given (the CLI: exit 2), at FILE:LINE (line 0: the file itself). */
export class ServerConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${message}` : message);
    this.name = 'ServerConfigError';
  }
}

export interface ServerConfig {
  /** `plugin` lines in order: the path and the arguments as written (one argument is split again when loaded). */
  plugins: Array<{ path: string; args: string[]; at: string }>;
  /** `client-connect` command as argv (the config file path is appended when it runs). */
  script?: string[];
  /** The server settings plugins see in their env. */
  server: Partial<ServerParams>;
  /** `hand-window` and `reneg-sec`, in seconds: a deferred auth expires at min(hand-window, reneg-sec / 2). */
  handWindowS?: number;
  renegSec?: number;
  /** Options read but not emulated, each once, with the first place it stands. */
  notEmulated: Array<{ option: string; at: string }>;
}

/** Options that matter to a real server but not to what a plugin sees (keys, sockets, logging, tuning). */
const NO_EFFECT_ON_PLUGINS = new Set([
  'ca',
  'cert',
  'key',
  'dh',
  'tls-auth',
  'tls-crypt',
  'tls-crypt-v2',
  'crl-verify',
  'pkcs12',
  'ecdh-curve',
  'tls-version-min',
  'tls-cipher',
  'tls-ciphersuites',
  'cipher',
  'data-ciphers',
  'data-ciphers-fallback',
  'auth',
  'keepalive',
  'ping',
  'ping-restart',
  'persist-key',
  'persist-tun',
  'status',
  'status-version',
  'log',
  'log-append',
  'verb',
  'mute',
  'user',
  'group',
  'daemon',
  'writepid',
  'explicit-exit-notify',
  'ifconfig-pool-persist',
  'management',
  'client-to-client',
  'max-clients',
  'sndbuf',
  'rcvbuf',
  'txqueuelen',
  'fast-io',
  'mssfix',
  'fragment',
  'compress',
  'comp-lzo',
  'allow-compression',
  'mode',
  'tls-server',
  'remote-cert-tls',
  'verify-client-cert',
  'suppress-timestamps',
  'machine-readable-output',
  'cd',
  'chroot',
  'mlock',
  'nice',
  'multihome',
  'dev-node',
  'route',
  'route-ipv6',
  'push-reset',
]);

const inline = /^<([a-z0-9-]+)>$/i;

/** The option lines of TEXT (FILE for messages), with `config` includes read through READ (relative to DIR). */
function optionLines(text: string, file: string, read: (path: string, from: ConfigLine) => { text: string; file: string }, depth = 0): ConfigLine[] {
  const out: ConfigLine[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const m = inline.exec(raw.trim());
    if (m) {
      // <tag> ... </tag>: inline file content (a key or certificate), skipped as a whole
      const end = lines.findIndex((l, j) => j > i && l.trim().toLowerCase() === `</${m[1]!.toLowerCase()}>`);
      if (end < 0) throw new ServerConfigError(file, i + 1, `<${m[1]}> is not closed by </${m[1]}>`);
      out.push({ tokens: [m[1]!, '[inline]'], file, line: i + 1 });
      i = end;
      continue;
    }
    const { tokens, error } = tokenizeConfigLine(raw, file, i + 1);
    if (error) throw new ServerConfigError(file, i + 1, error);
    if (tokens.length === 0) continue;
    // A leading "--" is allowed in config files, as on the command line
    if (tokens[0]!.startsWith('--')) tokens[0] = tokens[0]!.slice(2);
    const at: ConfigLine = { tokens, file, line: i + 1 };
    if (tokens[0] === 'config') {
      if (depth >= 10) throw new ServerConfigError(file, i + 1, 'config files include each other more than 10 deep');
      if (!tokens[1]) throw new ServerConfigError(file, i + 1, 'config needs a file name');
      const inc = read(tokens[1], at);
      for (const l of optionLines(inc.text, inc.file, read, depth + 1)) out.push(l);
      continue;
    }
    out.push(at);
  }
  return out;
}

function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** A whole number, or a config error naming the option. */
function count(l: ConfigLine, index: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = l.tokens[index];
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ServerConfigError(l.file, l.line, `${l.tokens[0]}: expected a whole number from ${min} to ${max}, got ${text ?? 'nothing'}`);
  }
  return Number(text);
}

/**
 * Read a server config (TEXT from FILE): `read(path, from)` returns an included file's text and its path (relative
 * paths are the caller's to resolve; it throws a ServerConfigError for a missing file). Throws ServerConfigError.
 */
export function parseServerConfig(text: string, file: string, read: (path: string, from: ConfigLine) => { text: string; file: string }): ServerConfig {
  const cfg: ServerConfig = { plugins: [], server: {}, notEmulated: [] };
  const setenv: NonNullable<ServerParams['setenv']> = [];
  let serverNet: { network: number; netmask: string; at: ConfigLine } | undefined;
  let poolAt: ConfigLine | undefined;
  let ifconfigSecond: string | undefined;
  const notEmulated = new Map<string, string>();
  for (const l of optionLines(text, file, read)) {
    const [name, ...args] = l.tokens as [string, ...string[]];
    const where = `${l.file}:${l.line}`;
    const need = (n: number) => {
      if (args.length < n) throw new ServerConfigError(l.file, l.line, `${name} needs ${n} argument${n > 1 ? 's' : ''}`);
    };
    switch (name) {
      case 'plugin':
        need(1);
        cfg.plugins.push({ path: args[0]!, args: args.slice(1), at: where });
        break;
      case 'client-connect':
        need(1);
        // the command is one parameter that OpenVPN splits into argv itself (argv_parse_cmd)
        cfg.script = tokenizeConfigLine(args.join(' ')).tokens;
        break;
      case 'proto': {
        need(1);
        const p = args[0]!;
        if (!/^(udp|tcp)(4|6)?(-server)?$/.test(p)) throw new ServerConfigError(l.file, l.line, `proto: unknown protocol ${p}`);
        cfg.server.proto = p.startsWith('tcp') && !p.endsWith('-server') ? `${p}-server` : p;
        break;
      }
      case 'dev':
        need(1);
        cfg.server.dev = args[0]!;
        if (!cfg.server.devType && /^(tun|tap)/.test(args[0]!)) cfg.server.devType = args[0]!.slice(0, 3) as 'tun' | 'tap';
        break;
      case 'dev-type':
        need(1);
        if (args[0] !== 'tun' && args[0] !== 'tap') throw new ServerConfigError(l.file, l.line, `dev-type: tun or tap, got ${args[0]}`);
        cfg.server.devType = args[0];
        break;
      case 'topology':
        need(1);
        if (!['subnet', 'net30', 'p2p'].includes(args[0]!)) throw new ServerConfigError(l.file, l.line, `topology: subnet, net30 or p2p, got ${args[0]}`);
        cfg.server.topology = args[0] as ServerParams['topology'];
        break;
      case 'server': {
        need(2);
        const network = ipToInt(args[0]!);
        if (network === undefined || ipToInt(args[1]!) === undefined) {
          throw new ServerConfigError(l.file, l.line, `server: expected NETWORK NETMASK, e.g. server 10.8.0.0 255.255.255.0`);
        }
        serverNet = { network, netmask: args[1]!, at: l };
        break;
      }
      case 'ifconfig-pool':
        need(2);
        if (ipToInt(args[0]!) === undefined) throw new ServerConfigError(l.file, l.line, `ifconfig-pool: expected START END [NETMASK], got ${args[0]}`);
        cfg.server.poolStart = args[0]!;
        poolAt = l;
        break;
      case 'ifconfig': {
        need(2);
        if (ipToInt(args[0]!) === undefined || ipToInt(args[1]!) === undefined) {
          throw new ServerConfigError(l.file, l.line, 'ifconfig: expected LOCAL NETMASK (topology subnet) or LOCAL REMOTE');
        }
        cfg.server.ifconfigLocal = args[0]!;
        ifconfigSecond = args[1]!;
        break;
      }
      case 'port':
      case 'lport':
        need(1);
        cfg.server.localPort = count(l, 1, 1, 65535);
        break;
      case 'local':
        need(1);
        cfg.server.local = args[0]!;
        break;
      case 'tun-mtu':
        cfg.server.tunMtu = count(l, 1, 100, 65535);
        break;
      case 'setenv':
      case 'setenv-safe':
        need(1);
        setenv.push({ name: args[0]!, value: args.slice(1).join(' '), safe: name === 'setenv-safe' });
        break;
      case 'keying-material-exporter': {
        need(2);
        if (!args[0]!.startsWith('EXPORTER')) throw new ServerConfigError(l.file, l.line, 'keying-material-exporter: the label must begin with "EXPORTER"');
        cfg.server.keyingMaterialExporter = { label: args[0]!, length: count(l, 2, 16, 4095) };
        break;
      }
      case 'hand-window':
        cfg.handWindowS = count(l, 1, 1);
        break;
      case 'reneg-sec':
        cfg.renegSec = count(l, 1, 0);
        cfg.server.renegSec = cfg.renegSec;
        break;
      case 'client-config-dir':
        need(1);
        cfg.server.clientConfigDir = args[0]!;
        break;
      case 'ccd-exclusive':
        cfg.server.ccdExclusive = true;
        break;
      case 'script-security':
        cfg.server.scriptSecurity = count(l, 1, 0, 3);
        break;
      case 'push':
        need(1);
        cfg.server.push = [...(cfg.server.push ?? []), args[0]!];
        break;
      case 'duplicate-cn':
        cfg.server.duplicateCn = true;
        break;
      case 'auth-gen-token': {
        // auth-gen-token [lifetime] [renewal-time] [external-auth]
        cfg.server.authGenToken = true;
        const external = args.includes('external-auth');
        const nums = l.tokens.filter((t, i) => i > 0 && t !== 'external-auth');
        cfg.server.authGenTokenSettings = {
          lifetimeS: nums.length > 0 ? count(l, 1, 0) : 0,
          ...(nums.length > 1 ? { renewalS: count(l, 2, 1) } : {}),
          externalAuth: external,
        };
        break;
      }
      case 'auth-user-pass-optional':
        cfg.server.authUserPassOptional = true;
        break;
      case 'username-as-common-name':
        cfg.server.usernameAsCommonName = true;
        break;
      default:
        if (!NO_EFFECT_ON_PLUGINS.has(name) && !notEmulated.has(name)) notEmulated.set(name, where);
    }
  }
  if (serverNet && poolAt) {
    throw new ServerConfigError(poolAt.file, poolAt.line, 'ifconfig-pool: server already defines the pool (OpenVPN refuses both)');
  }
  if (ifconfigSecond !== undefined) {
    // subnet (or tap): the second address is the netmask; net30/p2p: the remote end
    if ((cfg.server.topology ?? 'net30') === 'subnet' || cfg.server.devType === 'tap') cfg.server.ifconfigNetmask = ifconfigSecond;
    else cfg.server.ifconfigRemote = ifconfigSecond;
  }
  if (serverNet) {
    const topology = cfg.server.topology ?? 'net30';
    cfg.server.topology = topology;
    cfg.server.ifconfigLocal = intToIp(serverNet.network + 1);
    cfg.server.ifconfigNetmask = serverNet.netmask;
    cfg.server.ifconfigRemote = intToIp(serverNet.network + 2);
  }
  if (setenv.length) cfg.server.setenv = setenv;
  cfg.notEmulated = [...notEmulated].map(([option, at]) => ({ option, at }));
  return cfg;
}
