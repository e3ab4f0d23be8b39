// Find and end the processes of one worker, wherever they went (a new session, a new process group, re-parented):
// every process the worker or its plugins start inherits the worker's marker variable (WORKER_MARK_VAR).
import { readdirSync, readFileSync } from 'node:fs';

/** The environment variable that marks a worker and everything it starts; its value is unique per worker. */
export const WORKER_MARK_VAR = 'OVPN_PLUGIN_HOST_WORKER';

/** One process's line of /proc/<pid>/stat, the fields used here. */
export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  /** One letter: R running, S sleeping, T stopped ('t', traced, reads as T), Z zombie (exited, not yet waited for), ... */
  state: string;
}

/** PID's /proc/<pid>/stat, or undefined when it is gone (or there is no /proc). */
export function processStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = f[0] === 't' ? 'T' : (f[0] ?? '');
    return { pid, ppid: Number(f[1]), pgrp: Number(f[2]), state };
  } catch {
    return undefined;
  }
}

/** Every process's parent and process group, from /proc (empty without /proc). */
function procStats(): ProcStat[] {
  const out: ProcStat[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const stat = processStat(pid);
    if (stat) out.push(stat); // else gone meanwhile
  }
  return out;
}

/** Whether PID's environment holds NEEDLE (a leading NUL is added, so that the first variable matches too). */
function environHas(pid: number, needle: Buffer): boolean {
  try {
    return Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${pid}/environ`)]).includes(needle);
  } catch {
    return false; // gone, or not ours to read
  }
}

export interface ProcessSet {
  /** Processes whose environment holds WORKER_MARK_VAR=mark. */
  mark: string;
  /** Every other member of this process group. */
  group?: number;
  /** Every descendant of this process. */
  root?: number;
}

/** Pids of the processes (this one excepted) in SET. Needs /proc; processes of other users (or set-uid ones) cannot
 * be read and are not found by their mark. With `running`, zombies (exited, only not yet waited for) are left out. */
function processesOf(set: ProcessSet, running = false): number[] {
  const all = procStats();
  const stats = running ? all.filter((p) => p.state !== 'Z') : all;
  const found = new Set<number>();
  if (set.root !== undefined) {
    const children = new Map<number, number[]>();
    for (const p of stats) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
    const stack = [...(children.get(set.root) ?? [])];
    while (stack.length) {
      const pid = stack.pop()!;
      found.add(pid);
      stack.push(...(children.get(pid) ?? []));
    }
  }
  const needle = Buffer.from(`\0${WORKER_MARK_VAR}=${set.mark}\0`);
  for (const p of stats) {
    if (found.has(p.pid)) continue;
    if ((set.group !== undefined && p.pgrp === set.group) || (set.mark && environHas(p.pid, needle))) found.add(p.pid);
  }
  found.delete(process.pid);
  return [...found];
}

/** SIGKILL every process of SET: what a worker's plugins left running, in any process group. */
export function killProcesses(set: ProcessSet): void {
  for (const pid of processesOf(set)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** The processes of SET that are still running (zombies left out), each with its command line (the arguments joined
 * by spaces; `[comm]` for a process without one). */
export function runningProcesses(set: ProcessSet): Array<{ pid: number; command: string }> {
  const out: Array<{ pid: number; command: string }> = [];
  for (const pid of processesOf(set, true)) {
    const command = commandLine(pid) || commName(pid); // (undefined: gone meanwhile)
    if (command !== undefined) out.push({ pid, command });
  }
  return out;
}

/** The command line of PID ('self': this process), its arguments joined by spaces ('' for a process without one, a
 * kernel thread or a zombie); undefined when it is gone. */
export function commandLine(pid: number | 'self'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0+$/, '').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/** `[name]`, the kernel's name of PID (for a process without a command line); undefined when it is gone. */
function commName(pid: number): string | undefined {
  try {
    return `[${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}]`;
  } catch {
    return undefined;
  }
}

/** This process's direct children (every thread's), from /proc; empty where /proc is unavailable. Cheap: it reads only
 * this process's own entries, where a scan reads every process's. */
export function ownChildren(): number[] {
  const pids: number[] = [];
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const text = readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim();
      if (text) for (const p of text.split(/\s+/)) pids.push(Number(p));
    }
  } catch {
    // no /proc: nothing found
  }
  return pids;
}
