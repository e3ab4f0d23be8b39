// The benchmark runner never crashes: a benchmark that throws, a stray rejection or exception while one runs, and a
// child that exits before reading its stdin each become a FAILED row (or nothing at all), and the run goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failedRows, resultTable, runBenchmarks, summaryLines } from '../../bench/lib/runner.js';
import { failedRow, ROOT, run, type Benchmark } from '../../bench/lib/common.js';
import { renderMarkdown } from '../../bench/lib/markdown.js';

const ok: Benchmark = {
  name: 'ok',
  title: 'measures',
  run: async () => ({ name: 'ok', title: 'measures', rows: [{ name: 'fast', ours: 1, baseline: 2, unit: 'ms', target: '<= 3x C', pass: true }] }),
};
const throws: Benchmark = {
  name: 'throws',
  title: 'throws',
  run: async () => {
    throw new Error('c-host v2-many failed (exit 2): out of memory\nmore detail');
  },
};
const partly: Benchmark = {
  name: 'partly',
  title: 'one size fails, the others are measured',
  run: async () => ({
    name: 'partly',
    title: 'partly',
    // as many-deferred.ts does: a size that throws is a FAILED row of its own, the others are measured
    rows: [{ name: '1000 clients', ours: 1, baseline: 1, unit: 'ms' }, failedRow('50000 clients', new Error('worker killed'))],
  }),
};

test('runBenchmarks: a throwing benchmark, stray errors and a failed size are FAILED rows; every benchmark runs', async () => {
  const dirs: string[] = [];
  const lines: string[] = [];
  const results = await runBenchmarks([throws, partly, ok], {
    runs: 1,
    quick: true,
    makeTmp: (name) => {
      const d = mkdtempSync(join(tmpdir(), `runner-${name}-`));
      dirs.push(d);
      return d;
    },
    removeTmp: (d) => rmSync(d, { recursive: true, force: true }),
    log: (l) => lines.push(l),
  });
  assert.deepEqual(
    results.map((r) => r.name),
    ['throws', 'partly', 'ok'],
  );
  const failed = failedRows(results).map((f) => `${f.bench}/${f.row.name}: ${f.row.failed}`);
  assert.deepEqual(failed, ['throws/run: c-host v2-many failed (exit 2): out of memory', 'partly/50000 clients: worker killed']);
  assert.equal(dirs.length, 3);
  assert.ok(
    dirs.every((d) => !existsSync(d)),
    'every temp dir removed',
  );
  const summary = summaryLines(results);
  assert.ok(summary.includes('FAILED  throws: run: c-host v2-many failed (exit 2): out of memory'), summary.join('\n'));
  assert.ok(summary.some((l) => l.startsWith('PASS  ok: fast')));
  assert.match(resultTable(results[0]!).join('\n'), /run +- +- +- +FAILED: c-host v2-many failed/);
  const md = renderMarkdown(results, {
    date: '2026-01-01',
    cpuModel: 'x',
    cpus: 2,
    memoryGiB: 1,
    os: 'x',
    arch: 'x',
    node: 'v20',
    koffi: 'x',
    compiler: 'cc',
    runs: 1,
    quick: true,
    benchmarks: ['throws'],
    loadStart: [0, 0, 0],
    loadEnd: [0, 0, 0],
    wallSeconds: 1,
  });
  assert.match(md, /\| \[`throws`\]\(#throws\) \| run \| - \| - \| - \| {2}\| \*\*FAILED\*\*: c-host v2-many failed/);
  assert.match(md, /Rows that FAILED \(not measured\) in: `throws`, `partly`/);
  assert.ok(!JSON.stringify(results).includes('more detail'), 'one line only');
});

test('run: a child that exits before reading a large stdin is not an error (EPIPE); a missing command rejects', async () => {
  const r = await run('true', [], { input: 'x'.repeat(4 << 20) });
  assert.equal(r.code, 0);
  await assert.rejects(run('/nonexistent/command', []), /cannot start/);
  await assert.rejects(run('sleep', ['30'], { timeoutMs: 200 }), /killed after 0 s without finishing/);
});

// In a process of its own: node's test runner would itself fail a test on a stray rejection or exception.
const STRAY = `
import { runBenchmarks } from ${JSON.stringify(join(ROOT, 'bench/lib/runner.ts'))};
const stray = {
  name: 'stray',
  title: 'leaves a rejected promise and an exception behind',
  run: async () => {
    void Promise.reject(new Error('nobody awaited me'));
    setImmediate(() => { throw new Error('thrown in a callback'); });
    await new Promise((r) => setTimeout(r, 20));
    return { name: 'stray', title: 'stray', rows: [{ name: 'figure', ours: 1, baseline: null, unit: 'ms' }] };
  },
};
const next = { name: 'next', title: 'runs after', run: async () => ({ name: 'next', title: 'next', rows: [] }) };
const results = await runBenchmarks([stray, next], { runs: 1, quick: true, makeTmp: () => '/nonexistent', removeTmp: () => {}, log: () => {} });
console.log(JSON.stringify(results));
`;

test('runBenchmarks: a rejected promise or an exception nobody caught while a benchmark ran is its FAILED row', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', STRAY], { cwd: ROOT });
  const results = JSON.parse(stdout) as Array<{ name: string; rows: Array<{ name: string; failed?: string }> }>;
  assert.deepEqual(
    results.map((r) => r.name),
    ['stray', 'next'],
  );
  assert.deepEqual(results[0]!.rows, [
    { name: 'figure', ours: 1, baseline: null, unit: 'ms' },
    { name: 'uncaught error', ours: null, baseline: null, unit: '', failed: 'nobody awaited me (and 1 more)' },
  ]);
});
