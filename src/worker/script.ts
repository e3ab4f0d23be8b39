// Runs a --client-connect script as OpenVPN does: execve of the path as given, the client's env, waited for to its exit.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, unlinkSync, constants as fsc } from 'node:fs';
import { basename, join } from 'node:path';
import { getRuntime } from './native/runtime.js';

/** Most bytes of a script's stdout (and of its stderr) put into the log; the rest is counted and said. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

export interface ScriptExit {
  exitCode: number | null;
  signal: string | null;
  note?: string;
}

/** The file OpenVPN would execute for ARGV0: execve takes the path as given, so a bare name is relative to the
 * current directory, never looked up in PATH. */
function scriptFile(argv0: string): string {
  return argv0.includes('/') ? argv0 : `./${argv0}`;
}

function envObject(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const i = e.indexOf('=');
    if (i > 0 && !(e.slice(0, i) in out)) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

/** An anonymous file in DIR for a script's output: created, then unlinked at once (nothing to clean up, and a
 * background child the script left holding it writes into a file nobody reads). */
function outputFile(dir: string): number {
  const path = join(dir, `ovph_script_out_${randomBytes(8).toString('hex')}.tmp`);
  const fd = openSync(path, fsc.O_RDWR | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  unlinkSync(path);
  return fd;
}

/** Log the lines written to FD so far (at most MAX_OUTPUT_BYTES of them, the rest said in one line). */
function logOutput(fd: number, flags: number, name: string): void {
  const rt = getRuntime();
  const size = fstatSync(fd).size;
  const buf = Buffer.alloc(Math.min(size, MAX_OUTPUT_BYTES));
  let n = 0;
  while (n < buf.length) {
    const r = readSync(fd, buf, n, buf.length - n, n);
    if (r === 0) break;
    n += r;
  }
  for (const line of buf.subarray(0, n).toString('utf8').split('\n')) if (line) rt.logLine(flags, name, line);
  if (size > n) rt.logLine(flags, 'ovpn-plugin-host', `${name} wrote ${size} bytes to ${flags ? 'stderr' : 'stdout'}: only the first ${n} were logged`);
}

/** Run ARGV with exactly ENV (the client's env, as OpenVPN does), and wait for the script process to exit, as the
 * server does; not for children it left behind holding its output. Its stdout and stderr go to the log. One that does
 * not exit within LIMIT_MS is killed and fails. TMP_DIR holds its output while it runs. */
export function runScript(argv: readonly string[], env: readonly string[], limitMs: number, tmpDir: string): ScriptExit {
  const rt = getRuntime();
  const name = basename(argv[0]!);
  const out = outputFile(tmpDir);
  const err = outputFile(tmpDir);
  try {
    const r = spawnSync(scriptFile(argv[0]!), argv.slice(1), {
      argv0: argv[0],
      env: envObject(env),
      stdio: ['ignore', out, err],
      timeout: limitMs,
      killSignal: 'SIGKILL',
    });
    logOutput(out, 0, name);
    logOutput(err, 2, name);
    const e = r.error as NodeJS.ErrnoException | undefined;
    if (e?.code === 'ETIMEDOUT') {
      return { exitCode: null, signal: 'SIGKILL', note: `--client-connect script did not exit within ${limitMs / 1000} s and was killed` };
    }
    if (e) {
      const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied (not executable?)' : e.message;
      const note = `--client-connect script ${scriptFile(argv[0]!)} cannot be run: ${why}`;
      rt.logLine(1, name, note);
      return { exitCode: 127, signal: null, note };
    }
    return { exitCode: r.status, signal: r.signal };
  } finally {
    closeSync(out);
    closeSync(err);
  }
}
