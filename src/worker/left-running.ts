// After CLOSE: the processes the plugins started that are still running (a plugin's helper it never ended). Each gets
// a short grace to exit on its own (a helper told to exit at close may still be on its way out).
import type { RunningProcess } from '../protocol/messages.js';
import { commandLine, ownChildren, runningProcesses, WORKER_MARK_VAR, type ProcessSet } from '../util/process-scan.js';

/** How long a plugin's processes get to exit after close before they count as left running. */
const GRACE_MS = 500;
const STEP_MS = 25;

/** Every process the worker or its plugins started, wherever it went: carrying the worker's mark, in its process group,
 * or among its descendants. Undefined when there is none: the worker is the subreaper of its plugins' orphans, so with
 * no child of its own, no such process is left anywhere (and no scan of /proc is needed). */
export function othersOfWorker(): ProcessSet | undefined {
  if (ownChildren().length === 0) return undefined;
  return { mark: process.env[WORKER_MARK_VAR] ?? '', group: process.pid, root: process.pid };
}

/** The processes of othersOfWorker() still running (none when there is none). */
function running(): Array<{ pid: number; command: string }> {
  const set = othersOfWorker();
  return set ? runningProcesses(set) : [];
}

/** Processes the worker had before any plugin was loaded (e.g. a TypeScript loader's service in a dev checkout). */
let ownBefore = new Set<number>();

/** Remember the worker's own processes, before the plugins load: they are never reported as left by a plugin. */
export function rememberOwnProcesses(): void {
  ownBefore = new Set(running().map((p) => p.pid));
}

/** This worker's other processes still running after GRACE_MS (none: an empty list). They are ended with the worker. */
export async function leftRunningAfterClose(): Promise<RunningProcess[]> {
  const scan = () => running().filter((p) => !ownBefore.has(p.pid));
  const until = performance.now() + GRACE_MS;
  let left = scan();
  while (left.length > 0 && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, STEP_MS));
    left = scan();
  }
  const own = commandLine('self');
  return left.map((p) => (p.command === own ? { pid: p.pid, command: FORK_OF_WORKER } : p));
}

/** How a process the plugin forked without exec (a copy of the worker) is named: its command line is the worker's. */
const FORK_OF_WORKER = '<a fork() of the worker without exec>';
