// The command-line options the commands share: parsers for option values, the common options, and their help.
import { InvalidArgumentError, type Command } from 'commander';
import { PLUGIN_LIBDIR } from '../openvpn/constants.js';
import { tokenizeConfigLine } from '../openvpn/client-config.js';
import { readCertOption } from '../host/client.js';
import { DEFAULT_CALL_TIMEOUT_MS, MAX_CALL_TIMEOUT_MS, MAX_TIMER_MS } from '../host/limits.js';
import type { PluginSpec } from '../protocol/messages.js';
import { UsageError } from './common.js';

export const PLUGIN_ARGUMENT_HELP = `the plugin; it is also argv[0] as given. A bare name that is not a file here is looked up in ${PLUGIN_LIBDIR}, as OpenVPN does`;
export const PLUGIN_ARGS_HELP = "the plugin's arguments, as after the path on a 'plugin' config line (after '--' if they start with '-')";

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Options every command has (commander's camelCase names). */
export interface CommonOptions {
  json?: boolean;
  verbose?: boolean;
  callTimeout: number;
}

/** --call-timeout parser: a positive whole number of milliseconds. */
function parseTimeout(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0 || Number(value) > MAX_CALL_TIMEOUT_MS) {
    throw new InvalidArgumentError(`expected a whole number of milliseconds from 1 to ${MAX_CALL_TIMEOUT_MS} (a day).`);
  }
  return Number(value);
}

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'print one JSON object on stdout (the result, including the log) instead of text')
    .option('-v, --verbose', 'log progress and every plugin log line as it arrives on stderr (pino: JSON lines, pretty on a terminal)')
    .option('--call-timeout <ms>', 'a plugin call that does not return within this time is killed and reported as hung', parseTimeout, DEFAULT_CALL_TIMEOUT_MS);
}

/** A positive number of WHAT (seconds or milliseconds), at most what a timer can wait. */
export function positiveNumber(what: string) {
  const max = what === 'seconds' ? Math.floor(MAX_TIMER_MS / 1000) : MAX_TIMER_MS;
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0) || n > max) throw new InvalidArgumentError(`expected a positive number of ${what}, at most ${max}.`);
    return n;
  };
}

/** "<path> [args...]" as on a `plugin` or `client-connect` config line (OpenVPN's quoting rules); OPTION names the
 * option the value came from in the error. */
export function parseCommandLine(text: string, option: '--plugin' | '--client-connect'): PluginSpec {
  const { tokens, error } = tokenizeConfigLine(text);
  const what = option === '--plugin' ? '<path> [args...]' : '<command> [args...]';
  if (error || tokens.length === 0) throw new UsageError(`bad ${option} value '${text}': expected "${what}"${error ? ` (${error})` : ''}`);
  return { path: tokens[0], args: tokens.slice(1) };
}

/** A --plugin value. */
export const parsePluginLine = (text: string): PluginSpec => parseCommandLine(text, '--plugin');

/** A NAME=VALUE option value (VALUE may be empty); anything else is a usage error naming OPTION. */
export function parseNameValue(text: string, option: '--env' | '--peer-info'): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new UsageError(`bad ${option} value '${text}': expected NAME=VALUE`);
  return [text.slice(0, i), text.slice(i + 1)];
}

/** A --env value. */
export const parseEnvOption = (text: string): [string, string] => parseNameValue(text, '--env');

/** connect's options (commander's camelCase names); load and run read some of them too. */
export interface ConnectCliOptions extends CommonOptions {
  plugin: string[];
  clientConnect?: string;
  env: string[];
  commonName?: string;
  username?: string;
  password?: string;
  cert?: string;
  peerInfo: string[];
  timeout: number;
  handWindow?: number;
  /** Seconds after which a client whose connect still waits on a deferral vanishes (disconnect() mid-deferral). */
  vanishAfter?: number;
  config?: string;
  serverOption: string[];
  pollInterval?: number;
  timing: 'fast' | 'openvpn';
  stage: 'life' | 'client-connect';
  renegotiate?: number;
  renegSec?: number;
  memcheck?: boolean;
}

/** A whole number from MIN to MAX (e.g. how many renegotiations). */
export function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return Number(value);
  };
}

/** Warnings for --env values that look like peer info: they change the hooks' env, but the client does not send
 * them (so, e.g., an IV_SSO there does not make the client announce SSO). */
export function peerInfoInEnvWarnings(env: Record<string, string>, peerInfo: Record<string, string>): string[] {
  return Object.keys(env)
    .filter((k) => /^(IV|UV)_/.test(k) && !(k in peerInfo))
    .map((k) => `warning: --env ${k} sets the hooks' env only; the client does not send it (use --peer-info ${k}=... for that)`);
}

/** --cert: the PEM chain it names (or undefined without it), read before any plugin is loaded; a bad one is a
 * usage error. */
export function certOption(cert: string | undefined): string | undefined {
  try {
    return cert === undefined ? undefined : readCertOption(cert);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
