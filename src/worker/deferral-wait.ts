// Waiting for a deferred result, the one way both deferrals wait: re-check on the shared scheduler's timer (or at
// once when a watched file is written) until the check decides or the deadline passes.
import { recheck, type Timer } from './recheck-scheduler.js';

/** How often a waiting client reports progress. */
const PROGRESS_EVERY_MS = 200;

export interface DeferralWaitOptions {
  /** performance.now() time at which the wait gives up. */
  deadline: number;
  pollIntervalMs: number;
  /** Told about every 200 ms while waiting (with performance.now()). */
  onProgress?: (now: number) => void;
  /** Aborted when the client vanishes: the wait ends at once, throwing the signal's reason. */
  signal?: AbortSignal;
}

export class DeferralWait {
  private wakeNap: (() => void) | undefined;

  constructor(private readonly options: DeferralWaitOptions) {}

  /** Re-check now instead of at the next tick (a watched file was written). */
  readonly wake = (): void => this.wakeNap?.();

  /** Call CHECK after each sleep (and once at the start with checkFirst) until it returns a value (decided) or the
   * deadline passes ('timeout'). CHECK returns undefined while the result is still pending. An aborted signal
   * throws its reason instead, without another check. The naps are one re-used timer of the shared scheduler and
   * plain callbacks: a re-check allocates nothing of its own (thousands of clients re-check every second). */
  until<T>(check: () => T | undefined, checkFirst: boolean): Promise<T | 'timeout'> {
    const { deadline, pollIntervalMs, onProgress, signal } = this.options;
    return new Promise<T | 'timeout'>((resolve, reject) => {
      let timer: Timer | undefined;
      let napping = false;
      let ended = false;
      // (the first step reports at once, however soon after the worker's start: performance.now() counts from there)
      let lastProgress = Number.NEGATIVE_INFINITY;
      const end = (): void => {
        ended = true;
        napping = false;
        if (timer) recheck.cancel(timer);
        this.wakeNap = undefined;
        signal?.removeEventListener('abort', this.wake);
      };
      // After a nap (or at the start): the abort, the check, then the deadline, progress and the next nap.
      const step = (first: boolean): void => {
        if (ended) return;
        try {
          signal?.throwIfAborted();
          if (!first || checkFirst) {
            const v = check();
            if (v !== undefined) {
              end();
              resolve(v);
              return;
            }
          }
          const now = performance.now();
          if (now >= deadline) {
            end();
            resolve('timeout');
            return;
          }
          if (onProgress && now - lastProgress >= PROGRESS_EVERY_MS) {
            lastProgress = now;
            onProgress(now);
          }
          napping = true;
          timer = recheck.schedule(Math.min(pollIntervalMs, Math.max(0, deadline - now)), afterNap, timer);
        } catch (err) {
          end();
          reject(err);
        }
      };
      const afterNap = (): void => {
        napping = false;
        step(false);
      };
      this.wakeNap = () => {
        if (!napping) return;
        napping = false;
        if (timer) recheck.cancel(timer);
        queueMicrotask(afterNap);
      };
      signal?.addEventListener('abort', this.wake);
      step(true);
    });
  }
}
