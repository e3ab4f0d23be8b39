// Runs benchmarks one after the other so that none can crash the run: a benchmark that throws, or an error nobody
// caught while it ran (a rejected promise, an exception in a callback), becomes a FAILED row with a one-line reason.
import { failedRow, figureCells, fmt, ratio, type Benchmark, type BenchResult, type Row } from './common.js';

export interface RunnerOptions {
  runs: number;
  quick: boolean;
  /** A private temp dir per benchmark (made and removed around it). */
  makeTmp(name: string): string;
  removeTmp(dir: string): void;
  log(line: string): void;
  /** Called with each benchmark's result as soon as it is known (the console table). */
  onResult?(result: BenchResult, seconds: number): void;
}

/** Run each benchmark; every one gets a result, a failed one a FAILED row (name "run") with the reason. */
export async function runBenchmarks(benchmarks: readonly Benchmark[], o: RunnerOptions): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const b of benchmarks) {
    const stray: unknown[] = [];
    const onStray = (err: unknown) => {
      stray.push(err);
    };
    process.on('unhandledRejection', onStray);
    process.on('uncaughtException', onStray);
    const t0 = performance.now();
    let tmp: string | undefined;
    let result: BenchResult;
    try {
      tmp = o.makeTmp(b.name);
      o.log(`\n.. running ${b.name}`);
      result = await b.run({ runs: o.runs, quick: o.quick, tmp, log: o.log });
    } catch (err) {
      result = { name: b.name, title: b.title, rows: [failedRow('run', err)] };
    } finally {
      if (tmp !== undefined) {
        try {
          o.removeTmp(tmp);
        } catch (err) {
          stray.push(err);
        }
      }
    }
    // let errors raised by the benchmark's last callbacks arrive before the handlers go
    await new Promise((r) => setImmediate(r));
    process.off('unhandledRejection', onStray);
    process.off('uncaughtException', onStray);
    if (stray.length) {
      result.rows.push(failedRow('uncaught error', stray[0]));
      if (stray.length > 1) result.rows[result.rows.length - 1]!.failed += ` (and ${stray.length - 1} more)`;
    }
    results.push(result);
    o.onResult?.(result, (performance.now() - t0) / 1000);
  }
  return results;
}

/** The rows that could not be measured, with their benchmark. */
export function failedRows(results: readonly BenchResult[]): Array<{ bench: string; row: Row }> {
  return results.flatMap((r) => r.rows.filter((row) => row.failed !== undefined).map((row) => ({ bench: r.name, row })));
}

/** The summary: one line per row with a verdict or a failure. */
export function summaryLines(results: readonly BenchResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    for (const row of r.rows) {
      if (row.failed !== undefined) lines.push(`FAILED  ${r.name}: ${row.name}: ${row.failed}`);
      else if (row.pass !== undefined)
        lines.push(
          `${row.pass ? 'PASS' : 'MISS'}  ${r.name}: ${row.name} (${row.target}): ${fmt(row.ours, row.unit)}${row.baseline === null ? '' : ` vs C ${fmt(row.baseline, row.unit)} = ${ratio(row.ours, row.baseline)}`}`,
        );
    }
  }
  return lines;
}

/** Columns padded to their widest cell, a dashed line under the header. */
function textTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((l) => (l[i] ?? '').length)));
  const show = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [show(header), show(widths.map((w) => '-'.repeat(w))), ...rows.map(show)];
}

/** The console table of one result (a FAILED row shows its reason in the verdict column). */
export function resultTable(r: BenchResult): string[] {
  const header = ['measurement', 'ours', 'C baseline', 'ratio', 'target', 'verdict'];
  const lines = r.rows.map((row) =>
    row.failed !== undefined
      ? [row.name, ...figureCells(row), row.target ?? '', `FAILED: ${row.failed}`]
      : [row.name, ...figureCells(row), row.target ?? '(information)', row.pass === undefined ? '' : row.pass ? 'PASS' : 'MISS'],
  );
  const out = [`\n== ${r.name}: ${r.title}`, ...textTable(header, lines)];
  for (const t of r.tables ?? []) out.push('', `  ${t.title}`, ...textTable(t.header, t.rows).map((l) => `  ${l}`));
  for (const row of r.rows) if (row.note) out.push(`  * ${row.name}: ${row.note}`);
  for (const n of r.notes ?? []) out.push(`  ${n}`);
  return out;
}
