// The caller's end of one worker: typed requests with their time limits, whose worker deaths and errors become
// failure outcomes, and the plugins' log so far.
import type { FailureOutcome } from '../protocol/failures.js';
import type { PluginLogEntry } from '../protocol/logs.js';
import type { DeferralProgress, Op, RequestOf, ResponseOf } from '../protocol/messages.js';
import { failureFromDeath, failureFromError } from './failures.js';
import { requestLimitMs } from './limits.js';
import type { WorkerProcess } from './worker/worker-process.js';

export type Answer<T> = { ok: T } | { failure: FailureOutcome };

export class WorkerChannel {
  /** A request the caller's own close()/kill() ended: not the plugin's crash. */
  private endedFailure(message: string): FailureOutcome {
    return { outcome: 'crashed', signal: null, exitCode: null, message, logs: this.takeLogs() };
  }

  /** Clients made so far (closing the host may have to end each). */
  clients = 0;
  /** Set once the caller closed or killed the host: later requests, and those it cut short, say so. */
  ending: 'closed' | 'killed' | undefined;
  /** Set once the caller killed the host: a request then in progress, close included, was cut short by it. */
  killed = false;
  private logStart = 0;

  constructor(
    readonly worker: WorkerProcess,
    readonly paths: readonly string[],
    readonly callTimeoutMs: number,
  ) {}

  /** Every log line so far. */
  get logs(): PluginLogEntry[] {
    return this.worker.logs;
  }

  /** Log lines since the last takeLogs() call. */
  takeLogs(): PluginLogEntry[] {
    const out = this.worker.logs.slice(this.logStart);
    this.logStart = this.worker.logs.length;
    return out;
  }

  /** Send a request within its time limit; a dead worker or a worker error comes back as a failure outcome. */
  async request<K extends Op>(req: RequestOf<K>, onProgress?: (p: DeferralProgress) => void): Promise<Answer<ResponseOf<K>>> {
    if (this.ending && req.op !== 'close') return { failure: this.endedFailure(`the host is ${this.ending}: open a new one`) };
    const limit = requestLimitMs(req, { callTimeoutMs: this.callTimeoutMs, plugins: this.paths.length, clients: this.clients });
    const r = await this.worker.request<K>(req, limit, onProgress);
    // the caller closed or killed the host meanwhile: whatever the worker managed to say, this request was cut short
    if (this.ending && req.op !== 'close') return { failure: this.endedFailure(`the host was ${this.ending} while this was in progress`) };
    // close cut short by kill() (e.g. the CLI interrupted): the worker's SIGKILL is the caller's, not a crash
    if (this.killed && r.kind === 'dead') return { failure: this.endedFailure('the host was killed while close was in progress') };
    if (r.kind === 'ok') return { ok: r.result };
    if (r.kind === 'dead') return { failure: failureFromDeath(r.death, this.takeLogs(), this.paths) };
    return { failure: failureFromError(r.error, this.takeLogs()) };
  }
}
