// A worker process with its message channel (how it is started: worker-command.ts), and the spare the CLI keeps ready.
import type { Socket } from 'node:net';
import { CHANNEL_FD } from '../../protocol/constants.js';
import { Wire } from './wire.js';
import { valgrindArgs } from '../memcheck/valgrind-command.js';
import { takeEarlyWorker } from './early-worker.js';
import { startWorkerProcess, type WorkerStart } from './worker-command.js';

/** A started worker: its process, its message channel, and the mark it and everything it starts carry. */
export interface WorkerChild extends WorkerStart {
  wire: Wire;
}

/** A started worker process with its message channel (the pipe at CHANNEL_FD) wrapped. */
function withWire(started: WorkerStart): WorkerChild {
  const channel = (started.child.stdio as unknown[])[CHANNEL_FD] as Socket;
  return { ...started, wire: new Wire(channel) };
}

/** Start a worker (see worker-command.ts for how). MEMCHECK: run it under valgrind (see
 * memcheck/valgrind-command.ts), its XML written to that file. */
export function forkWorker(memcheck?: { xmlFile: string; valgrind: string }): WorkerChild {
  const wrap = memcheck && { command: [memcheck.valgrind, ...valgrindArgs(memcheck.xmlFile)], env: { OVPH_MEMCHECK: '1' } };
  return withWire(startWorkerProcess(wrap));
}

/** A spare must not keep the caller alive (a usage error exits at once): unref its process, channel and pipes
 * until a WorkerProcess takes it, then ref them again. */
function setRef(w: WorkerChild, on: boolean): void {
  type Refable = { ref?: () => unknown; unref?: () => unknown } | null | undefined;
  const handles = [w.child, ...w.child.stdio] as Refable[];
  for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
  w.wire.ref(on);
}

interface Spare {
  worker: WorkerChild;
  /** Messages that arrived before a WorkerProcess took the worker (replayed to it). */
  messages: unknown[];
  buffer: (m: unknown) => void;
}

let spare: Spare | undefined;

/** Start one worker now (or adopt the one the CLI's entry started: early-worker.ts), to be taken by the next WorkerProcess; it is killed at exit if nobody took it. */
export function prefork(): void {
  if (spare) return;
  const early = takeEarlyWorker();
  const worker = early ? withWire(early) : forkWorker();
  const messages: unknown[] = [];
  const buffer = (m: unknown) => messages.push(m);
  worker.wire.on('message', buffer);
  worker.child.on('error', () => undefined);
  setRef(worker, false);
  spare = { worker, messages, buffer };
  process.once('exit', () => {
    if (spare?.worker !== worker || !worker.child.pid) return;
    try {
      process.kill(-worker.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
}

/** The pre-started worker, if there is a live one, with the messages it already sent. */
export function takePreforked(): { worker: WorkerChild; messages: unknown[] } | undefined {
  const s = spare;
  spare = undefined;
  if (!s) return undefined;
  const { child, wire } = s.worker;
  wire.off('message', s.buffer);
  if (child.exitCode !== null || child.signalCode !== null || !wire.connected) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    return undefined;
  }
  setRef(s.worker, true);
  return { worker: s.worker, messages: s.messages };
}
