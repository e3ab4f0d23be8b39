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
  /** Set when this row could not be measured: the one-line reason (the row then has no figures and no verdict). */
  failed?: string;
}

export interface BenchResult {
  name: string;
  title: string;
  rows: Row[];
  /** Extra lines printed after the table (how it was measured, what it means). */
  notes?: string[];
  /** Extra tables (e.g. a scaling table: one row per size), printed after the rows as they are. */
  tables?: Table[];
}

/** A table of text cells. */
interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

export interface Benchmark {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

/** The first line of an error's message (what a FAILED row shows). */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (
    text
      .split('\n')
      .find((l) => l.trim().length > 0)
      ?.trim() ?? (err instanceof Error ? err.name : 'unknown error')
  );
}

/** A row that could not be measured: no figures, the reason in one line. */
export function failedRow(name: string, err: unknown): Row {
  return { name, ours: NaN, baseline: null, unit: '', failed: oneLine(err) };
}

/** The per-client target against the fair C host (the C host doing OpenVPN's work around the hooks). */
const PER_CLIENT_TARGET = 3;

/** A per-client figure of OURS against the fair C host's C, with its verdict (at most PER_CLIENT_TARGET times). */
export function fairTargetRow(name: string, ours: number, c: number, unit: string, note: string): Row {
  return { name, ours, baseline: c, unit, target: `<= ${PER_CLIENT_TARGET}x fair C`, pass: ours <= PER_CLIENT_TARGET * c, note };
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

/** A row's figures as table cells: ours, the C baseline and their ratio ('-' each for a row that could not be measured). */
export function figureCells(row: Row): [ours: string, baseline: string, ratio: string] {
  if (row.failed !== undefined) return ['-', '-', '-'];
  return [fmt(row.ours, row.unit), row.baseline === null ? '-' : fmt(row.baseline, row.unit), ratio(row.ours, row.baseline)];
}

/** How long run() lets a child run by default: generous, so that only a hung child is cut (50,000 clients take minutes). */
const RUN_TIMEOUT_MS = 30 * 60_000;

/** Run a command to completion; stdout, stderr, exit code and wall time (ms). Never throws for what the child does:
 * it rejects (one Error) only when the command cannot be started or runs longer than `timeoutMs` (then it is killed).
 * A child that exits before reading its stdin (EPIPE on the write) is not an error. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string; code: number | null; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const timeoutMs = opts.timeoutMs ?? RUN_TIMEOUT_MS;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      reject(new Error(`${cmd}: cannot start: ${oneLine(err)}`));
      return;
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // a read error on a pipe ends that stream; the exit status still comes with 'close'
    child.stdout!.on('error', () => undefined);
    child.stderr!.on('error', () => undefined);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: cannot start: ${oneLine(err)}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`${cmd} ${args.join(' ')}: killed after ${Math.round(timeoutMs / 1000)} s without finishing`));
      else resolve({ stdout, stderr: signal && code === null ? `${stderr}(killed by ${signal})\n` : stderr, code, ms: performance.now() - t0 });
    });
    // a child that exits before reading its stdin (the CLI does) makes this write fail with EPIPE: not an error here
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(opts.input ?? '');
  });
}

/** Run a command that prints one JSON object (the last line of stdout); throws with its stderr if it fails. */
async function runJson<T>(cmd: string, args: readonly string[]): Promise<T> {
  const r = await run(cmd, args);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) {
    const why = `${r.stderr}${r.stdout}`.trim().split('\n').pop() ?? '';
    throw new Error(`${cmd.split('/').pop()} ${args[0] ?? ''} failed (exit ${r.code ?? 'by a signal'})${why ? `: ${why}` : ''}`);
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
