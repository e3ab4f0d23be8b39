// Parses the client-specific config a client-connect handler returns, as OpenVPN 2.6 imports it (options.c, CLIENT_CONNECT_OPT_MASK).

import { isIPv6 } from 'node:net';
import { OVPN_VERSION } from './constants.js';

/** OPTION_LINE_SIZE: a config line holds at most 255 characters plus the terminating NUL. */
const OPTION_LINE_SIZE = 256;
/** MAX_PARMS: at most 16 tokens per config line; further tokens are silently dropped. */
const MAX_PARMS = 16;

/** One accepted directive. */
interface ClientConfigOption {
  name: string;
  args: string[];
  /** Line number as OpenVPN counts it (1-based, per part). */
  line: number;
  /** Where the text came from (handler label or file name). */
  source?: string;
  /** True for a <name>...</name> inline block. */
  inline?: boolean;
}

/** Same as ClientConfigOption (name used by the client-connect stage). */
export type ParsedOption = ClientConfigOption;

export interface ParsedClientConfig {
  /** Accepted directives, in order. */
  options: ClientConfigOption[];
  /** Messages OpenVPN would log (in its words); the lines they refer to were ignored. None is fatal. */
  warnings: string[];
  /** A `disable` directive was accepted: OpenVPN rejects the client. */
  disabled: boolean;
}

/**
 * How the text reaches OpenVPN:
 * - 'string': a v2 plugin's "config" return value (options_string_import, "[CONFIG-STRING]"): lines are cut by
 *   buf_parse at 255 characters, and the two characters after the cut are lost.
 * - 'file': a v1 plugin's or script's config file (options_server_import -> read_config_file): lines are read by
 *   fgets in chunks of at most 256 characters, nothing is lost; a UTF-8 BOM at the start is skipped.
 */
export type ClientConfigKind = 'string' | 'file';

export interface ParseClientConfigOptions {
  kind?: ClientConfigKind;
  /** The name OpenVPN puts in its messages: "[CONFIG-STRING]" for 'string', the file path for 'file'. */
  fileName?: string;
  /** Label stored in each option's `source` (defaults to fileName). */
  source?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Line splitting (byte-exact, on UTF-8).

/**
 * buffer.c:buf_parse applied until it returns false: split `bytes` at `delim` (and at NUL bytes) into lines of at
 * most size-1 bytes. A longer line is cut after size-1 bytes; the byte at index size-1 and the one after it are
 * consumed and lost; the rest starts a new line. (Measured with the C function itself: a 300-character line gives
 * 255 characters, then characters 257..299.)
 */
export function bufParseLines(bytes: Uint8Array, size = OPTION_LINE_SIZE, delim = 0x0a): Buffer[] {
  const lines: Buffer[] = [];
  let pos = 0;
  for (;;) {
    let eol = false;
    const line: number[] = [];
    let n = 0;
    let c: number;
    do {
      c = pos < bytes.length ? bytes[pos++]! : -1;
      if (c < 0) eol = true;
      if (c <= 0 || c === delim) c = 0;
      if (n >= size) break;
      n++;
      if (c !== 0) line.push(c);
    } while (c !== 0);
    const text = Buffer.from(line.slice(0, size - 1));
    if (eol && text.length === 0) break;
    lines.push(text);
  }
  return lines;
}

/** fgets(line, size, fp) repeated: chunks of at most size-1 bytes, each ending after '\n' when one comes first. */
function fgetsLines(bytes: Uint8Array, size = OPTION_LINE_SIZE + 1): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    let end = pos;
    while (end < bytes.length && end - pos < size - 1) {
      if (bytes[end++] === 0x0a) break;
    }
    out.push(Buffer.from(bytes.subarray(pos, end)));
    pos = end;
  }
  return out;
}

/** The C string view of a byte line: everything up to the first NUL. */
function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul < 0 ? b : b.subarray(0, nul)).toString('utf8');
}

// ---------------------------------------------------------------------------------------------------------------
// Tokenising (options.c:parse_line).

const isSpace = (c: string) => c === '\0' || c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

export interface TokenizeResult {
  tokens: string[];
  /** Set when parse_line fails: the whole line is then ignored. */
  error?: string;
}

/**
 * options.c:parse_line: split a config line into at most `maxTokens` parameters. Double quotes group (backslash
 * escapes inside them), single quotes group literally, a backslash outside single quotes escapes the next
 * character (only '\\', '"' and whitespace may follow it), and '#' or ';' at the start of a token ends the line.
 */
export function tokenizeConfigLine(line: string, fileName = '[CONFIG-STRING]', lineNum = 0, maxTokens = MAX_PARMS): TokenizeResult {
  const INITIAL = 0,
    QUOTED = 1,
    UNQUOTED = 2,
    DONE = 3,
    SQUOTED = 4;
  const tokens: string[] = [];
  let state = INITIAL;
  let backslash = false;
  let parm = '';
  const chars = [...line, '\0'];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    let out = '';
    if (!backslash && ch === '\\' && state !== SQUOTED) {
      backslash = true;
    } else {
      if (state === INITIAL) {
        if (!isSpace(ch)) {
          if (ch === ';' || ch === '#') break; // comment
          if (!backslash && ch === '"') state = QUOTED;
          else if (!backslash && ch === "'") state = SQUOTED;
          else {
            out = ch;
            state = UNQUOTED;
          }
        }
      } else if (state === UNQUOTED) {
        if (!backslash && isSpace(ch)) state = DONE;
        else out = ch;
      } else if (state === QUOTED) {
        if (!backslash && ch === '"') state = DONE;
        else out = ch;
      } else if (state === SQUOTED) {
        if (ch === "'") state = DONE;
        else out = ch;
      }
      if (state === DONE) {
        tokens.push(parm);
        state = INITIAL;
        parm = '';
      }
      if (backslash && out !== '' && out !== '\0') {
        if (!(out === '\\' || out === '"' || isSpace(out))) {
          return {
            tokens: [],
            error:
              `Options warning: Bad backslash ('\\') usage in ${fileName}:${lineNum}: remember that backslashes are treated `
              + `as shell-escapes and if you need to pass backslash characters as part of a Windows filename, you should use `
              + `double backslashes such as "c:\\\\openvpn\\\\static.key"`,
          };
        }
      }
      backslash = false;
    }
    if (out !== '' && out !== '\0') parm += out;
    if (tokens.length >= maxTokens) break;
  }
  if (state === QUOTED) return { tokens: [], error: `Options error: No closing quotation (") in ${fileName}:${lineNum}` };
  if (state === SQUOTED) return { tokens: [], error: `Options error: No closing single quotation (') in ${fileName}:${lineNum}` };
  if (state !== INITIAL) return { tokens: [], error: `Options error: Residual parse state (${state}) in ${fileName}:${lineNum}` };
  return { tokens };
}

/** Quote one token so tokenizeConfigLine gives it back unchanged. */
function quoteConfigToken(token: string): string {
  if (token !== '' && !/[\s"'\\#;]/.test(token)) return token;
  return `"${token.replace(/(["\\])/g, '\\$1')}"`;
}

/** A config line for a directive (inverse of tokenizeConfigLine). */
export function formatConfigLine(name: string, args: readonly string[]): string {
  return [name, ...args].map(quoteConfigToken).join(' ');
}

// ---------------------------------------------------------------------------------------------------------------
// Directives (options.c:add_option under CLIENT_CONNECT_OPT_MASK).

interface Rule {
  min: number;
  max: number;
  /** Accepted in a client-connect config (its permission bit is in CLIENT_CONNECT_OPT_MASK). */
  allowed: boolean;
  /** Value check done by add_option after the permission check; returns OpenVPN's message on failure. */
  check?: (args: string[]) => string | undefined;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function ipv4ToInt(s: string): number {
  return s.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** netmask_to_netbits2: a contiguous mask gives its prefix length, anything else -1. */
function netmaskBits(mask: string): number {
  if (!IPV4.test(mask)) return -1;
  const m = ipv4ToInt(mask);
  for (let bits = 0; bits <= 32; bits++) {
    const expected = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if (m === expected) return bits;
  }
  return -1;
}

/** get_ipv6_addr: "addr[/bits]" (bits default to 64 when absent). */
function ipv6WithBits(s: string): boolean {
  const [addr, bits, extra] = s.split('/');
  if (extra !== undefined || !addr || !isIPv6(addr)) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= 128);
}

const allowed = (min: number, max: number, check?: Rule['check']): Rule => ({ min, max, allowed: true, check });
const forbidden = (min = 0, max = Infinity): Rule => ({ min, max, allowed: false });

const RULES: Record<string, Rule> = {
  // OPT_P_PUSH / OPT_P_INSTANCE
  push: allowed(1, 1, (a) => (a[0]!.includes(',') ? `PUSH OPTION FAILED (illegal comma (',') in string): '${a[0]}'` : undefined)),
  'push-reset': allowed(0, 0),
  'push-remove': allowed(1, 1),
  iroute: allowed(1, 2, (a) => (a[1] !== undefined && netmaskBits(a[1]) < 0 ? `in --iroute ${a[0]} ${a[1]} : Bad network address` : undefined)),
  'iroute-ipv6': allowed(1, 1, (a) => (ipv6WithBits(a[0]!) ? undefined : `in --iroute-ipv6 ${a[0]}: Bad IPv6 prefix specification`)),
  'ifconfig-push': allowed(2, 3, (a) =>
    a.every((x) => IPV4.test(x)) && a.slice(0, 2).every((x) => ipv4ToInt(x) !== 0) ? undefined : 'cannot parse --ifconfig-push addresses',
  ),
  'ifconfig-ipv6-push': allowed(1, 2, (a) =>
    ipv6WithBits(a[0]!) && (a[1] === undefined || isIPv6(a[1])) ? undefined : 'cannot parse --ifconfig-ipv6-push addresses',
  ),
  disable: allowed(0, 0),
  'vlan-pvid': allowed(1, 1),
  cipher: allowed(1, 1),
  'data-ciphers': allowed(1, 1),
  'ncp-ciphers': allowed(1, 1),
  'data-ciphers-fallback': allowed(1, 1),
  // OPT_P_CONFIG
  config: allowed(1, 1),
  // OPT_P_ECHO
  echo: allowed(0, Infinity),
  parameter: allowed(0, Infinity),
  'auth-token': allowed(1, 1),
  'auth-token-user': allowed(1, 1),
  // OPT_P_TIMER
  inactive: allowed(1, 2),
  'session-timeout': allowed(1, 1),
  ping: allowed(1, 1),
  'ping-exit': allowed(1, 1),
  'ping-restart': allowed(1, 1),
  'ping-timer-rem': allowed(0, 0),
  // OPT_P_INHERIT
  'max-routes-per-client': allowed(1, 1),
  // OPT_P_COMP
  'comp-lzo': allowed(0, 1),
  'comp-noadapt': allowed(0, 0),
  compress: allowed(0, 1),
  // OPT_P_SOCKFLAGS
  'socket-flags': allowed(0, Infinity),
  'bind-dev': allowed(1, 1),

  // Known directives whose permission class is not in CLIENT_CONNECT_OPT_MASK.
  setenv: forbidden(1, 2),
  'setenv-safe': forbidden(1, 2),
  route: forbidden(1, 4),
  'route-ipv6': forbidden(1, 3),
  'redirect-gateway': forbidden(),
  'redirect-private': forbidden(),
  'dhcp-option': forbidden(1, 2),
  dns: forbidden(1),
  'route-gateway': forbidden(0, 1),
  'route-metric': forbidden(1, 1),
  topology: forbidden(1, 1),
  ifconfig: forbidden(2, 2),
  'ifconfig-ipv6': forbidden(1, 2),
  'ifconfig-pool': forbidden(2, 3),
  server: forbidden(2, 3),
  'tun-mtu': forbidden(1, 2),
  mssfix: forbidden(0, 2),
  fragment: forbidden(1, 2),
  keepalive: forbidden(2, 2),
  'explicit-exit-notify': forbidden(0, 1),
  'reneg-sec': forbidden(1, 2),
  'hand-window': forbidden(1, 1),
  verb: forbidden(1, 1),
  mute: forbidden(1, 1),
  'script-security': forbidden(1, 1),
  plugin: forbidden(1),
  'client-connect': forbidden(1),
  'client-disconnect': forbidden(1),
  'learn-address': forbidden(1),
  'auth-user-pass-verify': forbidden(1, 2),
  'client-config-dir': forbidden(1, 1),
  'client-to-client': forbidden(0, 0),
  'duplicate-cn': forbidden(0, 0),
  dev: forbidden(1, 1),
  proto: forbidden(1, 1),
  port: forbidden(1, 1),
  local: forbidden(1, 2),
  remote: forbidden(1, 3),
  user: forbidden(1, 1),
  group: forbidden(1, 1),
  'persist-key': forbidden(0, 0),
  'persist-tun': forbidden(0, 0),
  status: forbidden(1, 3),
  log: forbidden(1, 1),
  'log-append': forbidden(1, 1),
  ca: forbidden(1, 1),
  cert: forbidden(1, 1),
  key: forbidden(1, 1),
  dh: forbidden(1, 1),
  'tls-auth': forbidden(1, 2),
  'tls-crypt': forbidden(1, 1),
  'crl-verify': forbidden(1, 2),
  'auth-gen-token': forbidden(0, 4),
  'peer-id': forbidden(1, 1),
};

/**
 * Parse one client-connect config text as OpenVPN 2.6 imports it. Forbidden, unknown or malformed lines produce
 * a warning in OpenVPN's words and are skipped; nothing is fatal. (`config` includes are recorded, not followed.)
 */
export function parseClientConfig(text: string, opts: ParseClientConfigOptions = {}): ParsedClientConfig {
  const kind = opts.kind ?? 'string';
  const fileName = opts.fileName ?? (kind === 'string' ? '[CONFIG-STRING]' : '[CONFIG-FILE]');
  const source = opts.source ?? fileName;
  const result: ParsedClientConfig = { options: [], warnings: [], disabled: false };
  const warn = (message: string) => result.warnings.push(message);
  const optErr = (message: string) => warn(`Options error: ${message}`);

  let bytes = Buffer.from(text, 'utf8');
  let rawLines: Buffer[];
  if (kind === 'string') {
    const nul = bytes.indexOf(0); // the v2 value is a C string
    if (nul >= 0) bytes = bytes.subarray(0, nul);
    rawLines = bufParseLines(bytes);
  } else {
    rawLines = fgetsLines(bytes);
  }

  let lineNum = 0;
  for (let li = 0; li < rawLines.length; li++) {
    let raw = rawLines[li]!;
    ++lineNum;
    if (kind === 'file') {
      if (Buffer.byteLength(cString(raw)) === OPTION_LINE_SIZE) {
        warn(`In ${fileName}:${lineNum}: Maximum option line length (${OPTION_LINE_SIZE}) exceeded, line starts with ${cString(raw)}`);
      }
      if (lineNum === 1 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) raw = raw.subarray(3);
    }
    const { tokens, error } = tokenizeConfigLine(cString(raw), fileName, lineNum);
    if (error) warn(error);
    if (tokens.length === 0) continue;

    // bypass_doubledash
    if (tokens[0]!.startsWith('--')) tokens[0] = tokens[0]!.slice(2);

    // check_inline_file: "<name>" alone on a line starts an inline block ending at "</name>".
    let inline = false;
    const first = tokens[0]!;
    if (tokens.length === 1 && first.length >= 2 && first.startsWith('<') && first.endsWith('>')) {
      const name = first.slice(1, -1);
      const closeTag = `</${name}>`;
      let content = '';
      let found = false;
      while (li + 1 < rawLines.length) {
        const l = cString(rawLines[++li]!);
        ++lineNum;
        if (l.replace(/^[ \t\n\v\f\r]+/, '').startsWith(closeTag)) {
          found = true;
          break;
        }
        // in_src_get appends the newline buf_parse removed (fgets keeps its own).
        content += kind === 'string' && Buffer.byteLength(l) + 1 < OPTION_LINE_SIZE ? `${l}\n` : l;
      }
      if (!found) {
        warn(`ERROR: Endtag ${closeTag} missing (M_FATAL: a real OpenVPN server exits here)`);
        continue;
      }
      tokens.splice(0, 1, name, content);
      inline = true;
    }

    addOption(tokens, lineNum, inline);
  }
  return result;

  function addOption(tokens: string[], line: number, inline: boolean): void {
    let p = tokens;
    let unknownPrefix = 'Options error: ';
    // "setenv opt X ...": X is tried as an option, and being unknown is only a warning.
    if (p[0] === 'setenv' && p[1] === 'opt') {
      p = p.length > 2 ? p.slice(2) : ['setenv opt'];
      unknownPrefix = '';
    }
    const [name, ...args] = p as [string, ...string[]];
    const rule = Object.hasOwn(RULES, name) ? RULES[name] : undefined;
    if (!rule || args.length < rule.min || args.length > rule.max) {
      warn(`${unknownPrefix}Unrecognized option or missing or extra parameter(s) in ${fileName}:${line}: ${name} (${OVPN_VERSION.string})`);
      return;
    }
    if (!rule.allowed) {
      optErr(`option '${name}' cannot be used in this context (${fileName})`);
      return;
    }
    if (inline) {
      optErr(`option '${name}' is not expected to be inline (${fileName}:${line})`);
      return;
    }
    const problem = rule.check?.(args);
    if (problem) {
      optErr(problem);
      return;
    }
    const option: ClientConfigOption = { name, args, line, source };
    result.options.push(option);
    if (name === 'disable') result.disabled = true;
  }
}

/** Several handlers' configs combined, as the server applies them. */
export interface MergedClientConfig extends ParsedClientConfig {
  /** Label of the part whose `disable` rejected the client. Later parts are not applied (OpenVPN stops there). */
  disabledBy?: string;
  /** The last accepted ifconfig-push (it overrides the pool address): [local, remote-netmask, alias?]. */
  ifconfigPush?: string[];
  /** The last accepted ifconfig-ipv6-push arguments. */
  ifconfigIpv6Push?: string[];
  /** The accepted directives as config text, one per line, in application order. */
  text: string;
}

/**
 * Combine the configs of the client-connect handlers in handler order (ccd, plugin v1 file, plugin v2 "config"
 * values, script file). `kind` defaults to 'string'; give 'file' for v1/script config files.
 */
export function mergeConfigs(parts: ReadonlyArray<{ source: string; text: string; kind?: ClientConfigKind; fileName?: string }>): MergedClientConfig {
  const merged: MergedClientConfig = { options: [], warnings: [], disabled: false, text: '' };
  for (const part of parts) {
    const parsed = parseClientConfig(part.text, { kind: part.kind, fileName: part.fileName, source: part.source });
    for (const o of parsed.options) merged.options.push(o);
    for (const w of parsed.warnings) merged.warnings.push(w);
    if (parsed.disabled) {
      merged.disabled = true;
      merged.disabledBy = part.source;
      break;
    }
  }
  for (const o of merged.options) {
    if (o.name === 'ifconfig-push') merged.ifconfigPush = [...o.args];
    if (o.name === 'ifconfig-ipv6-push') merged.ifconfigIpv6Push = [...o.args];
  }
  merged.text = merged.options.map((o) => `${formatConfigLine(o.name, o.args)}\n`).join('');
  return merged;
}
