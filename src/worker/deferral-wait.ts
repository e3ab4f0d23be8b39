// Waiting for a deferred result, the one way both deferrals wait: re-check on the shared scheduler's timer (or at
// once when a watched file is written) until the check decides or the deadline passes.
import { recheck } from './recheck-scheduler.js';

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
   * throws its reason instead, without another check. */
  async until<T>(check: () => T | undefined, checkFirst: boolean): Promise<T | 'timeout'> {
    const { signal } = this.options;
    signal?.addEventListener('abort', this.wake);
    try {
      return await this.loop(check, checkFirst);
    } finally {
      signal?.removeEventListener('abort', this.wake);
    }
  }

  private async loop<T>(check: () => T | undefined, checkFirst: boolean): Promise<T | 'timeout'> {
    const { deadline, pollIntervalMs, onProgress, signal } = this.options;
    signal?.throwIfAborted();
    if (checkFirst) {
      const v = check();
      if (v !== undefined) return v;
    }
    let lastProgress = 0;
    for (;;) {
      const now = performance.now();
      if (now >= deadline) return 'timeout';
      if (onProgress && now - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = now;
        onProgress(now);
      }
      const nap = recheck.sleep(Math.min(pollIntervalMs, Math.max(0, deadline - now)));
      this.wakeNap = nap.wake;
      await nap.promise;
      this.wakeNap = undefined;
      signal?.throwIfAborted();
      const v = check();
      if (v !== undefined) return v;
    }
  }
}
