// docs/performance.md, written by `bench/run.ts --markdown FILE` (`make bench-doc`): the explanations here are static
// text; every figure on the page comes from the run's own results and machine facts. Nothing is kept by hand.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { arch, cpus, loadavg, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { figureCells, ROOT, type BenchResult, type Row } from './common.js';

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
and freed with \`free\`, log lines formatted and written), without any JavaScript. For a client's whole life and for
many deferred clients it also does, with \`--server-work\`, the work OpenVPN does around the hooks (per-client env,
control files, re-check timers: see [client-life](#client-life)), so that the comparison is like with like; the
hook calls alone are shown for information.

\`\`\`sh
make bench                                  # every benchmark, median of 7 runs; prints the tables
make bench BENCH="per-hook --quick"         # one benchmark, short runs
make bench-doc                              # every benchmark, then writes this page (docs/performance.md)
node --import tsx bench/run.ts --list       # the benchmarks; options --runs N, --quick, --json FILE, --markdown FILE
\`\`\`

The runner exits 0 when every row was measured (a MISS is a result, not an error). A benchmark or a row that
could not be measured (a child that failed or was killed, an error while it ran) is a **FAILED** row with the reason
in one line; the other benchmarks still run, the summary is still printed, and the runner then exits 1. It reports the load average: on a
busy machine wall-clock figures are noisy, which is why the per-hook figures are CPU time. The benchmarks use both
cores of a 2-core machine; run them on an otherwise idle machine.
`;

interface Explanation {
  /** What the benchmark measures, ours and the baseline. */
  measures: string;
  /** How to read its figures (no figures here: they come from the run). */
  reading?: string;
}

/** What c-host --server-work does around the hooks (native-fixtures/c-host.c), for the explanations below. */
const SERVER_WORK = `a state struct per client; the client's env kept as OpenVPN's env set, a list of name=value strings inherited
from the server env, each variable of each stage set by removing the old string and prepending a fresh copy, removed
ones freed; per hook call \`script_type\` deleted and the envp array made from the list; the SHA-1 and SHA-256 digests
of each chain certificate computed into the env; for AUTH_USER_PASS_VERIFY the three auth control files (acf, apf,
afr) created empty with \`O_EXCL\`, mode 0600 and random names in a temp dir, named in the env, and unlinked after the
result; for CLIENT_CONNECT (v1, when registered) the cc and ccr files likewise, read back and unlinked; a deferred
client armed on its own re-check timer (a min-heap of wake-up times) and called with CLIENT_CONNECT_DEFER_V2 when it is
due, then re-armed`;

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
    measures: `**Ours**: \`node dist/cli.cjs inspect build/fixtures/v3-basic.so\` and \`node dist/cli.cjs connect
build/fixtures/v3-basic.so --username foo --password bar\` (a client's whole life, nothing deferred), spawn to exit,
and where the time goes (CPU time, the CLI alone, the worker alone, koffi, the C host). **Baseline**: \`node -e 0\`
(the C baseline column of the first rows), measured in the same run, alternating with ours. **Target**: at most 2x
\`node -e 0\`.`,
    reading: `A command that loads a plugin is two Node processes one after the other: the CLI, then the worker it
starts first thing. The command's entry (\`dist/cli.cjs\`) is CommonJS, which Node runs ~25 ms sooner than an ES
module (it sets up no ES module loader first): it starts the worker, whose Node then boots on the other core while the
CLI's modules load. Both run from bundles (\`dist/bundle/\`, esbuild, built by \`make\` and at pack time): the CLI an
ES module whose commander program, scenario modules (YAML, only for \`run\`) and fuzzer (only for \`fuzz\`) are loaded
when needed, the worker one CommonJS file. pino is loaded only with \`-v\`. When the environment sets
\`NODE_EXTRA_CA_CERTS\`, every Node start-up (\`node -e 0\` too) loads a CA bundle: the worker drops the variable,
and the benchmark also measures everything without it. The floor is two Node start-ups one after the other (the first
information row); what is left above it is the worker's: koffi (its own row), the worker bundle and Node's modules it
needs, the native runtime, the plugin's calls and their round trips, and the wait for each process to be gone (the
kernel frees a Node process's memory as it exits). No scan of \`/proc\` is left on this path: the worker looks for
processes a plugin left only when it has a child, and the CLI only when the worker did not shut down cleanly.`,
  },
  'client-life': {
    measures: `**Ours**: \`openHost\`, then \`host.client().connect()\` and \`disconnect()\` on \`v3-basic.so\`
(TLS_VERIFY for two certificate depths with a real X509, auth, TLS_FINAL, CLIENT_CONNECT_V2, LEARN_ADDRESS add and
delete, CLIENT_DISCONNECT, per-client context). **C baseline** (fair): \`c-host life --server-work\`: the same life
with the work OpenVPN does around the hooks (${SERVER_WORK}). **Target**: ours at most 3 times that C host, per
client. \`c-host life\` without \`--server-work\` (the ten hook calls of \`firstClientLife()\` with their whole envs
ready, UP and DOWN included, nothing around them) is shown for information.`,
    reading: `Ours also makes two IPC round trips per life (connect, disconnect) and builds a result object for each,
which no C host needs; the worker CPU row leaves the caller's share out.`,
  },
  'many-deferred': {
    measures: `**Ours**: 1,000, 10,000 and 50,000 clients (1,000 and 10,000 with \`--quick\`) through \`connect()\`, each
deferred at CLIENT_CONNECT_V2 by \`bench-defer.so\` and re-checked at OpenVPN's 1.1 s cadence (\`timing: 'openvpn'\`):
the time until all are deferred, the worker's RSS and CPU while they wait (a 10 s window; 3 s with \`--quick\`), and
the time until all connect once released. The plugin counts its CLIENT_CONNECT_DEFER_V2 calls (\`count=FILE\`, a
shared 8-byte counter), so the re-checks in the window are known exactly for both hosts. **C baseline** (fair):
\`c-host v2-many --server-work\`: the same plugin and number of clients with OpenVPN's work around the hooks
(${SERVER_WORK}). **Targets**: at the largest size, setup per client, worker RSS per deferred client and worker CPU per
re-check at most 3 times the fair C host's; and each of them, from the smallest size to the largest, grows at most
1.5 times (a flat cost per client). \`c-host v2-many\` without \`--server-work\` (the hook calls alone, one sleep loop
re-checking every client) is shown for information. The 50,000-client size runs once (the others up to 3 times) and
takes about 2.5 minutes on a 2-core machine (the whole benchmark about 4); our worker gets an 8 GiB V8 heap limit for
it, and every child a 30-minute limit before it is killed and its row FAILED.`,
    reading: `Per-client figures: setup = time until all N are deferred / N; RSS per deferred client = (RSS with N
deferred − RSS after open) / N; CPU per re-check = process CPU in the window / re-checks in it. At 1,000 clients the
fixed costs of a Node process (its heap growing in steps, timers, garbage collection) weigh more per client than at
10,000. \`ovpn-plugin-host load\` prints the same three per-client figures for your own plugin (see
[cli.md](cli.md#load)).`,
  },
};

// ---- rendering ----------------------------------------------------------------------------------------------------

/** Text for a Markdown table cell. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const verdict = (row: Row) => (row.failed !== undefined ? `**FAILED**: ${row.failed}` : row.pass === undefined ? '' : row.pass ? 'PASS' : '**MISS**');

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
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

  const verdicts = results.flatMap((r) => r.rows.filter((row) => row.pass !== undefined || row.failed !== undefined).map((row) => ({ r, row })));
  out.push('', '## Summary', '', "Rows with a target, and rows that could not be measured; the other rows are in each benchmark's section.", '');
  out.push(
    ...table(
      ['benchmark', 'measurement', 'ours', 'C baseline', 'ratio', 'target', 'verdict'],
      verdicts.map(({ r, row }) => [`[\`${r.name}\`](#${r.name})`, row.name, ...figureCells(row), row.target ?? '', verdict(row)]),
    ),
  );
  const failed = results.filter((r) => r.rows.some((row) => row.failed !== undefined));
  if (failed.length) out.push('', `Rows that FAILED (not measured) in: ${failed.map((r) => `\`${r.name}\``).join(', ')} (the reason is in the table).`);

  for (const r of results) {
    const e = EXPLAIN[r.name];
    out.push('', `## ${r.name}`, '', `${r.title}.`, '');
    if (e) out.push(e.measures, '');
    if (r.rows.length) {
      out.push(
        ...table(
          ['measurement', 'ours', 'C baseline', 'ratio', 'target', 'verdict'],
          r.rows.map((row) => [row.name, ...figureCells(row), row.target ?? (row.failed === undefined ? '(information)' : ''), verdict(row)]),
        ),
      );
    }
    for (const t of r.tables ?? []) out.push('', `${t.title}:`, '', ...table(t.header, t.rows));
    const notes = [...r.rows.filter((row) => row.note).map((row) => `- ${row.name}: ${row.note}`), ...(r.notes?.length ? [`- ${r.notes.join(' ')}`] : [])];
    if (notes.length) out.push('', 'Details from the run:', '', ...notes);
    if (e?.reading) out.push('', e.reading);
  }
  return `${out.join('\n')}\n`;
}
