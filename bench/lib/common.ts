// What the benchmarks share: paths, the C baseline, env files, child processes, statistics, verdict lines.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const C_HOST = join(ROOT, 'build', 'bench', 'c-host');
const FIXTURES = join(ROOT, 'build', 'fixtures');
export const fixture = (name: string): string => join(FIXTURES, `${name}.so`);

/** Options every benchmark gets from the runner. */
export interface BenchContext {
  /** Runs per measurement (the median is reported). */
  runs: number;
  /** Shorter runs (for a smoke test of the benchmarks themselves). */
  quick: boolean;
  /** A private temp dir for this benchmark (removed by the runner). */
  tmp: string;
  log(line: string): void;
}

/** One measured figure of ours against the baseline's. */
export interface Row {
  name: string;
  /** Our figure and the baseline's, in `unit`; baseline null when there is none. */
  ours: number;
  baseline: number | null;
  unit: string;
  /** What the target is, e.g. "<= 1.5x C" or "p50 <= 2 ms"; undefined = information only. */
  target?: string;
  pass?: boolean;
  note?: string;
}

export interface BenchResult {
  name: string;
  title: string;
  rows: Row[];
  /** Extra lines printed after the table (how it was measured, what it means). */
  notes?: string[];
}

export interface Benchmark {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function fmt(value: number, unit: string): string {
  if (!Number.isFinite(value)) return `${value}`;
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

export function ratio(ours: number, baseline: number | null): string {
  return baseline ? `${(ours / baseline).toFixed(2)}x` : '-';
}

/** Run a command to completion; stdout, stderr, exit code and wall time (ms). */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ stdout: string; stderr: string; code: number | null; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code, ms: performance.now() - t0 }));
    // a child that exits before reading its stdin (the CLI does) makes this write fail with EPIPE: not an error here
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Run a command that prints one JSON object (the last line of stdout); throws with its stderr if it fails. */
async function runJson<T>(cmd: string, args: readonly string[]): Promise<T> {
  const r = await run(cmd, args);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) {
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  }
  return JSON.parse(last) as T;
}

/** The C baseline host (build/bench/c-host), printing one JSON object. */
export function cHost<T>(mode: string, args: readonly string[]): Promise<T> {
  return runJson<T>(C_HOST, [mode, ...args]);
}

/** Run a benchmark child script (bench/lib/*.ts) under tsx; it prints one JSON object. */
export function tsChild<T>(script: string, args: readonly string[]): Promise<T> {
  return runJson<T>(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'lib', script), ...args]);
}

/** Write env strings to a file, one per line (the format c-host reads). */
export function writeEnvFile(path: string, env: readonly string[]): string {
  writeFileSync(path, `${env.join('\n')}\n`);
  return path;
}

export function readEnvFile(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

/** utime+stime of a process in ms, from /proc (clock-tick resolution, usually 10 ms). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
}

/** Resident set size of a process in MiB (VmRSS). */
export function processRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export function makeTmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeTmp(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Alternate RUNS measurements of A and B (so that machine noise hits both alike); the samples of each. */
export async function alternate<A, B>(runs: number, a: () => Promise<A>, b: () => Promise<B>): Promise<{ a: A[]; b: B[] }> {
  const as: A[] = [];
  const bs: B[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      as.push(await a());
      bs.push(await b());
    } else {
      bs.push(await b());
      as.push(await a());
    }
  }
  return { a: as, b: bs };
}
