// Entry point of the plugin worker child process: takes requests over IPC, runs them synchronously, replies.
import { getRuntime } from './native/runtime.js';
import { LOG_PIPE_FD, type RequestMessage, type ResponseMessage } from '../protocol/messages.js';
import { reapOrphans } from './reaper.js';
import { exitIfChannelLost, watchChannels } from './channels.js';
import { RequestError, WorkerSession } from './session.js';

const runtime = getRuntime();
watchChannels(runtime.init(LOG_PIPE_FD));
const session = new WorkerSession();
process.send!({ event: 'ready', data: null }); // the supervisor's request time limits start now

/** Reap plugins' zombie children after requests, at most every 50 ms (a /proc scan per request costs too much
 * with thousands of clients), and always within 50 ms of the last request. */
let lastReap = 0;
let reapTimer: NodeJS.Timeout | undefined;
function reapSoon(): void {
  const wait = lastReap + 50 - performance.now();
  if (wait <= 0) {
    lastReap = performance.now();
    reapOrphans();
  } else {
    reapTimer ??= setTimeout(() => {
      reapTimer = undefined;
      lastReap = performance.now();
      reapOrphans();
    }, wait);
  }
}

function reply(msg: ResponseMessage): void {
  exitIfChannelLost(); // a plugin closed the IPC channel or the log pipe: nothing could be reported through them
  // Everything logged while serving the request is in the pipe before this marker; the supervisor
  // delivers the response only after it has read the marker, so no log line is ever late.
  runtime.logMark(String(msg.id));
  process.send!(msg);
}

async function handle(msg: RequestMessage): Promise<void> {
  try {
    let result: unknown;
    switch (msg.op) {
      case 'start': result = session.start(msg); break;
      case 'call': result = session.call(msg); break;
      case 'client-connect':
        result = await session.clientConnect(msg, (data) => process.send!({ event: 'progress', data: { request: msg.id, ...(data as object) } }));
        break;
      case 'client-new': result = session.clientNew(msg); break;
      case 'client-life-connect':
        result = await session.clientLifeConnect(msg, (data) => process.send!({ event: 'progress', data: { request: msg.id, ...data } }));
        break;
      case 'client-end': result = session.clientEnd(msg); break;
      case 'close': session.close(); result = {}; break;
      default: throw new RequestError({ kind: 'bad-request', message: `unknown request ${(msg as { op: string }).op}` });
    }
    reply({ id: msg.id, ok: true, result });
    reapSoon(); // after the reply: the caller does not wait for the /proc scan
  } catch (err) {
    const error = err instanceof RequestError ? err.error : { kind: 'internal' as const, message: (err as Error).stack ?? String(err) };
    reply({ id: msg.id, ok: false, error });
  }
}

process.on('message', (m) => void handle(m as RequestMessage));
process.on('disconnect', () => {
  // The supervisor is gone: close the plugins as a server shutdown would, then leave.
  try {
    session.close();
  } finally {
    process.exit(0);
  }
});
// Reap zombies of plugins' unwaited children even while idle (e.g. during a long deferral).
setInterval(reapOrphans, 1000).unref();
