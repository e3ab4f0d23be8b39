// How long the caller lets each request take before it kills the worker as hung: the one call-timeout default and
// the one rule for request time limits (the worker's own watchdog fires first; this is the backstop).
import type { Request } from '../protocol/messages.js';

/** A synchronous plugin call that takes longer is killed and reported as `hung`. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

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
    case 'client-end':
      return plugins * 3 + 1; // CLIENT_DISCONNECT, destructor, LEARN_ADDRESS delete
    case 'client-connect':
      return 3; // the stage's own time is its timeout
    case 'close':
      return plugins * 2 + clients * 3; // destructors, close, and every open client's end
  }
}

/** How long a request may wait on deferrals (their own limits). */
function waitMs(req: Request): number {
  switch (req.op) {
    case 'client-life-connect':
      return req.timing.timeoutMs + req.timing.handWindowMs;
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
