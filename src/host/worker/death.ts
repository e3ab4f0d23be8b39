// Why a worker process is gone, from what it left behind: its exit code or signal, the crash or hang record its
// runtime wrote, the caller's own deadline, and the channels it lost first. Pure.
import { constants as osConstants } from 'node:os';
import { hookName } from '../../openvpn/constants.js';
import { CHANNEL_FD, LOST_CHANNEL_EXIT_BASE, PSEUDO_CALL_NAMES } from '../../protocol/constants.js';
import type { CallSite, CrashFrame } from '../../protocol/failures.js';

/** Why the worker is gone. `during` names the plugin call in progress, when the worker could tell. */
export type WorkerDeath =
  | { reason: 'crashed'; signal: string | null; exitCode: number | null; during?: CallSite; frames?: CrashFrame[]; cause?: string }
  | { reason: 'hung'; timeoutMs: number; during?: CallSite; cause?: string };

/** A crash or hang record of the runtime: the plugin (index) and hook type (or pseudo call) it happened in. */
export interface RuntimeRecord {
  plugin: number;
  type: number;
}

/** What is known when the worker process has exited. */
export interface DeathEvidence {
  exitCode: number | null;
  signal: string | null;
  /** The runtime's watchdog fired (a plugin call overran the call timeout). */
  hung?: RuntimeRecord & { timeoutMs: number };
  /** The runtime caught a fatal signal inside a plugin call. */
  crash?: RuntimeRecord & { signal: number; frames?: CrashFrame[] };
  /** The caller killed it itself (its own deadline, or the boot limit). */
  killed?: WorkerDeath;
  /** Channels the worker lost while alive, and what it was serving then. */
  lost: ReadonlySet<string>;
  lostDuring: string;
  /** The start of a line in the message channel that was not a message (the caller killed the worker for it). */
  garbage?: string;
}

/** The plugin call a runtime record names. */
function callSite(record: RuntimeRecord): CallSite | undefined {
  if (record.plugin < 0) return undefined;
  return { plugin: record.plugin, call: record.type >= 0 ? hookName(record.type) : (PSEUDO_CALL_NAMES[record.type] ?? `call ${record.type}`) };
}

function signalName(sig: number): string {
  const entry = Object.entries(osConstants.signals).find(([, n]) => n === sig);
  return entry ? entry[0] : `signal ${sig}`;
}

/** The channels a worker's exit code says it found gone (it exits at once with base + bits): log pipe, IPC channel,
 * the descriptors of its event loop. */
export function lostChannelsOfExit(code: number | null): string[] {
  if (code === null || code <= LOST_CHANNEL_EXIT_BASE || code > LOST_CHANNEL_EXIT_BASE + 7) return [];
  const bits = code - LOST_CHANNEL_EXIT_BASE;
  return [...(bits & 1 ? ['its log pipe'] : []), ...(bits & 2 ? ['its IPC channel'] : []), ...(bits & 4 ? ["its event loop's descriptors"] : [])];
}

/** Why the worker died: a watchdog hang first, then the caller's own hang verdict, else a crash (with its call site);
 * a worker that lost its channels without a crash in a plugin call says so as the cause. */
export function classifyDeath(e: DeathEvidence): WorkerDeath {
  let death: WorkerDeath;
  if (e.hung) {
    death = { reason: 'hung', timeoutMs: e.hung.timeoutMs, during: callSite(e.hung) };
  } else if (e.killed?.reason === 'hung') {
    death = { ...e.killed };
  } else {
    const signal = e.signal ?? (e.crash ? signalName(e.crash.signal) : null);
    death = { reason: 'crashed', signal, exitCode: e.exitCode, during: e.crash ? callSite(e.crash) : undefined };
    if (e.crash?.frames?.length) death.frames = e.crash.frames;
  }
  if (e.garbage !== undefined) {
    return {
      reason: 'crashed',
      signal: null,
      exitCode: null,
      cause:
        `something wrote into the worker's message channel (fd ${CHANNEL_FD}) while it served ${e.lostDuring}: `
        + `${JSON.stringify(e.garbage)} is not a message; a plugin wrote to a file descriptor it did not open, `
        + 'and the worker was killed',
    };
  }
  // A fault recorded between plugin calls (a plugin's own thread) says why the channels went: they closed as the
  // worker died. An abort there is libuv finding its descriptors gone: a plugin closed them (the race in faults.test).
  const faulted = e.crash !== undefined && e.crash.signal !== osConstants.signals.SIGABRT;
  if (e.lost.size > 0 && !death.during && !faulted) {
    death.cause =
      `the worker lost ${[...e.lost].join(' and ')} while serving ${e.lostDuring}: a plugin closed file descriptors `
      + `it did not open (the IPC channel is fd ${CHANNEL_FD}, the log pipe fd >= 101)`;
  }
  return death;
}
