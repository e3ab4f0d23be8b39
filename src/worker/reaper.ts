// Reap zombie children that plugins forked and never waited for (scripts run with spawnSync, which waits for its own).
import { ownChildren, processStat } from '../util/process-scan.js';
import { getRuntime } from './native/runtime.js';

/** Reap every zombie child; returns how many were reaped. */
export function reapOrphans(): number {
  let n = 0;
  for (const pid of ownChildren()) {
    if (processStat(pid)?.state !== 'Z') continue;
    if (getRuntime().reap(pid) >= 0) n++;
  }
  return n;
}
