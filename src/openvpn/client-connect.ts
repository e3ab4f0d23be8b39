// OpenVPN 2.6's client-connect chain as a state machine: plugin v1 (file method), plugin v2 (DEFER_V2), script; no I/O here.
import { configDisables } from './config-disable.js';
import { HOOKS, RETURN, returnName } from './constants.js';
import { StepLog } from './step-log.js';

/** What a deferred-result file ("ccr", client_connect_deferred_file) holds, by its first byte. */
export type FileByte = { kind: 'missing' } | { kind: 'empty' } | { kind: 'byte'; byte: string };

export interface ChainOutcome {
  status: number;
  /** No plugin registered the hook (nothing was called). */
  undefinedHook: boolean;
  calls: Array<{ plugin: string; called: boolean; returnCode: number; config?: string; ms: number }>;
}

/** The I/O the state machine needs; the worker implements it with real plugins, files and processes. */
export interface ClientConnectIO {
  /** Whether any plugin registered TYPE (OpenVPN's plugin_defined). */
  defines(type: number): boolean;
  callChain(type: number, argv: string[], env: string[], collectReturnList: boolean): ChainOutcome;
  /** Run the script to its end (synchronously: OpenVPN's server waits for it too). */
  runScript(argv: string[], env: string[]): { exitCode: number | null; signal: string | null; note?: string };
  /** Create an empty 0600 file named like OpenVPN's temp files (prefix cc / ccr). */
  createFile(prefix: 'cc' | 'ccr'): string;
  firstByte(path: string): FileByte;
  readText(path: string): string | undefined;
  remove(path: string): void;
  /** Start/stop noticing writes to a file (a write triggers an early re-check). */
  watch?(path: string): void;
  unwatch?(path: string): void;
}

/** A handler of the chain; 'client-disconnect' is the CLIENT_DISCONNECT OpenVPN calls after a failed chain. */
export type Handler = 'ccd' | 'plugin-v1' | 'plugin-v2' | 'script' | 'client-disconnect';
export type HandlerResult = 'succeeded' | 'deferred' | 'failed' | 'skipped';

export interface Step {
  handler: Handler;
  /** Hook called (CLIENT_CONNECT, CLIENT_CONNECT_DEFER, CLIENT_CONNECT_V2, CLIENT_CONNECT_DEFER_V2) or "script". */
  hook: string;
  /** Per plugin that was called: its path and return code (plugin handlers). */
  calls?: Array<{ plugin: string; returnCode: number; returnName: string; ms: number }>;
  /** Combined chain status (plugin handlers). */
  status?: number;
  exitCode?: number | null;
  /** First byte of client_connect_deferred_file after the call (v1 and script). */
  deferredFile?: string;
  result: HandlerResult;
  /** Why a handler failed, in OpenVPN's words where it has some. */
  note?: string;
  /** Milliseconds since the run started, and the call's duration. */
  t: number;
  ms: number;
}

export interface ConfigPart {
  source: string;
  text: string;
  /** A config file (plugin v1, script) or a v2 "config" string: OpenVPN reads them differently. */
  kind: 'file' | 'string';
}

export type RunState =
  | { state: 'deferred'; pending: string }
  | { state: 'accepted'; config: ConfigPart[] }
  | { state: 'rejected'; reason: string; config: ConfigPart[] };

export interface ClientConnectSetup {
  /** The client's env at client-connect (newest first), without client_connect_* and script_type. */
  env: string[];
  /** --client-connect command split into argv (the config file path is appended), if any. */
  script?: string[];
  /** --client-config-dir: the client's file (named after its common name, else DEFAULT) is read first. */
  clientConfigDir?: string;
  /** --script-security below 2: the script is not run, and its handler fails. */
  scriptsForbidden?: boolean;
  now: () => number;
}

function describeByte(b: FileByte): string {
  return b.kind === 'byte' ? JSON.stringify(b.byte) : b.kind;
}

/** The ccd file name for a common name, or undefined when OpenVPN would not build a path from it (a name that would
 * leave the directory). */
export function ccdFileName(cn: string | undefined): string | undefined {
  if (!cn || cn === '.' || cn === '..' || cn.includes('/') || cn.includes('\0')) return undefined;
  return cn;
}

/** Set NAME=VALUE the way OpenVPN's env_set does: the old entry goes, the new one is first. */
export function envSet(env: string[], name: string, value: string): string[] {
  return [`${name}=${value}`, ...env.filter((e) => !e.startsWith(`${name}=`))];
}

function envUnset(env: string[], name: string): string[] {
  return env.filter((e) => !e.startsWith(`${name}=`));
}

/** Variables OpenVPN sets again (newest first) after every handler that succeeds: the client's VPN address. */
const POOL_VARS = ['ifconfig_pool_local_ip', 'ifconfig_pool_remote_ip', 'ifconfig_pool_netmask'] as const;

/** Re-set the ifconfig_pool_* vars as OpenVPN does after a successful handler; an `ifconfig-push` in the
 * imported config changes the address (subnet topology: remote ip and netmask). */
function refreshPoolEnv(env: string[], configTexts: readonly string[]): string[] {
  const current = new Map(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as const));
  for (const text of configTexts) {
    for (const line of text.split('\n')) {
      const m = /^\s*ifconfig-push\s+(\S+)\s+(\S+)/.exec(line);
      if (!m) continue;
      if (current.has('ifconfig_pool_local_ip')) {
        current.set('ifconfig_pool_remote_ip', m[1]);
        current.set('ifconfig_pool_local_ip', m[2]);
      } else {
        current.set('ifconfig_pool_remote_ip', m[1]);
        current.set('ifconfig_pool_netmask', m[2]);
      }
    }
  }
  let out = env;
  for (const name of POOL_VARS) {
    const value = current.get(name);
    if (value !== undefined && env.some((e) => e.startsWith(`${name}=`))) out = envSet(out, name, value);
  }
  return out;
}

/** multi_client_connect_setenv's variables, in the order it sets them: common_name, trusted_*, the pool address
 * (multi_set_virtual_addr_env), then time_ascii and time_unix. */
const CLIENT_CONNECT_VARS = [
  'common_name',
  'trusted_ip',
  'trusted_ip6',
  'trusted_port',
  'ifconfig_pool_remote_ip',
  'ifconfig_pool_netmask',
  'ifconfig_pool_local_ip',
  'ifconfig_pool_remote_ip6',
  'ifconfig_pool_local_ip6',
  'ifconfig_pool_ip6_netbits',
  'time_ascii',
  'time_unix',
] as const;

/** Set the client-connect variables the env has again, in multi_client_connect_setenv's order (each moves to the
 * front, as env_set does), keeping their values. */
function setClientConnectEnvAgain(env: string[]): string[] {
  let out = env;
  for (const name of CLIENT_CONNECT_VARS) {
    const entry = out.find((e) => e.startsWith(`${name}=`));
    if (entry !== undefined) out = envSet(out, name, entry.slice(name.length + 1));
  }
  return out;
}

/**
 * One client's client-connect stage. Call `advance()` once, then again on every re-check while the
 * state is 'deferred'; a deferred handler is re-entered (the resumed call), later ones start fresh.
 * `cleanup()` deletes the temp files of a run that never finished (timeout, crash, Ctrl-C).
 */
export class ClientConnectRun {
  private readonly stepLog = new StepLog<Step>();
  readonly config: ConfigPart[] = [];
  polls = 0;
  deferred = false;
  private env: string[];
  private index = 0;
  private resumed = false;
  private files: { config: string; result: string } | undefined;
  private readonly handlers: Handler[] = ['ccd', 'plugin-v1', 'plugin-v2', 'script'];
  private readonly t0: number;
  private finished: RunState | undefined;
  private pendingText = '';

  constructor(
    private readonly io: ClientConnectIO,
    private readonly setup: ClientConnectSetup,
  ) {
    this.env = [...setup.env];
    this.t0 = setup.now();
  }

  /** The steps so far, in order (one per handler call and re-check). */
  get steps(): Step[] {
    return this.stepLog.toArray();
  }

  get state(): RunState | undefined {
    return this.finished;
  }

  /** What the run is waiting on, in words (for progress and timeouts). */
  get pending(): string {
    return this.pendingText;
  }

  /** While a v1 plugin or the script defers: its client_connect_deferred_file, whose first byte decides. */
  get resultFile(): string | undefined {
    return this.deferred && !this.finished ? this.files?.result : undefined;
  }

  /** Run handlers until one defers or the chain ends. Synchronous, like OpenVPN's: no other client's hook can
   * run between the handlers of one pass. */
  advance(): RunState {
    if (this.finished) return this.finished;
    if (this.resumed) this.polls++;
    while (this.index < this.handlers.length) {
      const handler = this.handlers[this.index];
      const resumed = this.resumed;
      this.resumed = false;
      const { result, config, note } = this.runHandler(handler, resumed);
      if (result === 'deferred') {
        this.deferred = true;
        this.resumed = true;
        return { state: 'deferred', pending: this.pendingText };
      }
      if (result === 'failed') return this.finish({ state: 'rejected', reason: note ?? `${handler} failed`, config: this.config });
      if (result === 'succeeded') {
        const texts = (config ?? []).map((c) => c.text);
        // source_ccd sets the whole client-connect env again (multi_client_connect_setenv); the others the pool vars
        this.env = handler === 'ccd' ? setClientConnectEnvAgain(refreshPoolEnv(this.env, texts)) : refreshPoolEnv(this.env, texts);
      }
      if (result === 'succeeded' && config !== undefined) {
        for (const c of config) this.config.push(c);
        if (config.some((c) => configDisables(c.text))) {
          return this.finish({ state: 'rejected', reason: "client has been rejected due to 'disable' directive", config: this.config });
        }
      }
      this.index++;
    }
    return this.finish({ state: 'accepted', config: this.config });
  }

  private finish(s: RunState): RunState {
    this.finished = s;
    this.pendingText = '';
    return s;
  }

  /** The temp files of a run not yet finished (the client-connect config and deferred-result files), if any. */
  get openFiles(): string[] {
    return this.files ? [this.files.config, this.files.result] : [];
  }

  /** Delete temp files left by an unfinished run. */
  cleanup(): void {
    this.dropFiles();
  }

  /** The env as the next hook would see it. */
  currentEnv(): string[] {
    return [...this.env];
  }

  private record(step: Omit<Step, 't'>, started: number): void {
    this.stepLog.add(step, started - this.t0);
  }

  /** --client-config-dir (multi.c source_ccd): the file named after the client's common name, else DEFAULT; never
   * defers, never fails (ccd-exclusive is checked at auth). */
  private clientConfigDir(): { result: HandlerResult; config?: ConfigPart[] } {
    const dir = this.setup.clientConfigDir;
    if (dir === undefined) return { result: 'skipped' };
    const cn = this.env.find((e) => e.startsWith('common_name='))?.slice('common_name='.length);
    for (const name of [ccdFileName(cn), 'DEFAULT']) {
      if (name === undefined) continue;
      const text = this.io.readText(`${dir}/${name}`);
      if (text !== undefined) {
        this.record({ handler: 'ccd', hook: 'client-config-dir', result: 'succeeded', note: `${dir}/${name}`, ms: 0 }, this.setup.now());
        return { result: 'succeeded', config: [{ source: `ccd/${name}`, text, kind: 'file' }] };
      }
    }
    return { result: 'skipped' };
  }

  private runHandler(handler: Handler, resumed: boolean): { result: HandlerResult; config?: ConfigPart[]; note?: string } {
    switch (handler) {
      case 'ccd':
        return this.clientConfigDir();
      case 'plugin-v1':
        return this.pluginV1(resumed);
      case 'plugin-v2':
        return this.pluginV2(resumed);
      case 'script':
        return this.script(resumed);
      default:
        return { result: 'skipped' };
    }
  }

  private makeFiles(): { config: string; result: string } {
    const config = this.io.createFile('cc');
    const result = this.io.createFile('ccr');
    this.files = { config, result };
    this.env = envSet(this.env, 'client_connect_config_file', config);
    this.env = envSet(this.env, 'client_connect_deferred_file', result);
    this.io.watch?.(result);
    return this.files;
  }

  private dropFiles(): void {
    if (!this.files) return;
    this.io.unwatch?.(this.files.result);
    this.io.remove(this.files.config);
    this.io.remove(this.files.result);
    this.files = undefined;
    this.env = envUnset(envUnset(this.env, 'client_connect_config_file'), 'client_connect_deferred_file');
  }

  private importConfigFile(source: string): ConfigPart[] {
    const text = this.files ? this.io.readText(this.files.config) : undefined;
    return text ? [{ source, text, kind: 'file' }] : [];
  }

  private chainCalls(r: ChainOutcome) {
    return r.calls.filter((c) => c.called).map((c) => ({ plugin: c.plugin, returnCode: c.returnCode, returnName: returnName(c.returnCode), ms: c.ms }));
  }

  private pluginLabel(r: ChainOutcome): string {
    const names = r.calls.filter((c) => c.called).map((c) => c.plugin);
    return names.join(', ') || 'no plugin';
  }

  /** Plugin v1: CLIENT_CONNECT, then CLIENT_CONNECT_DEFER on re-checks; the ccr file's first byte decides. */
  private pluginV1(resumed: boolean): { result: HandlerResult; config?: ConfigPart[]; note?: string } {
    if (!this.io.defines(HOOKS.CLIENT_CONNECT)) return { result: 'skipped' };
    const started = this.setup.now();
    const files = resumed && this.files ? this.files : this.makeFiles();
    const type = resumed ? HOOKS.CLIENT_CONNECT_DEFER : HOOKS.CLIENT_CONNECT;
    const r = this.io.callChain(type, [files.config], this.env, false);
    const byte = this.io.firstByte(files.result);
    let result: HandlerResult;
    let note: string | undefined;
    if (r.status === RETURN.ERROR) {
      result = 'failed';
      note = `client-connect plugin call failed (${this.pluginLabel(r)})`;
    } else if (byte.kind === 'byte' && byte.byte !== '1' && byte.byte !== '2') {
      result = 'failed';
      note =
        byte.byte === '0'
          ? 'client_connect_deferred_file says 0 (failure)'
          : `Unknown/unexpected value in deferred client-connect resultfile: ${JSON.stringify(byte.byte)}`;
    } else if (r.status === RETURN.DEFERRED || (byte.kind === 'byte' && byte.byte === '2')) {
      result = 'deferred';
    } else {
      result = 'succeeded';
    }
    this.record(
      {
        handler: 'plugin-v1',
        hook: resumed ? 'CLIENT_CONNECT_DEFER' : 'CLIENT_CONNECT',
        calls: this.chainCalls(r),
        status: r.status,
        deferredFile: describeByte(byte),
        result,
        note,
        ms: this.setup.now() - started,
      },
      started,
    );
    if (result === 'deferred') {
      this.pendingText = this.io.defines(HOOKS.CLIENT_CONNECT_DEFER)
        ? `plugin v1: CLIENT_CONNECT_DEFER of ${this.pluginLabel(r)} (client_connect_deferred_file is ${describeByte(byte)})`
        : `plugin v1: client_connect_deferred_file (${files.result}) is ${describeByte(byte)}; waiting for '1' or '0'`;
      return { result };
    }
    const config = result === 'succeeded' ? this.importConfigFile('plugin-v1') : undefined;
    this.dropFiles();
    return { result, config, note };
  }

  /** Plugin v2: CLIENT_CONNECT_V2, then CLIENT_CONNECT_DEFER_V2 on re-checks; config from the return lists. */
  private pluginV2(resumed: boolean): { result: HandlerResult; config?: ConfigPart[]; note?: string } {
    const type = resumed ? HOOKS.CLIENT_CONNECT_DEFER_V2 : HOOKS.CLIENT_CONNECT_V2;
    if (!this.io.defines(type)) return { result: 'skipped' };
    const started = this.setup.now();
    const r = this.io.callChain(type, [], this.env, true);
    let result: HandlerResult;
    let note: string | undefined;
    let config: ConfigPart[] | undefined;
    if (r.status === RETURN.SUCCESS) {
      result = 'succeeded';
      config = r.calls.filter((c) => c.config !== undefined).map((c) => ({ source: c.plugin, text: c.config!, kind: 'string' as const }));
    } else if (r.status === RETURN.DEFERRED) {
      if (this.io.defines(HOOKS.CLIENT_CONNECT_DEFER_V2)) {
        result = 'deferred';
      } else {
        result = 'failed';
        note = 'A plugin that defers from the OPENVPN_PLUGIN_CLIENT_CONNECT_V2 call must also declare support for OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2';
      }
    } else {
      result = 'failed';
      note = `client-connect-v2 plugin call failed (${this.pluginLabel(r)})`;
    }
    this.record(
      {
        handler: 'plugin-v2',
        hook: resumed ? 'CLIENT_CONNECT_DEFER_V2' : 'CLIENT_CONNECT_V2',
        calls: this.chainCalls(r),
        status: r.status,
        result,
        note,
        ms: this.setup.now() - started,
      },
      started,
    );
    if (result === 'deferred') {
      const deferring = r.calls.filter((c) => c.called && c.returnCode === RETURN.DEFERRED).map((c) => c.plugin);
      this.pendingText = `plugin v2: CLIENT_CONNECT_DEFER_V2 of ${deferring.join(', ')} still returns DEFERRED`;
    }
    return { result, config, note };
  }

  /** --client-connect script: exit status, then the ccr file on re-checks. */
  private script(resumed: boolean): { result: HandlerResult; config?: ConfigPart[]; note?: string } {
    if (!this.setup.script) return { result: 'skipped' };
    const started = this.setup.now();
    if (resumed && this.files) {
      const byte = this.io.firstByte(this.files.result);
      let result: HandlerResult;
      let note: string | undefined;
      if (byte.kind !== 'byte' || byte.byte === '2') result = 'deferred';
      else if (byte.byte === '1') result = 'succeeded';
      else {
        result = 'failed';
        note = 'deferred --client-connect script returned CC_RET_FAILED';
      }
      this.record({ handler: 'script', hook: 'script (re-check)', deferredFile: describeByte(byte), result, note, ms: this.setup.now() - started }, started);
      if (result === 'deferred') return { result };
      const config = result === 'succeeded' ? this.importConfigFile('script') : undefined;
      this.dropFiles();
      return { result, config, note };
    }
    if (this.setup.scriptsForbidden) {
      // openvpn_execve_allowed: below script-security 2 the script is not run, and the handler fails
      const note = "--client-connect script not run: OpenVPN runs external programs only with '--script-security 2' or higher";
      this.record({ handler: 'script', hook: 'script', result: 'failed', note, ms: 0 }, started);
      return { result: 'failed', note };
    }
    const files = this.makeFiles();
    const env = envSet(this.env, 'script_type', 'client-connect');
    const { exitCode, signal, note: runNote } = this.io.runScript([...this.setup.script, files.config], env);
    const byte = this.io.firstByte(files.result);
    let result: HandlerResult;
    let note: string | undefined;
    if (exitCode !== 0) {
      result = 'failed';
      note = runNote ?? `--client-connect script failed (${signal ? `killed by ${signal}` : `exit status ${exitCode}`})`;
    } else if (byte.kind === 'byte' && byte.byte === '2') {
      result = 'deferred';
      this.pendingText = `script: client_connect_deferred_file (${files.result}) is "2"; waiting for '1' or '0'`;
    } else {
      result = 'succeeded';
    }
    this.record({ handler: 'script', hook: 'script', exitCode, deferredFile: describeByte(byte), result, note, ms: this.setup.now() - started }, started);
    if (result === 'deferred') return { result };
    const config = result === 'succeeded' ? this.importConfigFile('script') : undefined;
    this.dropFiles();
    return { result, config, note };
  }
}
