// docs/performance.md, written by `bench/run.ts --markdown FILE` (`make bench-doc`): the explanations here are static
// text; every figure on the page comes from the run's own results and machine facts. Nothing is kept by hand.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { arch, cpus, loadavg, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { ROOT, fmt, ratio, type BenchResult, type Row } from './common.js';

/** What the page says about the machine and the run. */
export interface RunInfo {
  date: string;
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  os: string;
  arch: string;
  node: string;
  koffi: string;
  compiler: string;
  runs: number;
  quick: boolean;
  benchmarks: string[];
  loadStart: number[];
  loadEnd: number[];
  wallSeconds: number;
}

function firstLine(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]!
      .trim();
  } catch {
    return 'unknown';
  }
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1]!;
  } catch {
    // not Linux, or no os-release
  }
  return osType();
}

function packageVersion(name: string): string {
  const p = join(ROOT, 'node_modules', name, 'package.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version : 'unknown';
}

/** The machine facts known before the run (load and time are filled in by the runner). */
export function machineInfo(): Omit<RunInfo, 'runs' | 'quick' | 'benchmarks' | 'loadEnd' | 'wallSeconds'> {
  const cpu = cpus();
  return {
    date: new Date().toISOString().slice(0, 10),
    cpuModel: `${cpu[0]?.model.trim() ?? 'unknown'}${cpu[0]?.speed ? ` (${(cpu[0].speed / 1000).toFixed(1)} GHz)` : ''}`,
    cpus: cpu.length,
    memoryGiB: totalmem() / 2 ** 30,
    os: osName(),
    arch: `${osType()} ${arch()}`,
    node: process.version,
    koffi: packageVersion('koffi'),
    compiler: firstLine(process.env.CC ?? 'cc', ['--version']),
    loadStart: loadavg(),
  };
}

// ---- static text --------------------------------------------------------------------------------------------------

const INTRO = `# Performance

This page is written by the benchmark runner from one run of \`make bench-doc\`; do not edit it by hand. Every
figure below comes from that run, on the machine described under [The run](#the-run). Figures differ from machine
to machine and with the machine's load: compare ours with the C baseline of the same run, not with another page.

## How the benchmarks work

\`make bench\` (or \`npm run bench\`) builds everything plus a small C host, \`build/bench/c-host\`
(\`native-fixtures/c-host.c\`), and runs the benchmarks in \`bench/\` (one file per benchmark, runner \`bench/run.ts\`).
Each benchmark measures this project and the C host **in the same run**, alternating them, and prints both
figures, their ratio and a PASS/MISS verdict against its target (some benchmarks have no target: their rows are for
information). The C host is the baseline: it loads the same \`.so\` with \`dlopen\`, opens it with OpenVPN 2.6.14's
open-time env and does per hook what OpenVPN's \`plugin_call\` does (envp array, argv copy, call, return list read
and freed with \`free\`, log lines formatted and written), without any JavaScript.

\`\`\`sh
make bench                                  # every benchmark, median of 7 runs; prints the tables
make bench BENCH="per-hook --quick"         # one benchmark, short runs
make bench-doc                              # every benchmark, then writes this page (docs/performance.md)
node --import tsx bench/run.ts --list       # the benchmarks; options --runs N, --quick, --json FILE, --markdown FILE
\`\`\`

The runner exits 0 when every benchmark ran (a MISS is a result, not an error). It reports the load average: on a
busy machine wall-clock figures are noisy, which is why the per-hook figures are CPU time. The benchmarks use both
cores of a 2-core machine; run them on an otherwise idle machine.
`;

interface Explanation {
  /** What the benchmark measures, ours and the baseline. */
  measures: string;
  /** How to read its figures (no figures here: they come from the run). */
  reading?: string;
}

const EXPLAIN: Record<string, Explanation> = {
  'per-hook': {
    measures: `**Ours**: \`callChain\` on one plugin, in a Node process set up as the worker (runtime initialised,
watchdog armed per call), calling CLIENT_CONNECT_V2 with the real 2.6.14 env (60 variables) three ways: the same env
every call, a caller-kept \`EncodedEnv\`, and a different client env every call. Figures are process CPU time per
call. \`PluginHost.call\` (one IPC round trip from the caller to the worker per call) is measured for information.
**C baseline**: \`c-host call\`: OpenVPN's \`make_env_array\` (a pointer array over its env strings) per call, or,
for the "new env" rows, all 60 strings copied per call. **Target**: at most 1.5 times the C figure.`,
    reading: `What is left against C is a fixed cost per call that a C host does not pay: the JS-to-C transition,
\`fflush(NULL)\` and the watchdog's clock and mutex around every call, comparing the 60 env strings with the cached
block, and turning the return list into JS strings and objects; re-encoding a whole env costs more on top. Against a
hook that does nothing (\`bench-cc.so\`) this fixed cost makes a large ratio; against a plugin that does a little work
(\`return-list.so\` logs a line per call) a much smaller one.

Inside the worker, \`callChain\` (\`src/worker/plugin/chain.ts\`) reuses the encoded envp block while the env strings
do not change (deferral re-checks), and accepts an \`EncodedEnv\` that worker code keeps in C memory across calls:

\`\`\`ts
const env = EncodedEnv.encode(envStrings);     // copied into C memory once
callChain(plugins, HOOKS.CLIENT_CONNECT_DEFER_V2, [], env, { contexts, collectReturnList: true });
env.free();
\`\`\`

A plugin that writes into its argv or envp does not change what the next call gets: the cached arrays are restored
from a pristine copy after each call (envp after the last plugin of the chain, so later plugins of the same call
still see earlier ones' writes, as in OpenVPN).`,
  },
  'deferral-latency': {
    measures: `**Ours**: \`PluginHost.open\` and \`host.clientConnect()\` on \`bench-defer.so\`, which stamps the
CLOCK_MONOTONIC time its result became available. Measured to the moment the worker acts on the outcome (as the plugin
sees it) and to the moment \`clientConnect()\` resolves in the caller; and the worker's CPU (\`/proc/<pid>/stat\`)
while one client waits on a long deferral. **C baseline**: \`c-host v1-file\` (inotify and a re-check timer) and
\`c-host v2-defer\` (sleep, re-check), same plugin, same 20 ms interval. **Targets**: v1 file method p50 at most 2 ms;
DEFER_V2 p95 at most the re-check interval + 1 ms; under 5 % of a core while waiting.`,
    reading: `The worker notices a written file through one inotify watch on its temp dir, and a DEFER_V2 result at
the next re-check of its one scheduler. The caller gets the result a little later: the IPC message back to the
caller's process, the result object, the temp dir removal (and, after a plugin \`fork()\`, copy-on-write page faults
in the worker). Each re-check costs the worker some CPU (timer wake-up, file read or DEFER_V2 call, step record),
hence its share of a core while waiting at a 20 ms interval; with \`--timing openvpn\` it re-checks every 1.1 s, as
OpenVPN does.`,
  },
  'cli-cold-start': {
    measures: `**Ours**: \`node dist/cli.js inspect build/fixtures/v3-basic.so\` and \`node dist/cli.js connect
build/fixtures/v3-basic.so --username foo --password bar\` (a client's whole life, nothing deferred), spawn to exit,
and where the time goes (CPU time, the CLI alone, the worker alone, koffi, the C host). **Baseline**: \`node -e 0\`
(the C baseline column of the first rows), measured in the same run, alternating with ours. **Target**: at most 2x
\`node -e 0\`.`,
    reading: `A command that loads a plugin is two Node processes one after the other: the CLI, then the worker it
starts first thing, which boots on the other core while the CLI's modules load. Both run from bundles
(\`dist/bundle/\`, esbuild, built by \`make\` and at pack time): the CLI an ES module whose commander program,
scenario modules (YAML, only for \`run\`) and fuzzer (only for \`fuzz\`) are loaded when needed, the worker one
CommonJS file that Node starts without its ES module loader. pino is loaded only with \`-v\`. When the environment
sets \`NODE_EXTRA_CA_CERTS\`, every Node start-up (\`node -e 0\` too) loads a CA bundle: the worker drops the
variable, and the benchmark also measures everything without it. What is left above one Node start-up is the
worker's: its own Node start-up, koffi and the native runtime, the plugin's calls, and the two scans of \`/proc\` that
make sure no process a plugin started outlives the run.`,
  },
  'client-life': {
    measures: `**Ours**: \`openHost\`, then \`host.client().connect()\` and \`disconnect()\` on \`v3-basic.so\`
(TLS_VERIFY for two certificate depths with a real X509, auth, TLS_FINAL, CLIENT_CONNECT_V2, LEARN_ADDRESS add and
delete, CLIENT_DISCONNECT, per-client context). **C baseline**: \`c-host life\`: the same hook calls with the same
envs (\`firstClientLife()\`), the X509 parsed per TLS_VERIFY. No target yet (information).`,
  },
  'many-deferred': {
    measures: `**Ours**: 10,000 clients (1,000 with \`--quick\`) through \`connect()\`, each deferred at CLIENT_CONNECT_V2 and re-checked at
OpenVPN's 1.1 s cadence (\`timing: 'openvpn'\`): worker RSS and CPU while they wait, the time to defer them all and
to connect them all once released. **C baseline**: \`c-host v2-many\`: 10,000 deferred clients re-checked at the
same interval. No target yet (information).`,
    reading: `\`ovpn-plugin-host load\` runs the same kind of test against your own plugin and prints a report (see
[cli.md](cli.md#load)).`,
  },
};

// ---- rendering ----------------------------------------------------------------------------------------------------

/** Text for a Markdown table cell. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const verdict = (row: Row) => (row.pass === undefined ? '' : row.pass ? 'PASS' : '**MISS**');

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

function figures(row: Row): string[] {
  return [fmt(row.ours, row.unit), row.baseline === null ? '-' : fmt(row.baseline, row.unit), ratio(row.ours, row.baseline)];
}

const loads = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');

export function renderMarkdown(results: readonly BenchResult[], info: RunInfo): string {
  const out: string[] = [INTRO, '## The run', ''];
  out.push(
    ...table(
      ['', ''],
      [
        ['date', info.date],
        ['command', `bench/run.ts ${info.benchmarks.join(' ')}${info.quick ? ' --quick' : ''} (median of ${info.runs} runs)`],
        ['CPU', `${info.cpus} × ${info.cpuModel}`],
        ['memory', `${info.memoryGiB.toFixed(1)} GiB`],
        ['system', `${info.os}, ${info.arch}`],
        ['Node', info.node],
        ['koffi', info.koffi],
        ['C compiler', info.compiler],
        ['load average (1 / 5 / 15 min)', `${loads(info.loadStart)} at the start, ${loads(info.loadEnd)} at the end`],
        ['duration', `${(info.wallSeconds / 60).toFixed(1)} min`],
      ],
    ),
  );
  if (info.loadEnd[0]! > info.cpus) {
    out.push(
      '',
      `The 1-minute load average at the end exceeded the number of CPUs: other processes competed for the CPUs, `
        + 'so wall-clock figures of this run are noisy.',
    );
  }

  const verdicts = results.flatMap((r) => r.rows.filter((row) => row.pass !== undefined).map((row) => ({ r, row })));
  out.push('', '## Summary', '', "Rows with a target; the other rows are in each benchmark's section.", '');
  out.push(
    ...table(
      ['benchmark', 'measurement', 'ours', 'C baseline', 'ratio', 'target', 'verdict'],
      verdicts.map(({ r, row }) => [`[\`${r.name}\`](#${r.name})`, row.name, ...figures(row), row.target ?? '', verdict(row)]),
    ),
  );
  const failed = results.filter((r) => !r.rows.length);
  if (failed.length) out.push('', `Failed to run: ${failed.map((r) => `\`${r.name}\``).join(', ')} (see its section).`);

  for (const r of results) {
    const e = EXPLAIN[r.name];
    out.push('', `## ${r.name}`, '', `${r.title}.`, '');
    if (e) out.push(e.measures, '');
    if (r.rows.length) {
      out.push(
        ...table(
          ['measurement', 'ours', 'C baseline', 'ratio', 'target', 'verdict'],
          r.rows.map((row) => [row.name, ...figures(row), row.target ?? '(information)', verdict(row)]),
        ),
      );
    }
    const notes = [...r.rows.filter((row) => row.note).map((row) => `- ${row.name}: ${row.note}`), ...(r.notes?.length ? [`- ${r.notes.join(' ')}`] : [])];
    if (notes.length) out.push('', 'Details from the run:', '', ...notes);
    if (e?.reading) out.push('', e.reading);
  }
  return `${out.join('\n')}\n`;
}
