// Read a server.conf from disk for the host: included files and relative plugin paths are taken from the config's
// own folder (as when OpenVPN runs with --cd there, as Debian's service does); a missing file is file:line.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { PLUGIN_LIBDIR } from '../openvpn/constants.js';
import { type ConfigLine, parseServerConfig, type ServerConfig, ServerConfigError } from '../openvpn/server-config.js';
import type { HostOptions } from './options.js';

/** Largest config file read (a server.conf is a few KB; this keeps /dev/zero or a log file from being read whole). */
const MAX_CONFIG_BYTES = 1024 * 1024;

function readConfigFile(path: string, from?: ConfigLine, shown = path): string {
  const where = (msg: string) => (from ? new ServerConfigError(from.file, from.line, msg) : new ServerConfigError(shown, 0, msg));
  let st;
  try {
    st = statSync(path);
  } catch {
    throw where(`${shown}: no such file`);
  }
  if (!st.isFile()) throw where(`${shown}: not a regular file`);
  if (st.size > MAX_CONFIG_BYTES) throw where(`${shown}: ${st.size} bytes, more than a config file has (at most ${MAX_CONFIG_BYTES})`);
  return readFileSync(path, 'utf8');
}

/** A server config file with its plugin paths resolved; throws ServerConfigError (file:line) when it is unusable. */
function loadServerConfig(path: string): ServerConfig {
  const file = resolve(path);
  const dir = dirname(file);
  const cfg = parseServerConfig(readConfigFile(file, undefined, path), path, (inc, from) => {
    const incPath = isAbsolute(inc) ? inc : join(dir, inc);
    return { text: readConfigFile(incPath, from), file: incPath };
  });
  const ccd = cfg.server.clientConfigDir;
  if (ccd !== undefined && !isAbsolute(ccd)) cfg.server.clientConfigDir = join(dir, ccd);
  // A whole config says what OpenVPN's defaults are: no script below script-security 2, no shared common names
  cfg.server.scriptSecurity ??= 1;
  cfg.server.duplicateCn ??= false;
  for (const p of cfg.plugins) {
    // A bare name is looked up as OpenVPN does (here, then PLUGIN_LIBDIR); a path is relative to the config's folder.
    const local = isAbsolute(p.path) ? p.path : join(dir, p.path);
    const found = existsSync(local) ? local : !p.path.includes('/') && existsSync(join(PLUGIN_LIBDIR, p.path)) ? p.path : undefined;
    if (found === undefined) {
      const [file, line] = p.at.split(/:(?=\d+$)/) as [string, string];
      throw new ServerConfigError(file, Number(line), `plugin ${p.path}: no such file (relative paths are taken from the config's folder)`);
    }
    p.path = found;
  }
  return cfg;
}

/** Server config lines given one by one (`--server-option`, `serverOptions`): the same options as in a file;
 * relative paths are taken from the current directory. */
function parseServerOptions(lines: readonly string[]): ServerConfig {
  const cfg = parseServerConfig(lines.join('\n'), '--server-option', (_path, from) => {
    throw new ServerConfigError(from.file, from.line, 'config includes a file: give it with --config');
  });
  const ccd = cfg.server.clientConfigDir;
  if (ccd !== undefined) cfg.server.clientConfigDir = resolve(ccd);
  return cfg;
}

/** The host options with a `config` file and `serverOptions` lines applied (the lines after the file): their plugins
 * first (then any given), their server settings under the given ones, their script and auth window unless given.
 * NOTES says what they hold that the host does not emulate. */
export function withServerConfig(options: HostOptions): { options: HostOptions; notes: string[] } {
  const parts: Array<{ cfg: ServerConfig; dir: string; label: string }> = [];
  if (options.config !== undefined) parts.push({ cfg: loadServerConfig(options.config), dir: dirname(resolve(options.config)), label: options.config });
  if (options.serverOptions?.length) parts.push({ cfg: parseServerOptions(options.serverOptions), dir: process.cwd(), label: '--server-option' });
  if (parts.length === 0) return { options, notes: [] };
  const notes: string[] = [];
  const plugins: HostOptions['plugins'] = [];
  let server: HostOptions['server'] = {};
  let script: string[] | undefined;
  let handWindowS: number | undefined;
  let renegSec: number | undefined;
  for (const { cfg, dir, label } of parts) {
    for (const p of cfg.plugins) plugins.push({ path: p.path, args: p.args });
    server = { ...server, ...cfg.server };
    if (cfg.script) script = cfg.script[0]!.includes('/') && !isAbsolute(cfg.script[0]!) ? [join(dir, cfg.script[0]!), ...cfg.script.slice(1)] : cfg.script;
    handWindowS = cfg.handWindowS ?? handWindowS;
    renegSec = cfg.renegSec ?? renegSec;
    if (cfg.notEmulated.length > 0) notes.push(`${label}: not emulated, no effect here: ${cfg.notEmulated.map((o) => `${o.option} (${o.at})`).join(', ')}`);
  }
  const window = handWindowS ?? 60;
  const expiry = renegSec ? Math.min(window, renegSec / 2) : window;
  return {
    options: {
      ...options,
      plugins: [...plugins, ...options.plugins],
      server: { ...server, ...options.server },
      script: options.script ?? script,
      handWindowMs: options.handWindowMs ?? (handWindowS !== undefined || renegSec !== undefined ? expiry * 1000 : undefined),
      authPendingCapMs: options.authPendingCapMs ?? Math.max(window, (renegSec ?? 3600) / 2) * 1000,
    },
    notes,
  };
}
