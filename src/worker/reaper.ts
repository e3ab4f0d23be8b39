// Reap zombie children that plugins forked and never waited for (scripts run with spawnSync, which waits for its own).
import { readdirSync, readFileSync } from 'node:fs';
import { getRuntime } from './native/runtime.js';

function childrenOfSelf(): number[] {
  const pids: number[] = [];
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const text = readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim();
      if (text) for (const p of text.split(/\s+/)) pids.push(Number(p));
    }
  } catch {
    // /proc not available: nothing to do
  }
  return pids;
}

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
  for (const pid of childrenOfSelf()) {
    if (!isZombie(pid)) continue;
    if (getRuntime().reap(pid) >= 0) n++;
  }
  return n;
}
