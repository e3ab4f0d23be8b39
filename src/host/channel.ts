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
  /** Clients made so far (closing the host may have to end each). */
  clients = 0;
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
    const limit = requestLimitMs(req, { callTimeoutMs: this.callTimeoutMs, plugins: this.paths.length, clients: this.clients });
    const r = await this.worker.request<K>(req, limit, onProgress);
    if (r.kind === 'ok') return { ok: r.result };
    if (r.kind === 'dead') return { failure: failureFromDeath(r.death, this.takeLogs(), this.paths) };
    return { failure: failureFromError(r.error, this.takeLogs()) };
  }
}
