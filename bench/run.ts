// Benchmark runner (`make bench`, `npm run bench`): runs every benchmark in bench/ (or those named), each measuring
// our project and the C baseline (build/bench/c-host) in the same run, and prints figures, ratios and verdicts.
//   node --import tsx bench/run.ts [name...] [--runs N] [--quick] [--json FILE] [--markdown FILE] [--list]
//   make bench BENCH="per-hook --quick"
//   make bench-doc        (every benchmark, then docs/performance.md from this run's results: --markdown)
// Exit status 0 when every row was measured (a MISS is a reported result, not a failure), 1 when a row FAILED (its
// one-line reason is in the table, the summary, --json and --markdown; the other benchmarks still run).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { C_HOST, makeTmp, removeTmp, type Benchmark } from './lib/common.js';
import { failedRows, resultTable, runBenchmarks, summaryLines } from './lib/runner.js';
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

const machine = machineInfo();
const runStart = performance.now();
console.log(`ovpn-plugin-host benchmarks: ${selected.map((b) => b.name).join(', ')}; median of ${runs} runs${values.quick ? ' (quick)' : ''}`);
console.log(
  `node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const results = await runBenchmarks(selected, {
  runs,
  quick: values.quick === true,
  makeTmp: (name) => makeTmp(`ovph-bench-${name}-`),
  removeTmp,
  log: (l) => console.log(l),
  onResult: (r, seconds) => {
    for (const line of resultTable(r)) console.log(line);
    console.log(`  (${seconds.toFixed(1)} s)`);
  },
});

console.log('\n== summary');
for (const line of summaryLines(results)) console.log(line);
const load = loadavg()[0];
if (load > cpus().length) {
  console.log(`note: load average ${load.toFixed(2)} on ${cpus().length} CPUs at the end: other processes competed for the CPUs, wall-clock figures are noisy`);
}
const failed = failedRows(results);
if (failed.length) console.log(`FAILED: ${failed.length} row(s) could not be measured (${[...new Set(failed.map((f) => f.bench))].join(', ')})`);
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
