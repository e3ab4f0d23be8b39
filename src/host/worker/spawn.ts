// Start a plugin worker process (and, for the CLI, start one early, while the CLI's own modules still load).
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { WORKER_MARK_VAR } from '../../util/process-scan.js';
import { RUNNING_FROM_SOURCE } from '../../util/package-root.js';

/** The worker's env: the caller's, without NODE_EXTRA_CA_CERTS (the worker makes no TLS connections, and loading
 * a CA bundle costs every Node start-up ~50 ms), with the worker's own mark (inherited by every process its plugins
 * start, so that they can be found and ended, whatever process group or session they moved to). */
function workerEnv(mark: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, [WORKER_MARK_VAR]: mark };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

let workersForked = 0;
const marks = new WeakMap<ChildProcess, string>();

/** The mark a worker (and every process it started) carries in its environment. */
export function workerMark(child: ChildProcess): string | undefined {
  return marks.get(child);
}

/** Fork a worker. detached: it leads its own process group, so every process a plugin forked can be ended with it;
 * it also keeps a terminal's Ctrl-C for the caller to handle. stdio: stdout, stderr, IPC, log pipe. */
export function forkWorker(): ChildProcess {
  const entry = fileURLToPath(new URL(`../../worker/main.${RUNNING_FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url));
  const mark = `${process.pid}.${++workersForked}.${randomBytes(6).toString('hex')}`;
  const child = fork(entry, [], {
    execArgv: RUNNING_FROM_SOURCE ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
    serialization: 'json',
    detached: true,
    env: workerEnv(mark),
  });
  marks.set(child, mark);
  return child;
}

/** A spare must not keep the caller alive (a usage error exits at once): unref its process, channel and pipes
 * until a WorkerProcess takes it, then ref them again. */
function setRef(child: ChildProcess, on: boolean): void {
  type Refable = { ref?: () => unknown; unref?: () => unknown } | null | undefined;
  const handles = [child, child.channel, ...child.stdio] as Refable[];
  for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
}

interface Spare {
  child: ChildProcess;
  /** IPC messages that arrived before a WorkerProcess took the child (replayed to it). */
  messages: unknown[];
  buffer: (m: unknown) => void;
}

let spare: Spare | undefined;

/** Start one worker now, to be taken by the next WorkerProcess; it is killed at exit if nobody took it. */
export function prefork(): void {
  if (spare) return;
  const child = forkWorker();
  const messages: unknown[] = [];
  const buffer = (m: unknown) => messages.push(m);
  child.on('message', buffer);
  child.on('error', () => undefined);
  setRef(child, false);
  spare = { child, messages, buffer };
  process.once('exit', () => {
    if (spare?.child !== child || !child.pid) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
}

/** The pre-started worker, if there is a live one, with the messages it already sent. */
export function takePreforked(): { child: ChildProcess; messages: unknown[] } | undefined {
  const s = spare;
  spare = undefined;
  if (!s) return undefined;
  s.child.off('message', s.buffer);
  if (s.child.exitCode !== null || s.child.signalCode !== null || !s.child.connected) {
    try {
      if (s.child.pid) process.kill(-s.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    return undefined;
  }
  setRef(s.child, true);
  return { child: s.child, messages: s.messages };
}
