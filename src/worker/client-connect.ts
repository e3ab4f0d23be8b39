// Runs one client's client-connect stage in the worker: real plugins, temp files, scripts, re-checks on a timer or a file write.
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, unlinkSync, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { HOOKS, PLOG, RETURN, returnName } from '../openvpn/constants.js';
import { callChain, PackedEnv } from './plugin/chain.js';
import type { Plugin } from './plugin/plugin.js';
import { configValue, nullNameBeforeConfig } from '../openvpn/return-list.js';
import { openForReading, readRegularFile } from '../util/safe-read.js';
import { getRuntime, type Pointer } from './native/runtime.js';
import { ClientConnectRun, type ClientConnectIO, type FileByte, type RunState, type Step } from '../openvpn/client-connect.js';
import { EnvSet } from '../openvpn/env-set.js';
import { clientDisconnectEnv } from '../openvpn/server-env.js';
import { dirWatcher } from './recheck-scheduler.js';
import { DeferralWait } from './deferral-wait.js';
import { asClient } from './as-client.js';
import { runScript } from './script.js';
import type { ServerState } from './server-state.js';
import { mergeConfigs } from '../openvpn/client-config.js';
import type { DeferralTiming } from '../protocol/messages.js';
import type { ClientConnectReport } from '../protocol/client-results.js';
import { ConnectionDropped } from './dropped.js';

/** How one client-connect stage runs. */
export interface ClientConnectParams {
  /** The client's env at client-connect, newest first. */
  env: string[];
  tmpDir: string;
  timing: DeferralTiming;
  onProgress?: (p: { polls: number; elapsedMs: number; pending: string; file?: string }) => void;
  /** The client whose stage this is (log lines of its calls and script carry it); -1 or absent: none. */
  clientId?: number;
  /** --client-config-dir: read before the plugins. */
  clientConfigDir?: string;
  /** --script-security below 2: the script is not run. */
  scriptsForbidden?: boolean;
  /** The server's state: no plugin is called once it has exited. */
  server?: ServerState;
  /** Told of every chain call the stage makes (hook type, argv after argv[0], envp), before the call. */
  onChainCall?: (type: number, argv: readonly string[], env: readonly string[]) => void;
  /** Aborted (with a ConnectionDropped) when the connection ends while the stage is deferred. */
  signal?: AbortSignal;
}

/** A finished stage: the report the caller gets, and the client env after it (what the next hook sees). */
export interface ClientConnectOutcome {
  report: ClientConnectReport;
  env: string[];
}

/** OpenVPN's temp-file name: <dir>/openvpn_<prefix>_<32 hex>.tmp, created O_EXCL, mode 0600, empty. */
export function createTempFile(dir: string, prefix: string): string {
  for (let attempt = 0; attempt < 6; attempt++) {
    const path = join(dir, `openvpn_${prefix}_${randomBytes(16).toString('hex')}.tmp`);
    try {
      closeSync(openSync(path, fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY, 0o600));
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`cannot create a temp file in ${dir}`);
}

/** The first byte of a deferred-result or control file, as OpenVPN's fopen + fgetc see it: missing (fopen fails),
 * empty (EOF), or a byte. A read error (a directory: EISDIR) is neither EOF nor a byte; OpenVPN treats it as an
 * unknown value (ccr: failure; acf: still pending), and so does a FIFO or socket, which the host refuses to read
 * (OpenVPN would block on it). Both come back as an unknown pseudo-byte naming the cause. The host only reads. */
export function firstByte(path: string): FileByte {
  const fd = openForReading(path);
  if (fd === undefined) return { kind: 'missing' };
  try {
    const st = fstatSync(fd);
    if (st.isFIFO() || st.isSocket()) return { kind: 'byte', byte: `<not a regular file: ${st.isFIFO() ? 'a FIFO' : 'a socket'}>` };
    const buf = Buffer.alloc(1);
    return readSync(fd, buf, 0, 1, 0) === 0 ? { kind: 'empty' } : { kind: 'byte', byte: String.fromCharCode(buf[0]) };
  } catch (err) {
    return { kind: 'byte', byte: `<read error: ${(err as NodeJS.ErrnoException).code ?? 'unknown'}>` };
  } finally {
    closeSync(fd);
  }
}

/** Largest config file the host imports (OpenVPN has no limit, but a plugin's runaway file must not exhaust memory). */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** A config file's text (undefined when it cannot be opened); only regular files are read, never blocking, never
 * writing, following a symlink like OpenVPN's fopen. Anything else is logged and treated as no config. */
function readConfigText(path: string): string | undefined {
  const r = readRegularFile(path, MAX_CONFIG_BYTES);
  if (r.kind === 'not-regular') {
    getRuntime().logLine(PLOG.WARN, 'ovpn-plugin-host', `${path} is ${r.what}, not a regular file: not read (no config imported from it)`);
    return undefined;
  }
  if (r.kind === 'missing') return undefined;
  if (r.truncatedFrom !== undefined) {
    getRuntime().logLine(PLOG.WARN, 'ovpn-plugin-host', `${path} has ${r.truncatedFrom} bytes: only the first ${MAX_CONFIG_BYTES} were read`);
  }
  return r.text;
}

/** OpenVPN looks for each plugin's first "config" node after a successful round with strcmp(name, "config") on every
 * node up to it: a NULL name there crashes OpenVPN 2.6. The host skips such a node (it never matches) and says so. */
function warnNullNames(calls: ReadonlyArray<{ plugin: string; returnList: Parameters<typeof nullNameBeforeConfig>[0] }>): void {
  for (const c of calls) {
    const at = nullNameBeforeConfig(c.returnList);
    if (at < 0) continue;
    getRuntime().logLine(
      PLOG.WARN,
      'ovpn-plugin-host',
      `${c.plugin}: return list node ${at + 1} has a NULL `
        + 'name before any "config" node; OpenVPN 2.6 would crash on it (strcmp(NULL, "config") in plugin_return_get_column); '
        + 'the host skips the node',
    );
  }
}

/** The I/O of a client-connect run against the worker's opened plugins. */
function makeIO(
  plugins: readonly Plugin[],
  contexts: readonly Pointer[],
  params: ClientConnectParams,
  onWrite: () => void,
): ClientConnectIO & { close(): void } {
  const watchers = new Map<string, () => void>();
  // The env packed once for the re-checks of a deferral (the same strings every time), in this client's memory.
  let packed: PackedEnv | undefined;
  return {
    defines: (type) => plugins.some((p) => p.wants(type)),
    callChain: (type, argv, env, collect) => {
      params.server?.ensureRunning();
      params.onChainCall?.(type, argv, env);
      if (!packed?.matches(env)) packed = PackedEnv.pack(env);
      const envp = packed;
      const r = asClient(params.clientId, () => callChain(plugins, type, argv, envp, { contexts, collectReturnList: collect }));
      if (collect && r.status === RETURN.SUCCESS) warnNullNames(r.calls);
      return {
        status: r.status,
        undefinedHook: r.undefinedHook,
        calls: r.calls.map((c) => ({ plugin: c.plugin, called: c.called, returnCode: c.returnCode, config: configValue(c.returnList), ms: c.ms })),
      };
    },
    runScript: (argv, env) => {
      params.server?.ensureRunning();
      return asClient(params.clientId, () => runScript(argv, env, params.timing.timeoutMs, params.tmpDir));
    },
    createFile: (prefix) => createTempFile(params.tmpDir, prefix),
    firstByte,
    readText: readConfigText,
    remove: (path) => {
      try {
        unlinkSync(path);
      } catch {
        // already gone (a plugin may delete it)
      }
    },
    watch: (path) => {
      if (!params.timing.watchFiles || watchers.has(path)) return;
      watchers.set(path, dirWatcher.watch(path, onWrite));
    },
    unwatch: (path) => {
      watchers.get(path)?.();
      watchers.delete(path);
    },
    close: () => {
      for (const stop of watchers.values()) stop();
      watchers.clear();
    },
  };
}

/** The report of a finished run: the config it imported, as text, as parts and parsed. */
function reportOf(
  run: ClientConnectRun,
  state: Exclude<RunState, { state: 'deferred' }> | { state: 'timeout'; pending: string; reason: string },
  elapsedMs: number,
): ClientConnectReport {
  const configParts = state.state === 'timeout' ? [] : state.config;
  const parsed = mergeConfigs(configParts);
  return {
    outcome: state.state,
    deferred: run.deferred,
    config: configParts.map((c) => c.text).join(''),
    configParts,
    options: parsed.options,
    warnings: parsed.warnings,
    reason: state.state === 'accepted' ? undefined : state.reason,
    pending: state.state === 'timeout' ? state.pending : undefined,
    polls: run.polls,
    elapsedMs,
    steps: run.steps,
  };
}

/**
 * Run the stage to its end: accepted, rejected, or timeout (files cleaned either way). When no handler defers, the
 * whole stage runs synchronously and the outcome is returned as is (not a promise), so the caller can go on to
 * LEARN_ADDRESS in the same turn, as OpenVPN's single thread does. `finish` is called, synchronously, the moment
 * the stage ends (also after a deferral), for the same reason.
 */
export function runClientConnect(
  plugins: readonly Plugin[],
  contexts: readonly Pointer[],
  params: ClientConnectParams,
  finish?: (outcome: ClientConnectOutcome) => void,
): ClientConnectOutcome | Promise<ClientConnectOutcome> {
  const start = performance.now();
  const { timing } = params;
  const deadline = start + timing.timeoutMs;
  let wait: DeferralWait | undefined;
  const io = makeIO(plugins, contexts, params, () => wait?.wake());
  const run = new ClientConnectRun(io, {
    env: params.env,
    script: timing.script,
    clientConfigDir: params.clientConfigDir,
    scriptsForbidden: params.scriptsForbidden,
    now: () => performance.now(),
  });
  const end = (state: Parameters<typeof reportOf>[1]): ClientConnectOutcome => {
    io.close();
    const outcome = { report: reportOf(run, state, performance.now() - start), env: run.currentEnv() };
    finish?.(outcome);
    return outcome;
  };
  let first: RunState;
  try {
    first = run.advance();
  } catch (err) {
    io.close();
    throw err;
  }
  if (first.state !== 'deferred') return end(first);
  let state: RunState = first;
  wait = new DeferralWait({
    deadline,
    pollIntervalMs: timing.pollIntervalMs,
    onProgress:
      params.onProgress
      && ((now) => params.onProgress!({ polls: run.polls, elapsedMs: now - start, pending: run.pending, ...(run.resultFile ? { file: run.resultFile } : {}) })),
    signal: params.signal,
  });
  return wait
    .until(() => {
      state = run.advance();
      return state.state === 'deferred' ? undefined : state;
    }, false)
    .then(
      (done) => {
        if (done !== 'timeout') return end(done);
        run.cleanup();
        const pending = state.state === 'deferred' ? state.pending : '';
        return end({ state: 'timeout', pending, reason: `still deferred after ${timing.timeoutMs / 1000} s: ${pending}` });
      },
      (err: unknown) => {
        io.close();
        // OpenVPN never deletes the files of a deferred stage whose client went (measured on 2.6.14): cc and ccr stay
        if (err instanceof ConnectionDropped) {
          err.leftBehind.push(...run.openFiles);
          err.steps.push(...run.steps);
        }
        throw err;
      },
    );
}

/** After a failed client-connect chain OpenVPN calls CLIENT_DISCONNECT (plugins) for the client; T is the run's clock. */
export function disconnectAfterFailure(plugins: readonly Plugin[], contexts: readonly Pointer[], env: string[], t: number): Step | undefined {
  if (!plugins.some((p) => p.wants(HOOKS.CLIENT_DISCONNECT))) return undefined;
  const started = performance.now();
  // The disconnect env first (trusted_*, bytes, duration), as for any disconnect.
  const e = EnvSet.fromEnvp(env);
  clientDisconnectEnv(e, {
    trusted: { ip: e.get('trusted_ip') ?? e.get('trusted_ip6') ?? '127.0.0.1', port: Number(e.get('trusted_port') ?? 0) },
    bytesReceived: 0,
    bytesSent: 0,
    durationSeconds: 0,
  });
  const r = callChain(plugins, HOOKS.CLIENT_DISCONNECT, [], e.toEnvp(), { contexts });
  return {
    handler: 'client-disconnect',
    hook: 'CLIENT_DISCONNECT',
    status: r.status,
    calls: r.calls.filter((c) => c.called).map((c) => ({ plugin: c.plugin, returnCode: c.returnCode, returnName: returnName(c.returnCode), ms: c.ms })),
    result: r.status === RETURN.SUCCESS ? 'succeeded' : 'failed',
    t,
    ms: performance.now() - started,
  };
}
