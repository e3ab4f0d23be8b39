// The worker's process settings (prctl): continued when its caller dies, and the parent of its plugins' orphans.
import koffi from 'koffi';

const PR_SET_PDEATHSIG = 1;
const PR_SET_CHILD_SUBREAPER = 36;
const SIGCONT = 18;

/** Set both (start-up, before any plugin runs):
 * - a SIGCONT when the caller (strictly: the caller's thread that started this worker) is gone, so that a worker
 *   stopped (SIGSTOP) then still sees its channel close and cleans up; harmless to a running worker;
 * - child subreaper: a plugin's orphaned descendants (a daemon's double fork) become the worker's children instead of
 *   init's, so the worker can still find and end them (src/worker/shutdown.ts) and reaps them when they exit. */
export function setProcessControls(): void {
  const prctl = koffi.load('libc.so.6').func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)') as (
    ...args: number[]
  ) => number;
  prctl(PR_SET_PDEATHSIG, SIGCONT, 0, 0, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}
