// Last resort on Ctrl-C/SIGTERM: SIGKILL this process's own direct children (plugin workers still starting up), by pid.
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of this process's direct children (from /proc; empty where /proc is unavailable). */
function ownChildPids(): number[] {
  const pids: number[] = [];
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const text = readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim();
      if (text) for (const pid of text.split(/\s+/)) pids.push(Number(pid));
    }
  } catch {
    // no /proc: nothing we can do
  }
  return pids;
}

/** SIGKILL every direct child (a worker whose host object the CLI never got, e.g. interrupted during open), with
 * its process group (a worker leads its own group: the plugin's forked children go with it). */
export function killOwnChildren(): void {
  for (const pid of ownChildPids()) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // no such group, or already gone
      }
    }
  }
}
