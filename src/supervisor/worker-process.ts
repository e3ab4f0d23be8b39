// The supervisor's handle on one plugin worker: spawn it, send requests, collect its logs, survive its death.
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { hookName, logLevelOf } from '../abi/constants.js';
import { RUNNING_FROM_SOURCE } from '../paths.js';
import { LOG_PIPE_FD, type Request, type ResponseMessage, type WorkerError, type WorkerMessage, type EventMessage } from '../worker/protocol.js';
import { LineSplitter, parseRecord, type PluginLogEntry } from './log-records.js';

/** Why the worker is gone. `during` names the plugin call in progress, when the worker could tell. */
export type WorkerDeath =
  | { reason: 'crashed'; signal: string | null; exitCode: number | null; during?: CallSite }
  | { reason: 'hung'; timeoutMs: number; during?: CallSite };

export interface CallSite {
  plugin: number;
  /** Hook name, or open/close/constructor/destructor/abort/min_version_required/select_initialization_point. */
  call: string;
}

export type RequestOutcome<T> =
  | { kind: 'ok'; result: T }
  | { kind: 'error'; error: WorkerError }
  | { kind: 'dead'; death: WorkerDeath };

const PSEUDO_CALLS: Record<number, string> = {
  [-1]: 'open', [-2]: 'close', [-3]: 'abort', [-4]: 'client_constructor', [-5]: 'client_destructor',
  [-6]: 'min_version_required', [-7]: 'select_initialization_point',
};

function callSite(plugin: number, type: number): CallSite | undefined {
  if (plugin < 0) return undefined;
  return { plugin, call: type >= 0 ? hookName(type) : PSEUDO_CALLS[type] ?? `call ${type}` };
}

function signalName(sig: number): string {
  const entry = Object.entries(osConstants.signals).find(([, n]) => n === sig);
  return entry ? entry[0] : `signal ${sig}`;
}

export interface WorkerOptions {
  /** Extra milliseconds the supervisor waits beyond a request's own limit before it kills the worker. */
  graceMs?: number;
  /** Name used for stdout/stderr lines of the worker (the plugin file when there is one). */
  outputName?: string;
}

interface Pending {
  resolve: (o: RequestOutcome<unknown>) => void;
  response?: ResponseMessage;
  timer?: NodeJS.Timeout;
}

/** A running worker. Emits 'log' (PluginLogEntry), 'event' (EventMessage) and 'exit' (WorkerDeath | null). */
export class WorkerProcess extends EventEmitter {
  readonly logs: PluginLogEntry[] = [];
  death: WorkerDeath | undefined;
  exited = false;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private readonly marks = new Set<string>();
  private nextId = 1;
  private hung: { plugin: number; type: number; timeoutMs: number } | undefined;
  private crash: { plugin: number; type: number; signal: number } | undefined;
  private readonly t0 = performance.now();
  private readonly exitPromise: Promise<void>;
  private expectedExit = false;

  constructor(private readonly options: WorkerOptions = {}) {
    super();
    const entry = fileURLToPath(new URL(`../worker/main.${RUNNING_FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url));
    this.child = fork(entry, [], {
      execArgv: RUNNING_FROM_SOURCE ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
      serialization: 'json',
    });
    const pipe = this.child.stdio[LOG_PIPE_FD] as Readable;
    this.readLines(pipe, (line) => this.onRecord(line));
    this.readLines(this.child.stdout!, (line) => this.addLog('stdout', line));
    this.readLines(this.child.stderr!, (line) => this.addLog('stderr', line));
    this.child.on('message', (m) => this.onMessage(m as WorkerMessage));
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        // Let the log pipe deliver what the dying worker wrote (crash and hang records) before settling.
        setTimeout(() => {
          this.onExit(code, signal);
          resolve();
        }, 50);
      });
    });
    this.child.on('error', () => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private readLines(stream: Readable, onLine: (line: string) => void): void {
    const splitter = new LineSplitter();
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => splitter.push(chunk).forEach(onLine));
    stream.on('end', () => splitter.flush().forEach(onLine));
    stream.on('error', () => undefined);
  }

  private addLog(source: 'stdout' | 'stderr', line: string): void {
    const entry: PluginLogEntry = {
      plugin: this.options.outputName ?? 'plugin', level: source, message: line, flags: 0,
      pid: this.child.pid ?? 0, source, t: performance.now() - this.t0,
    };
    this.logs.push(entry);
    this.emit('log', entry);
  }

  private onRecord(line: string): void {
    const r = parseRecord(line);
    switch (r.kind) {
      case 'log': {
        const entry: PluginLogEntry = {
          plugin: r.plugin, level: logLevelOf(r.flags), message: r.message, flags: r.flags, pid: r.pid,
          source: 'plugin_log', t: performance.now() - this.t0,
        };
        this.logs.push(entry);
        this.emit('log', entry);
        break;
      }
      case 'mark':
        this.marks.add(r.mark);
        this.settle(Number(r.mark));
        break;
      case 'hung':
        this.hung = r;
        break;
      case 'crash':
        this.crash = r;
        break;
      case 'garbage':
        this.addLog('stderr', line);
        break;
    }
  }

  private onMessage(m: WorkerMessage): void {
    if ('event' in m) {
      this.emit('event', m as EventMessage);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    p.response = m;
    // A response is final once the worker's marker shows every earlier log line has been read.
    if (this.marks.has(String(m.id))) this.settle(m.id);
    else setTimeout(() => this.settle(m.id, true), 1000).unref();
  }

  private settle(id: number, force = false): void {
    const p = this.pending.get(id);
    if (!p?.response || (!force && !this.marks.has(String(id)))) return;
    this.pending.delete(id);
    this.marks.delete(String(id));
    if (p.timer) clearTimeout(p.timer);
    const r = p.response;
    p.resolve(r.ok ? { kind: 'ok', result: r.result } : { kind: 'error', error: r.error });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    if (!this.expectedExit || this.pending.size > 0) {
      if (this.hung) {
        this.death = { reason: 'hung', timeoutMs: this.hung.timeoutMs, during: callSite(this.hung.plugin, this.hung.type) };
      } else if (this.death?.reason !== 'hung') {
        const sig = signal ?? (this.crash ? signalName(this.crash.signal) : null);
        this.death = { reason: 'crashed', signal: sig, exitCode: code, during: this.crash ? callSite(this.crash.plugin, this.crash.type) : undefined };
      }
    }
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      p.resolve(p.response
        ? (p.response.ok ? { kind: 'ok', result: p.response.result } : { kind: 'error', error: p.response.error })
        : { kind: 'dead', death: this.death! });
    }
    this.emit('exit', this.death ?? null);
  }

  /** Send a request. LIMIT_MS bounds the whole request; past it (plus grace) the worker is killed as hung. */
  request<T>(req: Request, limitMs: number): Promise<RequestOutcome<T>> {
    if (this.exited || !this.child.connected) {
      return Promise.resolve({ kind: 'dead', death: this.death ?? { reason: 'crashed', signal: null, exitCode: null } });
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      const p: Pending = { resolve: resolve as (o: RequestOutcome<unknown>) => void };
      if (limitMs > 0 && Number.isFinite(limitMs)) {
        p.timer = setTimeout(() => {
          // The worker's own watchdog did not fire (or the request is stuck between calls): kill it.
          this.death = { reason: 'hung', timeoutMs: limitMs };
          this.child.kill('SIGKILL');
        }, limitMs + (this.options.graceMs ?? 2000));
      }
      this.pending.set(id, p);
      this.child.send({ ...req, id });
    });
  }

  /** Stop the worker: disconnect (it closes its plugins and exits), then SIGKILL if it does not exit in time. */
  async stop(graceMs = 5000): Promise<void> {
    this.expectedExit = true;
    if (this.exited) return;
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  /** Kill at once (Ctrl-C, timeouts). */
  async kill(): Promise<void> {
    this.expectedExit = true;
    if (!this.exited) this.child.kill('SIGKILL');
    await this.exitPromise;
  }

  /** Milliseconds since the worker started. */
  now(): number {
    return performance.now() - this.t0;
  }
}
