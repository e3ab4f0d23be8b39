// How long the caller lets each request take before it kills the worker as hung: the one call-timeout default and
// the one rule for request time limits (the worker's own watchdog fires first; this is the backstop).
import type { Request } from '../protocol/messages.js';

/** A synchronous plugin call that takes longer is killed and reported as `hung`. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** The longest call timeout (a day): longer ones are mistakes, and the runtime's watchdog counts in 32 bits. */
export const MAX_CALL_TIMEOUT_MS = 86_400_000;

/** The longest delay a Node timer keeps (about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** VALUE as a number of milliseconds within [MIN, MAX], or a RangeError that names the option. */
export function checkMs(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a number of milliseconds from ${min} to ${max}, got ${String(value)}`);
  }
}

export interface LimitContext {
  callTimeoutMs: number;
  plugins: number;
  /** Clients still open (close ends each of them). */
  clients: number;
}

/** The most plugin calls a request can make one after the other, besides its deferral waits. */
function maxCalls(req: Request, { plugins, clients }: LimitContext): number {
  switch (req.op) {
    case 'start':
      return plugins * 3; // load, open, generic constructor
    case 'call':
      return 2; // the call, and a constructor/destructor pair around it
    case 'client-new':
      return plugins; // constructors
    case 'client-life-connect':
      return plugins * 12 + 3; // every hook of a life, with a few re-checks each
    case 'client-renegotiate':
      return plugins * 8 + 1; // TLS_VERIFY per depth, auth, TLS_FINAL, and a killed tunnel's end
    case 'client-end':
      return plugins * 3 + 1; // CLIENT_DISCONNECT, destructor, LEARN_ADDRESS delete
    case 'client-connect':
      return 3; // the stage's own time is its timeout
    case 'close':
      return plugins * 2 + clients * 3; // destructors, close, and every open client's end
    case 'restart':
      return plugins * 5 + clients * 3; // every client's end, destructors, close, load, open, constructor
  }
}

/** How long a request may wait on deferrals (their own limits). */
function waitMs(req: Request): number {
  switch (req.op) {
    case 'client-life-connect':
      return req.timing.timeoutMs + req.timing.handWindowMs;
    case 'client-renegotiate':
      return req.timing.handWindowMs;
    case 'client-connect':
      return req.timing.timeoutMs;
    default:
      return 0;
  }
}

/** The request's time limit: its deferral waits plus one call timeout per call it can make, and one more. */
export function requestLimitMs(req: Request, ctx: LimitContext): number {
  return waitMs(req) + ctx.callTimeoutMs * (maxCalls(req, ctx) + 1);
}
