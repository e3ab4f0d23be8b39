// The plugin worker at work: takes requests over its message channel, runs them synchronously, replies (started by
// main.ts).
import { getRuntime } from './native/runtime.js';
import { SetupError } from './native/locate-runtime.js';
import type { DeferralProgress, Op, RequestMessage, ResponseMessage, ResponseOf } from '../protocol/messages.js';
import { reapOrphans } from './reaper.js';
import { leftRunningAfterClose, rememberOwnProcesses } from './left-running.js';
import { rememberTmpDir, shutDown } from './shutdown.js';
import { onClose, onRequest, send } from './wire.js';
import { exitIfChannelLost, watchChannels } from './channels.js';
import { setProcessControls } from './process-control.js';
import { RequestError, WorkerSession } from './session.js';
import { LOG_PIPE_FD } from '../protocol/constants.js';

const runtime = getRuntime();
watchChannels(runtime.init(LOG_PIPE_FD));
setProcessControls();
// under valgrind (memcheck): a leak check after every plugin call, so each leak is told with the call that made it;
// a runtime built without valgrind's headers cannot mark the calls, and would only report wrong things
if (process.env.OVPH_MEMCHECK === '1' && runtime.memcheckEnable(1) !== 1) {
  throw new SetupError(
    "memcheck cannot attribute findings to plugin calls: this native runtime was built without valgrind's headers (install valgrind, e.g. apt-get install valgrind, then rebuild the runtime: make build)",
  );
}
const session = new WorkerSession();
send({ event: 'ready' }); // the caller's request time limits start now

/** Reap plugins' zombie children after requests, at most every 50 ms (a /proc scan per request costs too much
 * with thousands of clients), and always within 50 ms of the last request. */
let lastReap = 0;
let reapScheduled = false;
function reapSoon(): void {
  const wait = lastReap + 50 - performance.now();
  if (wait <= 0) {
    lastReap = performance.now();
    reapOrphans();
  } else if (!reapScheduled) {
    reapScheduled = true;
    setTimeout(() => {
      reapScheduled = false;
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
  send(msg);
}

/** Serve one request: the response type is the one its op gets (protocol/messages.ts: Operations). */
async function serve(msg: RequestMessage): Promise<ResponseOf<Op>> {
  const progress = (p: DeferralProgress) => send({ event: 'progress', request: msg.id, progress: p });
  switch (msg.op) {
    case 'start':
      rememberOwnProcesses();
      return session.start(msg);
    case 'call':
      return session.call(msg);
    case 'client-connect':
      return session.clientConnect(msg, msg.progress ? progress : undefined);
    case 'client-new':
      return session.clientNew(msg);
    case 'client-life-connect':
      return session.clientLifeConnect(msg, msg.progress ? progress : undefined);
    case 'client-renegotiate':
      return session.clientRenegotiate(msg, msg.progress ? progress : undefined);
    case 'client-end':
      return session.clientEnd(msg);
    case 'close':
      session.close();
      return { leftRunning: await leftRunningAfterClose() };
    case 'restart':
      return session.restart(msg);
    default:
      throw new RequestError({ kind: 'bad-request', message: `unknown request ${(msg as { op: string }).op}` });
  }
}

async function handle(msg: RequestMessage): Promise<void> {
  try {
    const result = await serve(msg);
    reply({ id: msg.id, ok: true, result });
    reapSoon(); // after the reply: the caller does not wait for the /proc scan
  } catch (err) {
    const error = err instanceof RequestError ? err.error : { kind: 'internal' as const, message: (err as Error).stack ?? String(err) };
    reply({ id: msg.id, ok: false, error });
  }
}

onRequest((m) => {
  rememberTmpDir(m);
  void handle(m);
});
// The supervisor stopped this worker, or is gone: close the plugins as a server shutdown would, end what they
// started, remove the caller's temp dirs, leave.
onClose(() => shutDown(() => session.close()));
// Reap zombies of plugins' unwaited children even while idle (e.g. during a long deferral).
setInterval(reapOrphans, 1000).unref();
