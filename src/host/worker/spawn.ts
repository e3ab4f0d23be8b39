// Start a plugin worker process (and, for the CLI, start one early, while the CLI's own modules still load).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNEL_FD, LOG_PIPE_FD } from '../../protocol/constants.js';
import { PACKAGE_ROOT, RUNNING_FROM_SOURCE } from '../../util/package-root.js';
import { WORKER_MARK_VAR } from '../../util/process-scan.js';
import { isFreshBundle } from '../../util/fresh-bundle.js';
import { Wire } from './wire.js';
import { valgrindArgs } from '../memcheck/valgrind-command.js';

/** The worker's env: the caller's, without NODE_EXTRA_CA_CERTS (the worker makes no TLS connections, and loading
 * a CA bundle costs every Node start-up ~50 ms), with the worker's own mark (inherited by every process its plugins
 * start, so that they can be found and ended, whatever process group or session they moved to). */
function workerEnv(mark: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, [WORKER_MARK_VAR]: mark };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** A started worker: its process, its message channel, and the mark it and everything it starts carry. */
export interface WorkerChild {
  child: ChildProcess;
  wire: Wire;
  mark: string;
}

/** The worker's Node command line: the worker bundle (dist/bundle/worker.cjs, built by scripts/bundle.mjs: it starts
 * faster than the hundred modules it holds) when it is there and not older than them, else its modules (dist/worker/main.js; from the
 * TypeScript sources under tsx, src/worker/main.ts). */
let workerCommand: string[] | undefined;
function workerNodeArgs(): string[] {
  if (workerCommand) return workerCommand;
  if (RUNNING_FROM_SOURCE) {
    workerCommand = [process.execPath, '--import', 'tsx', fileURLToPath(new URL('../../worker/main.ts', import.meta.url))];
  } else {
    const bundle = join(PACKAGE_ROOT, 'dist', 'bundle', 'worker.cjs');
    const modules = join(PACKAGE_ROOT, 'dist', 'worker', 'main.js');
    workerCommand = [process.execPath, isFreshBundle(bundle, modules) ? bundle : modules];
  }
  return workerCommand;
}

/** Extra Node flags for the worker (--cpu-prof, --heap-prof, --heapsnapshot-signal=SIGUSR2, ...: flags Node refuses
 * in NODE_OPTIONS), split on white space; see docs/profiling.md. */
const WORKER_NODE_FLAGS_VAR = 'OVPN_PLUGIN_HOST_WORKER_NODE_FLAGS';

/** The flags WORKER_NODE_FLAGS_VAR holds (none when unset or blank). */
function workerNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[WORKER_NODE_FLAGS_VAR] ?? '').split(/\s+/).filter((f) => f !== '');
}

let workersForked = 0;
let devNull: number | undefined;

/** The worker's stdio: stdout, stderr, the log pipe (LOG_PIPE_FD), the message channel (CHANNEL_FD); fd 3, where
 * plugins like to write, is /dev/null (kept open here once, for every worker). */
function workerStdio(): Array<'ignore' | 'pipe' | number> {
  devNull ??= openSync('/dev/null', 'r+');
  const stdio: Array<'ignore' | 'pipe' | number> = Array.from({ length: CHANNEL_FD + 1 }, () => 'ignore');
  stdio[1] = 'pipe';
  stdio[2] = 'pipe';
  stdio[3] = devNull;
  stdio[LOG_PIPE_FD] = 'pipe';
  stdio[CHANNEL_FD] = 'pipe';
  return stdio;
}

/** Start a worker. detached: it leads its own process group, so every process a plugin forked can be ended with
 * it; it also keeps a terminal's Ctrl-C for the caller to handle. MEMCHECK: run it under valgrind (see
 * memcheck/valgrind-command.ts), its XML written to that file. */
export function forkWorker(memcheck?: { xmlFile: string; valgrind: string }): WorkerChild {
  const mark = `${process.pid}.${++workersForked}.${randomBytes(6).toString('hex')}`;
  const [nodeBin, ...nodeArgs] = workerNodeArgs();
  const node = [nodeBin!, ...workerNodeFlags(), ...nodeArgs];
  const env = workerEnv(mark);
  if (memcheck) env.OVPH_MEMCHECK = '1';
  const [file, ...args] = memcheck ? [memcheck.valgrind, ...valgrindArgs(memcheck.xmlFile), ...node] : node;
  const child = spawn(file!, args, { stdio: workerStdio(), detached: true, env });
  const channel = (child.stdio as unknown[])[CHANNEL_FD] as Socket;
  return { child, wire: new Wire(channel), mark };
}

/** A spare must not keep the caller alive (a usage error exits at once): unref its process, channel and pipes
 * until a WorkerProcess takes it, then ref them again. */
function setRef(w: WorkerChild, on: boolean): void {
  type Refable = { ref?: () => unknown; unref?: () => unknown } | null | undefined;
  const handles = [w.child, ...w.child.stdio] as Refable[];
  for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
  w.wire.ref(on);
}

interface Spare {
  worker: WorkerChild;
  /** Messages that arrived before a WorkerProcess took the worker (replayed to it). */
  messages: unknown[];
  buffer: (m: unknown) => void;
}

let spare: Spare | undefined;

/** Start one worker now, to be taken by the next WorkerProcess; it is killed at exit if nobody took it. */
export function prefork(): void {
  if (spare) return;
  const worker = forkWorker();
  const messages: unknown[] = [];
  const buffer = (m: unknown) => messages.push(m);
  worker.wire.on('message', buffer);
  worker.child.on('error', () => undefined);
  setRef(worker, false);
  spare = { worker, messages, buffer };
  process.once('exit', () => {
    if (spare?.worker !== worker || !worker.child.pid) return;
    try {
      process.kill(-worker.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
}

/** The pre-started worker, if there is a live one, with the messages it already sent. */
export function takePreforked(): { worker: WorkerChild; messages: unknown[] } | undefined {
  const s = spare;
  spare = undefined;
  if (!s) return undefined;
  const { child, wire } = s.worker;
  wire.off('message', s.buffer);
  if (child.exitCode !== null || child.signalCode !== null || !wire.connected) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    return undefined;
  }
  setRef(s.worker, true);
  return { worker: s.worker, messages: s.messages };
}
