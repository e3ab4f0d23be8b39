// Find and end the processes of one worker, wherever they went (a new session, a new process group, re-parented):
// every process the worker or its plugins start inherits the worker's marker variable (WORKER_MARK_VAR).
import { readdirSync, readFileSync } from 'node:fs';

/** The environment variable that marks a worker and everything it starts; its value is unique per worker. */
export const WORKER_MARK_VAR = 'OVPN_PLUGIN_HOST_WORKER';

/** The process group of PID, from /proc (undefined when gone). */
function processGroup(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/** Pids of the processes (this one excepted) whose environment holds WORKER_MARK_VAR=MARK, or that are in process
 * group GROUP. Needs /proc; processes of other users (or set-uid ones) cannot be read and are not found. */
function processesMarked(mark: string, group?: number): number[] {
  const needle = Buffer.from(`\0${WORKER_MARK_VAR}=${mark}\0`);
  const pids: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (group !== undefined && processGroup(pid) === group) {
      pids.push(pid);
      continue;
    }
    if (!mark) continue;
    try {
      // a leading NUL, so that the variable matches at the start of the environment too
      const env = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${pid}/environ`)]);
      if (env.includes(needle)) pids.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** SIGKILL every process marked with MARK (what a worker's plugins left running, in any process group), and every
 * other member of process group GROUP. */
export function killMarked(mark: string, group?: number): void {
  for (const pid of processesMarked(mark, group)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
