// connect --renegotiate N: the client's renegotiations after its connect, back to back or reneg-sec apart.
import type { Client } from '../host/client.js';
import { isFailure } from '../host/host.js';
import type { RenegotiateResult } from '../protocol/client-results.js';
import { EXIT, exitCodeOfFailure } from '../host/exit-codes.js';

/**
 * Renegotiate CLIENT up to N times, stopping at the first that does not renew (a killed tunnel has no more). With
 * RENEG_SEC, each starts that many seconds after the previous key was made (the connect, then each renegotiation), as
 * the server's reneg-sec timer does; SIGNAL ends such a wait early (Ctrl-C), and no more renegotiations start.
 */
export async function renegotiateTimes(
  client: Client,
  n: number,
  renegSec: number | undefined,
  signal: AbortSignal,
  onStart: (i: number) => void,
  onWait: (i: number, seconds: number) => void,
): Promise<RenegotiateResult[]> {
  const results: RenegotiateResult[] = [];
  let keyMadeAt = performance.now();
  for (let i = 1; i <= n; i++) {
    if (renegSec) {
      onWait(i, renegSec);
      await sleepUntil(keyMadeAt + renegSec * 1000, signal);
    }
    if (signal.aborted) break;
    onStart(i);
    keyMadeAt = performance.now();
    const r = await client.renegotiate();
    results.push(r);
    if (r.outcome !== 'renewed') break;
  }
  return results;
}

/** The exit code renegotiations add to a connected client's: the first that did not renew decides. */
export function exitCodeOfRenegotiations(results: readonly RenegotiateResult[]): number {
  const bad = results.find((r) => r.outcome !== 'renewed');
  if (!bad) return EXIT.SUCCESS;
  return isFailure(bad) ? exitCodeOfFailure(bad) : EXIT.PLUGIN_ERROR;
}

function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, at - performance.now()));
    signal.addEventListener('abort', done);
  });
}
