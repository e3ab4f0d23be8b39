// Benchmark runner (`make bench`, `npm run bench`): runs every benchmark in bench/ (or those named), each measuring
// our project and the C baseline (build/bench/c-host) in the same run, and prints figures, ratios and verdicts.
//   node --import tsx bench/run.ts [name...] [--runs N] [--quick] [--json FILE] [--markdown FILE] [--list]
//   make bench BENCH="per-hook --quick"
//   make bench-doc        (every benchmark, then docs/performance.md from this run's results: --markdown)
// Exit status 0 when every benchmark ran (a MISS is a reported result, not a failure), 1 when one failed to run.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { C_HOST, fmt, makeTmp, ratio, removeTmp, type Benchmark, type BenchResult } from './lib/common.js';
import { perHook } from './per-hook.js';
import { deferralLatency } from './deferral-latency.js';
import { cliColdStart } from './cli-cold-start.js';
import { clientLife } from './client-life.js';
import { manyDeferred } from './many-deferred.js';
import { machineInfo, renderMarkdown } from './lib/markdown.js';

const BENCHMARKS: Benchmark[] = [perHook, deferralLatency, cliColdStart, clientLife, manyDeferred];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    markdown: { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});

if (values.list) {
  for (const b of BENCHMARKS) console.log(`${b.name.padEnd(18)} ${b.title}`);
  process.exit(0);
}
const unknown = positionals.filter((n) => !BENCHMARKS.some((b) => b.name === n));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')} (have: ${BENCHMARKS.map((b) => b.name).join(', ')})`);
  process.exit(2);
}
if (!existsSync(C_HOST)) {
  console.error(`${C_HOST} is not built: run 'make bench' (or 'make build/bench/c-host')`);
  process.exit(2);
}
const selected = positionals.length ? BENCHMARKS.filter((b) => positionals.includes(b.name)) : BENCHMARKS;
const runs = Number(values.runs ?? (values.quick ? 3 : 7));

function printResult(r: BenchResult): void {
  console.log(`\n== ${r.name}: ${r.title}`);
  const header = ['measurement', 'ours', 'C baseline', 'ratio', 'target', 'verdict'];
  const lines = r.rows.map((row) => [
    row.name,
    fmt(row.ours, row.unit),
    row.baseline === null ? '-' : fmt(row.baseline, row.unit),
    ratio(row.ours, row.baseline),
    row.target ?? '(information)',
    row.pass === undefined ? '' : row.pass ? 'PASS' : 'MISS',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const show = (cells: string[]) =>
    console.log(
      cells
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
  show(header);
  show(widths.map((w) => '-'.repeat(w)));
  lines.forEach(show);
  for (const row of r.rows) if (row.note) console.log(`  * ${row.name}: ${row.note}`);
  for (const n of r.notes ?? []) console.log(`  ${n}`);
}

const results: BenchResult[] = [];
const machine = machineInfo();
const runStart = performance.now();
console.log(`ovpn-plugin-host benchmarks: ${selected.map((b) => b.name).join(', ')}; median of ${runs} runs${values.quick ? ' (quick)' : ''}`);
console.log(
  `node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const b of selected) {
  const tmp = makeTmp(`ovph-bench-${b.name}-`);
  const t0 = performance.now();
  try {
    console.log(`\n.. running ${b.name}`);
    const r = await b.run({ runs, quick: values.quick === true, tmp, log: (l) => console.log(l) });
    results.push(r);
    printResult(r);
    console.log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    console.log(`\n== ${b.name}: FAILED: ${(err as Error).stack ?? String(err)}`);
    results.push({ name: b.name, title: b.title, rows: [], notes: [`failed: ${(err as Error).message}`] });
  } finally {
    removeTmp(tmp);
  }
}

const verdicts = results.flatMap((r) => r.rows.filter((row) => row.pass !== undefined).map((row) => ({ bench: r.name, row })));
console.log('\n== summary');
for (const { bench, row } of verdicts)
  console.log(
    `${row.pass ? 'PASS' : 'MISS'}  ${bench}: ${row.name} (${row.target}): ${fmt(row.ours, row.unit)}${row.baseline === null ? '' : ` vs C ${fmt(row.baseline, row.unit)} = ${ratio(row.ours, row.baseline)}`}`,
  );
const load = loadavg()[0];
if (load > cpus().length) {
  console.log(`note: load average ${load.toFixed(2)} on ${cpus().length} CPUs at the end: other processes competed for the CPUs, wall-clock figures are noisy`);
}
const failed = results.filter((r) => !r.rows.length).map((r) => r.name);
if (failed.length) console.log(`FAILED to run: ${failed.join(', ')}`);
if (values.json) writeFileSync(values.json, `${JSON.stringify({ node: process.version, runs, results }, null, 2)}\n`);
if (values.markdown) {
  mkdirSync(dirname(values.markdown), { recursive: true });
  writeFileSync(
    values.markdown,
    renderMarkdown(results, {
      ...machine,
      runs,
      quick: values.quick === true,
      benchmarks: selected.map((b) => b.name),
      loadEnd: loadavg(),
      wallSeconds: (performance.now() - runStart) / 1000,
    }),
  );
  console.log(`wrote ${values.markdown}`);
}
process.exitCode = failed.length ? 1 : 0;
