// After CLOSE: the processes the plugins started that are still running (a plugin's helper it never ended). Each gets
// a short grace to exit on its own (a helper told to exit at close may still be on its way out).
import { readFileSync } from 'node:fs';
import type { RunningProcess } from '../protocol/messages.js';
import { ownChildren, runningProcesses, WORKER_MARK_VAR } from '../util/process-scan.js';

/** How long a plugin's processes get to exit after close before they count as left running. */
const GRACE_MS = 500;
const STEP_MS = 25;

/** The worker and everything it or its plugins start. */
const workerSet = () => ({ mark: process.env[WORKER_MARK_VAR] ?? '', group: process.pid, root: process.pid });

/** Processes the worker had before any plugin was loaded (e.g. a TypeScript loader's service in a dev checkout). */
let ownBefore = new Set<number>();

/** Remember the worker's own processes, before the plugins load: they are never reported as left by a plugin. */
export function rememberOwnProcesses(): void {
  // as in leftRunningAfterClose: with no child (tsx's esbuild service is one), the worker has no process anywhere
  ownBefore = ownChildren().length === 0 ? new Set() : new Set(runningProcesses(workerSet()).map((p) => p.pid));
}

/** This worker's other processes still running after GRACE_MS (none: an empty list). They are ended with the worker. */
export async function leftRunningAfterClose(): Promise<RunningProcess[]> {
  // the worker is its plugins' orphans' subreaper: with no child, none of their processes is left anywhere
  const scan = () => (ownChildren().length === 0 ? [] : runningProcesses(workerSet()).filter((p) => !ownBefore.has(p.pid)));
  const until = performance.now() + GRACE_MS;
  let left = scan();
  while (left.length > 0 && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, STEP_MS));
    left = scan();
  }
  return left.map((p) => (p.command === ownCommand() ? { pid: p.pid, command: FORK_OF_WORKER } : p));
}

/** How a process the plugin forked without exec (a copy of the worker) is named: its command line is the worker's. */
const FORK_OF_WORKER = '<a fork() of the worker without exec>';

function ownCommand(): string {
  try {
    return readFileSync('/proc/self/cmdline', 'latin1').replace(/\0+$/, '').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
