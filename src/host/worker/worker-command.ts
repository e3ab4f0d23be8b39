// How a worker process is started (its Node command line, env and stdio), with only Node's own modules and a few small
// ones: the CLI's entry (src/cli.cts) starts one with it before its own modules load (see early-worker.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNEL_FD, LOG_PIPE_FD } from '../../protocol/constants.js';
import { isFreshBundle } from '../../util/fresh-bundle.cjs';
import { PACKAGE_ROOT, RUNNING_FROM_SOURCE } from '../../util/package-root.js';
import { WORKER_MARK_VAR } from '../../util/process-scan.js';

/** A started worker process and the mark it and everything it starts carry. */
export interface WorkerStart {
  child: ChildProcess;
  mark: string;
}

/** The worker's env: the caller's, without NODE_EXTRA_CA_CERTS (the worker makes no TLS connections, and loading
 * a CA bundle costs every Node start-up ~50 ms), with the worker's own mark (inherited by every process its plugins
 * start, so that they can be found and ended, whatever process group or session they moved to). */
function workerEnv(mark: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, [WORKER_MARK_VAR]: mark };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** The worker's Node command line: the worker bundle (dist/bundle/worker.cjs, built by scripts/bundle.mjs: it starts
 * faster than the hundred modules it holds) when it is there and not older than them, else its modules
 * (dist/worker/main.js; from the TypeScript sources under tsx, src/worker/main.ts). */
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

let workersStarted = 0;
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

/** Start a worker process. detached: it leads its own process group, so every process a plugin forked can be ended
 * with it; it also keeps a terminal's Ctrl-C for the caller to handle. WRAP: a command the Node command line is
 * appended to (valgrind's, for --memcheck), with extra env. */
export function startWorkerProcess(wrap?: { command: string[]; env: NodeJS.ProcessEnv }): WorkerStart {
  // unique, not secret: this process's pid and count, and a random part against pid reuse (not node:crypto, which
  // would add its start-up to the CLI's before the worker starts)
  const mark = `${process.pid}.${++workersStarted}.${Math.random().toString(36).slice(2, 10)}`;
  const [nodeBin, ...nodeArgs] = workerNodeArgs();
  const node = [nodeBin!, ...workerNodeFlags(), ...nodeArgs];
  const env = { ...workerEnv(mark), ...wrap?.env };
  const [file, ...args] = wrap ? [...wrap.command, ...node] : node;
  const child = spawn(file!, args, { stdio: workerStdio(), detached: true, env });
  return { child, mark };
}
