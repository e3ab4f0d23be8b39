// The supervisor's handle on one plugin worker: spawn it, send requests, collect its logs, survive its death.
import type { ChildProcess } from 'node:child_process';
import { forkWorker, takePreforked } from './spawn.js';
import type { Wire } from './wire.js';
import { killProcesses, processStat } from '../../util/process-scan.js';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { hookName, logLevelOf } from '../../openvpn/constants.js';
import { LOG_PIPE_FD } from '../../protocol/constants.js';
import type { PluginLogEntry } from '../../protocol/logs.js';
import type { CrashFrame } from '../../protocol/failures.js';
import type { DeferralProgress, Op, Request, RequestOf, ResponseMessage, ResponseOf, WorkerError, WorkerMessage } from '../../protocol/messages.js';
import { classifyDeath, lostChannelsOfExit, type RuntimeRecord, type WorkerDeath } from './death.js';
import { LineSplitter, parseRecord } from './log-pipe.js';
import { MAX_TIMER_MS } from '../limits.js';

export type RequestOutcome<T> = { kind: 'ok'; result: T } | { kind: 'error'; error: WorkerError } | { kind: 'dead'; death: WorkerDeath };

/** How long a dead worker's pipes may stay open (held by a plugin's process that escaped its process group)
 * before the supervisor stops reading them, so nothing keeps the caller's event loop alive. */
const PIPE_DRAIN_MS = 500;
/** How long a worker that lost its IPC channel or log pipe may take to die on its own before it is killed. */
const LOST_CHANNEL_GRACE_MS = 250;
/** How long a worker may take to boot (Node, the runtime) before it is given up; request limits start after it. */
const BOOT_LIMIT_MS = 60_000;

/** What a request asks the worker to do, in words (for a death the worker could not report itself). */
function describeRequest(req: Request): string {
  switch (req.op) {
    case 'call':
      return `call ${hookName(req.hook)}`;
    case 'start':
      return 'start (load and open)';
    default:
      return req.op;
  }
}

/** Whether PID is a live process (not gone, not a zombie). */
function isAlive(pid: number): boolean {
  const state = processStat(pid)?.state;
  return state !== undefined && state !== 'Z' && state !== 'X' && state !== 'x';
}

export interface WorkerOptions {
  /** Extra milliseconds the supervisor waits beyond a request's own limit before it kills the worker. */
  graceMs?: number;
  /** Name used for stdout/stderr lines of the worker (the plugin file when there is one). */
  outputName?: string;
  /** Run the worker under valgrind (never a pre-started plain worker), its XML written to xmlFile; it boots
   * MEMCHECK_SLOWDOWN times slower. */
  memcheck?: { xmlFile: string; valgrind: string };
}

/** How much longer than a plain worker one under valgrind may take to boot and to exit (valgrind is 20-50x slower,
 * and its leak check at exit takes seconds). */
const MEMCHECK_SLOWDOWN = 10;

interface Pending {
  resolve: (o: RequestOutcome<unknown>) => void;
  what: string;
  onProgress?: (p: DeferralProgress) => void;
  response?: ResponseMessage;
  timer?: NodeJS.Timeout;
}

/** A running worker. Emits 'log' (PluginLogEntry) and 'exit' (WorkerDeath | null). */
export class WorkerProcess extends EventEmitter {
  readonly logs: PluginLogEntry[] = [];
  death: WorkerDeath | undefined;
  exited = false;
  private readonly child: ChildProcess;
  /** The message channel to the worker, and the mark the worker and everything it starts carry. */
  private readonly wire: Wire;
  private readonly mark: string;
  /** The start of a line in the message channel that was not a message (a plugin wrote into it). */
  private garbage: string | undefined;
  /** The caller killed the worker for a fault it found (killAsFaulty). */
  private killedByCaller = false;
  private readonly pending = new Map<number, Pending>();
  private readonly marks = new Set<string>();
  private nextId = 1;
  private hung: (RuntimeRecord & { timeoutMs: number }) | undefined;
  private crash: (RuntimeRecord & { signal: number; frames: CrashFrame[] }) | undefined;
  private readonly t0 = performance.now();
  private readonly exitPromise: Promise<void>;
  private expectedExit = false;
  /** Set as soon as the worker process is gone (before its pipes are drained). */
  private reaped = false;
  /** Channels the worker lost while alive (a plugin closed descriptors it did not open), and what it was doing. */
  private readonly lost = new Set<string>();
  private lostDuring = '';
  /** The worker said it is ready: request time limits run from then (booting is not the plugin's time). */
  private ready = false;
  /** The worker cannot run here (no native runtime, no koffi): every request gets this setup error. */
  private setupFailure: WorkerError | undefined;
  private readonly onReady: Array<() => void> = [];
  private bootTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WorkerOptions = {}) {
    super();
    // A worker the CLI started early (prefork), or a new one (see forkWorker for how it is started).
    const spare = options.memcheck ? undefined : takePreforked();
    const started = spare?.worker ?? forkWorker(options.memcheck);
    this.child = started.child;
    this.wire = started.wire;
    this.mark = started.mark;
    const pipe = this.child.stdio[LOG_PIPE_FD] as Readable;
    const streams = [pipe, this.child.stdout!, this.child.stderr!];
    // the message channel too: a worker that failed to set itself up says why in its last message before it exits
    const drained = Promise.all([
      this.wire.drained,
      ...streams.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.once('close', resolve);
            s.once('end', resolve);
            s.once('error', () => resolve());
          }),
      ),
    ]);
    this.readLines(pipe, (line) => this.onRecord(line));
    this.readLines(this.child.stdout!, (line) => this.addLog('stdout', line));
    this.readLines(this.child.stderr!, (line) => this.addLog('stderr', line));
    this.wire.on('message', (m) => this.onMessage(m as WorkerMessage));
    this.wire.on('garbage', (line: string) => this.onGarbage(line));
    for (const m of spare?.messages ?? []) this.onMessage(m as WorkerMessage);
    pipe.once('end', () => this.onChannelLost('its log pipe'));
    this.wire.once('close', () => this.onChannelLost('its IPC channel'));
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.reaped = true;
        this.killGroup(code === 0 && signal === null && this.expectedExit);
        // Let the pipes deliver what the dying worker wrote (crash and hang records, last log lines) before settling;
        // a process that escaped the group may hold them open: stop reading after a while.
        let timer: NodeJS.Timeout | undefined;
        const drainLimit = new Promise<void>((r) => {
          timer = setTimeout(r, PIPE_DRAIN_MS);
        });
        void Promise.race([drained, drainLimit]).then(() => {
          clearTimeout(timer);
          for (const s of streams) s.destroy();
          if (this.wire.connected) this.wire.close();
          this.onExit(code, signal);
          resolve();
        });
      });
    });
    this.child.on('error', () => undefined);
  }

  /** SIGKILL what is left of the worker's process group, and every process carrying its mark: processes its plugins
   * forked and left behind, those that moved to a session or group of their own (setsid, setpgid) too. After a
   * SHUTDOWN (the worker was stopped and exited 0) the worker has ended them itself: as their subreaper it had every
   * one of them among its descendants (src/worker/shutdown.ts), so the /proc-wide search for the mark is skipped. */
  private killGroup(shutDown: boolean): void {
    const pid = this.child.pid;
    if (!pid) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // nothing left in the group
    }
    if (!shutDown) killProcesses({ mark: this.mark });
  }

  /** A line in the message channel that is not a message: something else (a plugin) wrote into it. Nothing the
   * worker says can be trusted any more: it is killed, and the death says why. */
  private onGarbage(line: string): void {
    if (this.garbage !== undefined || this.exited) return;
    this.garbage = line;
    if (this.lost.size === 0) this.lostDuring = [...this.pending.values()][0]?.what ?? 'no request (idle)';
    this.killAsFaulty();
  }

  /** SIGKILL the worker for a fault the caller found itself (its deadline, the boot limit, garbage in the channel):
   * the channels it loses as it dies are then not a cause of their own. */
  private killAsFaulty(): void {
    this.killedByCaller = true;
    this.child.kill('SIGKILL');
  }

  /** The IPC channel or the log pipe closed. Normal when the worker dies; when it is still alive, a plugin closed
   * descriptors it does not own: the worker can no longer answer or log, so it is a failure (killed if it lingers). */
  private onChannelLost(what: string): void {
    const pid = this.child.pid;
    if (this.reaped || this.expectedExit || this.killedByCaller || !pid || !isAlive(pid)) return;
    if (this.lost.size === 0) {
      const first = [...this.pending.values()][0];
      this.lostDuring = first ? first.what : 'no request (idle)';
    }
    this.lost.add(what);
    setTimeout(() => {
      if (!this.exited) this.child.kill('SIGKILL');
    }, LOST_CHANNEL_GRACE_MS).unref();
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
      plugin: this.options.outputName ?? 'plugin',
      level: source,
      message: line,
      flags: 0,
      pid: this.child.pid ?? 0,
      source,
      t: performance.now() - this.t0,
    };
    this.logs.push(entry);
    this.emit('log', entry);
  }

  private onRecord(line: string): void {
    const r = parseRecord(line);
    switch (r.kind) {
      case 'log': {
        const entry: PluginLogEntry = {
          plugin: r.plugin,
          level: logLevelOf(r.flags),
          message: r.message,
          flags: r.flags,
          pid: r.pid,
          source: 'plugin_log',
          t: performance.now() - this.t0,
        };
        if (r.client >= 0) entry.client = r.client;
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
      case 'setup-failed':
        this.onSetupFailed(r.message);
        break;
      case 'garbage':
        this.addLog('stderr', line);
        break;
    }
  }

  /** The worker could not set itself up (no runtime, no koffi): it says so in its log pipe and in its channel,
   * and exits; every request fails with that one line. */
  private onSetupFailed(message: string): void {
    if (this.setupFailure) return;
    this.setupFailure = { kind: 'setup', message };
    this.expectedExit = true;
    clearTimeout(this.bootTimer);
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      p.resolve({ kind: 'error', error: this.setupFailure });
    }
  }

  private onMessage(m: WorkerMessage): void {
    if (this.garbage !== undefined) return; // after garbage in the channel, nothing in it is trusted
    if ('event' in m && m.event === 'setup-failed') {
      this.onSetupFailed(m.message);
      return;
    }
    if ('event' in m && m.event === 'ready') {
      this.ready = true;
      clearTimeout(this.bootTimer);
      for (const arm of this.onReady.splice(0)) arm();
      return;
    }
    if ('event' in m) {
      this.pending.get(m.request)?.onProgress?.(m.progress);
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
    clearTimeout(this.bootTimer);
    const lostAtExit = lostChannelsOfExit(code);
    if (lostAtExit.length > 0) {
      // The worker found a channel gone before replying, and left at once (src/worker/channels.ts).
      if (this.lost.size === 0) this.lostDuring = [...this.pending.values()][0]?.what ?? 'no request (idle)';
      for (const what of lostAtExit) this.lost.add(what);
    }
    if (!this.expectedExit || this.pending.size > 0) {
      this.death = classifyDeath({
        exitCode: code,
        signal,
        hung: this.hung,
        crash: this.crash,
        killed: this.death,
        lost: this.lost,
        lostDuring: this.lostDuring,
        garbage: this.garbage,
      });
      // A crash inside a plugin call explains itself; a lost channel is said in the log too.
      if ((this.lost.size > 0 || this.garbage !== undefined) && this.death.cause && !this.death.during) {
        const note: PluginLogEntry = {
          plugin: 'ovpn-plugin-host',
          level: 'error',
          message: this.death.cause,
          flags: 0,
          pid: this.child.pid ?? 0,
          source: 'stderr',
          t: performance.now() - this.t0,
        };
        this.logs.push(note);
        this.emit('log', note);
      }
    }
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      // After a lost channel a response is not trusted: its log lines may be missing.
      p.resolve(
        p.response && this.lost.size === 0 && this.garbage === undefined
          ? p.response.ok
            ? { kind: 'ok', result: p.response.result }
            : { kind: 'error', error: p.response.error }
          : { kind: 'dead', death: this.death! },
      );
    }
    this.emit('exit', this.death ?? null);
  }

  /** Send a request; it resolves to the response its op gets. LIMIT_MS bounds the whole request; past it (plus grace)
   * the worker is killed as hung. ON_PROGRESS hears the request's progress events. */
  request<K extends Op>(req: RequestOf<K>, limitMs: number, onProgress?: (p: DeferralProgress) => void): Promise<RequestOutcome<ResponseOf<K>>> {
    if (this.setupFailure) return Promise.resolve({ kind: 'error', error: this.setupFailure });
    if (this.exited || !this.wire.connected) {
      return Promise.resolve({ kind: 'dead', death: this.death ?? { reason: 'crashed', signal: null, exitCode: null } });
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      const p: Pending = { resolve: resolve as (o: RequestOutcome<unknown>) => void, what: describeRequest(req), onProgress };
      // pending first: arming the deadline checks that the request is still pending
      this.pending.set(id, p);
      if (limitMs > 0 && Number.isFinite(limitMs)) {
        const arm = () => {
          if (!this.pending.has(id)) return;
          p.timer = setTimeout(
            () => {
              // The worker's own watchdog did not fire (the worker is stopped, or the request is stuck between calls).
              const stopped = this.child.pid !== undefined && processStat(this.child.pid)?.state === 'T';
              const cause = `the worker did not answer ${p.what} within ${limitMs} ms (the request's limit: its call timeouts plus margins)${stopped ? ': it was stopped (SIGSTOP or a debugger)' : ''}`;
              this.death = { reason: 'hung', timeoutMs: limitMs, cause };
              this.killAsFaulty();
            },
            Math.min(limitMs + (this.options.graceMs ?? 2000), MAX_TIMER_MS),
          );
        };
        if (this.ready) arm();
        else this.onReady.push(arm);
      }
      if (!this.ready && !this.bootTimer) {
        const bootLimitMs = BOOT_LIMIT_MS * (this.options.memcheck ? MEMCHECK_SLOWDOWN : 1);
        const under = this.options.memcheck ? ' under valgrind' : '';
        this.bootTimer = setTimeout(() => {
          this.death = { reason: 'hung', timeoutMs: bootLimitMs, cause: `the worker did not start${under} within ${bootLimitMs / 1000} s` };
          this.killAsFaulty();
        }, bootLimitMs);
      }
      this.wire.send({ ...req, id });
    });
  }

  /** Stop the worker: disconnect (it closes its plugins and exits), then SIGKILL if it does not exit in time (under
   * valgrind, longer: its leak check at exit). */
  async stop(graceMs = 5000): Promise<void> {
    this.expectedExit = true;
    if (this.exited) return;
    if (this.wire.connected) this.wire.close();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs * (this.options.memcheck ? MEMCHECK_SLOWDOWN : 1));
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
