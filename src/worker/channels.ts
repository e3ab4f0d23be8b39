// The worker's lifelines to the supervisor (IPC channel, log pipe, the plugin's stdout/stderr pipes).
// - A plugin that closes file descriptors it does not own can cut the IPC channel or the log pipe. Checked before each
//   reply: a worker that lost one exits at once with a code that says which, instead of dying later somewhere in libuv
//   (or answering without its log), so the supervisor can name the cause.
// - stdout/stderr must stay blocking: forked children share their open file description, and printf into a
//   non-blocking pipe the supervisor has not drained yet fails with EAGAIN: lines would be lost.
import { fstatSync, readdirSync, readlinkSync } from 'node:fs';
import koffi from 'koffi';
import { CHANNEL_FD, LOST_CHANNEL_EXIT_BASE } from '../protocol/constants.js';

/** The message channel to the caller (src/worker/wire.ts). */
const IPC_FD = CHANNEL_FD;

let watched: Array<{ fd: number; bit: number; ino: number; dev: number }> = [];
let libc: { exit: (status: number) => void; fcntl: (fd: number, cmd: number, ...args: unknown[]) => number } | undefined;

function getLibc(): NonNullable<typeof libc> {
  if (!libc) {
    const lib = koffi.load('libc.so.6');
    libc = {
      exit: lib.func('void _exit(int status)') as (status: number) => void,
      fcntl: lib.func('int fcntl(int fd, int cmd, ...)') as (fd: number, cmd: number, ...args: unknown[]) => number,
    };
  }
  return libc;
}

const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

/** Clear O_NONBLOCK on FD (something in the worker, e.g. tsx touching process.stdout, may have set it). */
function makeBlocking(fd: number): void {
  const { fcntl } = getLibc();
  const flags = fcntl(fd, F_GETFL);
  if (flags >= 0 && flags & O_NONBLOCK) fcntl(fd, F_SETFL, 'int', flags & ~O_NONBLOCK);
}

/** libc's fstat into a reused buffer (glibc 2.33 and later export it; before, fs.fstatSync is used): the check runs
 * before every reply, and fstatSync makes a Stats object with four Dates each time. */
let rawFstat: ((fd: number, buf: Uint8Array) => number) | null | undefined;
const statBuf = new Uint8Array(256); // struct stat is 144 (x86_64) or 128 (aarch64) bytes
const statWords = new Uint32Array(statBuf.buffer);

function bindFstat(): typeof rawFstat {
  try {
    return koffi.load('libc.so.6').func('int fstat(int fd, void *buf)') as (fd: number, buf: Uint8Array) => number;
  } catch {
    return null;
  }
}

/** FD's device and inode (st_dev at offset 0 and st_ino at 8, in x86_64's and aarch64's struct stat alike), or
 * undefined when it is closed. */
export function fdIdentity(fd: number): { ino: number; dev: number } | undefined {
  if (rawFstat === undefined) rawFstat = process.arch === 'x64' || process.arch === 'arm64' ? bindFstat() : null;
  if (rawFstat) {
    if (rawFstat(fd, statBuf) !== 0) return undefined;
    return { dev: statWords[0]! + statWords[1]! * 2 ** 32, ino: statWords[2]! + statWords[3]! * 2 ** 32 };
  }
  try {
    const st = fstatSync(fd);
    return { ino: st.ino, dev: st.dev };
  } catch {
    return undefined;
  }
}

/** The descriptors of Node's event loop (libuv's epoll and eventfd), which live as long as the process: a plugin
 * that closes them (e.g. 3..100 in the worker itself) leaves a worker that aborts at its next turn of the loop. */
function eventLoopFds(): number[] {
  const fds: number[] = [];
  try {
    for (const name of readdirSync('/proc/self/fd')) {
      try {
        if (/^anon_inode:\[(eventpoll|eventfd)\]$/.test(readlinkSync(`/proc/self/fd/${name}`))) fds.push(Number(name));
      } catch {
        // closed meanwhile (the descriptor readdir itself used)
      }
    }
  } catch {
    // no /proc: not watched
  }
  return fds;
}

/** Remember what the log pipe (LOG_FD, from the runtime's init), the IPC channel and the event loop's descriptors
 * are now; make the plugin's stdout/stderr pipes blocking. */
export function watchChannels(logFd: number): void {
  makeBlocking(1);
  makeBlocking(2);
  watched = [];
  for (const [fd, bit] of [[logFd, 1], [IPC_FD, 2], ...eventLoopFds().map((fd) => [fd, 4] as const)] as const) {
    const id = fd >= 0 ? fdIdentity(fd) : undefined;
    if (id) watched.push({ fd, bit, ...id });
  }
}

/** 0 when every channel is intact, else the bits of the lost ones (1 log pipe, 2 IPC channel, 4 the event loop's). */
function lostChannels(): number {
  let lost = 0;
  for (const w of watched) {
    const id = fdIdentity(w.fd);
    if (!id || id.ino !== w.ino || id.dev !== w.dev) lost |= w.bit;
  }
  return lost;
}

/** Exit at once if a channel is gone (nothing can be reported through it any more). With _exit: Node's own exit path
 * would touch libuv descriptors the plugin closed and abort. */
export function exitIfChannelLost(): void {
  const lost = lostChannels();
  if (!lost) return;
  getLibc().exit(LOST_CHANNEL_EXIT_BASE + lost);
}
