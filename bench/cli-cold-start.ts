// Benchmark: CLI cold start. `node dist/cli.js inspect build/fixtures/v3-basic.so` from spawn to exit (a supervisor
// process and a worker process start, the plugin is loaded, opened, its generic context made and destroyed, closed)
// against build/bench/c-host doing load+open+close of the same fixture in one C process. Target: <= 300 ms.
// Also measured, to show where the time goes: Node's own start, importing the CLI's dependencies, --version.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultOpenEnv } from '../dist/openvpn/defaults.js';
import { C_HOST, ROOT, fixture, median, run, writeEnvFile, type Benchmark, type Row } from './lib/common.js';

const TARGET_MS = 300;

async function wallMs(runs: number, cmd: string, args: string[], env?: NodeJS.ProcessEnv, expectCode = 0): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await run(cmd, args, { env });
    if (r.code !== expectCode) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    times.push(r.ms);
  }
  return median(times);
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** user+sys CPU ms of a command and its waited-for children (GNU time). */
async function cpuMs(argv: string[]): Promise<number> {
  const r = await run(TIME!, ['-f', 'CPU %U %S', ...argv]);
  const m = /CPU (\S+) (\S+)\s*$/.exec(r.stderr);
  if (r.code !== 0 || !m) throw new Error(`${argv.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return (Number(m[1]) + Number(m[2])) * 1000;
}

const importScript = (specifiers: string[]) => `${specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(' ')}`;

export const cliColdStart: Benchmark = {
  name: 'cli-cold-start',
  title: "CLI cold start: `inspect` of a v3 plugin, spawn to exit, vs the C host's load+open+close",
  async run(ctx) {
    const openEnv = writeEnvFile(join(ctx.tmp, 'open.env'), defaultOpenEnv());
    const so = fixture('v3-basic');
    const cli = join(ROOT, 'dist', 'cli.js');
    const node = process.execPath;
    const runs = Math.max(ctx.runs, 5);
    // NODE_EXTRA_CA_CERTS makes every Node process parse a CA bundle at start-up: when the environment sets it (this
    // sandbox does), also measure without it, as on a machine that does not. All variants alternate run by run.
    const plainEnv = { ...process.env };
    delete plainEnv.NODE_EXTRA_CA_CERTS;
    const withCa = process.env.NODE_EXTRA_CA_CERTS !== undefined;
    const ours: number[] = [];
    const plain: number[] = [];
    const cpu: number[] = [];
    const c: number[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(await wallMs(1, node, [cli, 'inspect', so]));
      if (withCa) plain.push(await wallMs(1, node, [cli, 'inspect', so], plainEnv));
      if (TIME) cpu.push(await cpuMs([node, cli, 'inspect', so]));
      c.push(await wallMs(1, C_HOST, ['open-close', '--open-env', openEnv, so]));
    }
    const oursMs = median(ours);
    const rows: Row[] = [
      {
        name: 'inspect v3-basic.so (spawn to exit)',
        ours: oursMs,
        baseline: median(c),
        unit: 'ms',
        target: `<= ${TARGET_MS} ms`,
        pass: oursMs <= TARGET_MS,
        note: `runs: ${ours.map((v) => v.toFixed(0)).join(', ')} ms`,
      },
    ];
    if (withCa) {
      rows.push({
        name: 'same, without NODE_EXTRA_CA_CERTS',
        ours: median(plain),
        baseline: median(c),
        unit: 'ms',
        target: `<= ${TARGET_MS} ms`,
        pass: median(plain) <= TARGET_MS,
        note: 'this environment sets NODE_EXTRA_CA_CERTS, a CA bundle each Node process loads at start',
      });
    }
    if (TIME) {
      rows.push({
        name: 'inspect: CPU time, CLI + worker (user+sys)',
        ours: median(cpu),
        baseline: null,
        unit: 'ms',
        note: 'from /usr/bin/time (the worker is reaped by the CLI, so its CPU is included); not disturbed by other load',
      });
    }
    // Where the time goes (information): each a fresh process, median of RUNS.
    const parts: Array<[string, string[]]> = [
      ['node -e 0 (Node start-up, one process)', ['-e', '0']],
      ['import commander', ['--input-type=module', '-e', importScript(['commander'])]],
      ['import pino + pino-pretty (loaded only with -v)', ['--input-type=module', '-e', importScript(['pino', 'pino-pretty'])]],
      ['import yaml', ['--input-type=module', '-e', importScript(['yaml'])]],
      ['import koffi', ['--input-type=module', '-e', importScript(['koffi'])]],
      ['import dist/cli/program.js (all CLI modules)', ['--input-type=module', '-e', importScript([join(ROOT, 'dist', 'cli', 'program.js')])]],
      ['import dist/worker/session.js (worker modules)', ['--input-type=module', '-e', importScript([join(ROOT, 'dist', 'worker', 'session.js')])]],
      ['node dist/cli.js --version (no worker)', [cli, '--version']],
    ];
    for (const [name, args] of parts) {
      rows.push({ name, ours: await wallMs(runs, node, args), baseline: null, unit: 'ms' });
    }
    return {
      name: this.name,
      title: this.title,
      rows,
      notes: [
        `Wall time from spawn to exit, median of ${runs} runs (ours and C alternating); the import rows include Node's start-up.`,
        'An inspect starts two Node processes one after the other (the CLI, then the worker it forks), so it costs at least',
        "twice Node's start-up plus the imports of each (CLI: commander, koffi via host.js -> plugin/return-list.js, yaml via",
        'the scenario modules; worker: koffi and the runtime).',
      ],
    };
  },
};
