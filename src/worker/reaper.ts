// Reap zombie children that plugins forked and never waited for (scripts run with spawnSync, which waits for its own).
import { readFileSync } from 'node:fs';
import { ownChildren } from '../util/process-scan.js';
import { getRuntime } from './native/runtime.js';

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/** Reap every zombie child; returns how many were reaped. */
export function reapOrphans(): number {
  let n = 0;
  for (const pid of ownChildren()) {
    if (!isZombie(pid)) continue;
    if (getRuntime().reap(pid) >= 0) n++;
  }
  return n;
}
