// Last resort on Ctrl-C/SIGTERM: SIGKILL this process's own direct children (plugin workers still starting up), by pid.
import { ownChildren } from '../util/process-scan.js';

/** SIGKILL every direct child (a worker whose host object the CLI never got, e.g. interrupted during open), with
 * its process group (a worker leads its own group: the plugin's forked children go with it). */
export function killOwnChildren(): void {
  for (const pid of ownChildren()) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // no such group, or already gone
      }
    }
  }
}
