// Benchmark: CLI cold start against Node's own start-up. `node dist/cli.cjs inspect build/fixtures/v3-basic.so` and a
// non-deferred `connect` of the same plugin, spawn to exit (the CLI and the worker it starts: two Node processes),
// against `node -e 0` measured in the same run, the commands alternating run by run. Target: at most 2x node -e 0.
// Information rows say where the time goes: CPU time, the CLI alone (--version), the worker alone (spawn to ready),
// koffi's import, and the C host's load+open+close of the same plugin.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { defaultOpenEnv } from '../dist/openvpn/defaults.js';
import { forkWorker } from '../dist/host/worker/spawn.js';
import { C_HOST, ROOT, fixture, median, run, writeEnvFile, type Benchmark, type Row } from './lib/common.js';

/** At most this many times `node -e 0`, spawn to exit. */
const TARGET_X = 2;

async function wallMs(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const r = await run(cmd, args, { env });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.ms;
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** user+sys CPU ms of a command and its waited-for children (GNU time). */
async function cpuMs(argv: string[]): Promise<number> {
  const r = await run(TIME!, ['-f', 'CPU %U %S', ...argv]);
  const m = /CPU (\S+) (\S+)\s*$/.exec(r.stderr);
  if (r.code !== 0 || !m) throw new Error(`${argv.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return (Number(m[1]) + Number(m[2])) * 1000;
}

/** A worker alone, as the CLI starts it: spawn to its 'ready' message (Node start-up, the worker bundle, koffi, the
 * native runtime); then it is stopped (its channel closed) and waited for. */
async function workerReadyMs(): Promise<number> {
  const t0 = performance.now();
  const w = forkWorker();
  const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()));
  const ready = await new Promise<number>((resolve, reject) => {
    w.wire.on('message', (m: { event?: string; message?: string }) => {
      if (m.event === 'ready') resolve(performance.now() - t0);
      else if (m.event === 'setup-failed') reject(new Error(`the worker could not start: ${m.message}`));
    });
    w.child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it was ready`)));
  });
  w.wire.close();
  await exited;
  for (const s of w.child.stdio) s?.destroy();
  return ready;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');

export const cliColdStart: Benchmark = {
  name: 'cli-cold-start',
  title: 'CLI cold start: `inspect` and a non-deferred `connect`, spawn to exit, vs `node -e 0` in the same run',
  async run(ctx) {
    const loadAtStart = load();
    const openEnv = writeEnvFile(join(ctx.tmp, 'open.env'), defaultOpenEnv());
    const so = fixture('v3-basic');
    const cli = join(ROOT, 'dist', 'cli.cjs');
    const node = process.execPath;
    const runs = Math.max(ctx.runs, 5);
    const inspect = [cli, 'inspect', so];
    const connect = [cli, 'connect', so, '--username', 'foo', '--password', 'bar'];
    // NODE_EXTRA_CA_CERTS makes every Node process parse a CA bundle at start-up (node -e 0 too): when the environment
    // sets it (this sandbox does), also measure everything without it, as on a machine that does not.
    const plainEnv = { ...process.env };
    delete plainEnv.NODE_EXTRA_CA_CERTS;
    const withCa = process.env.NODE_EXTRA_CA_CERTS !== undefined;
    const envs: Array<[label: string, env: NodeJS.ProcessEnv | undefined]> = [
      ['', undefined],
      ...(withCa ? [[', without NODE_EXTRA_CA_CERTS', plainEnv] as [string, NodeJS.ProcessEnv]] : []),
    ];
    const perEnv = () => envs.map(() => [] as number[]);
    const t = { node: perEnv(), inspect: perEnv(), connect: perEnv() };
    const cpu = { node: [] as number[], inspect: [] as number[], connect: [] as number[] };
    // All commands alternate run by run, so that a change in the machine's load hits them alike.
    for (let i = 0; i < runs; i++) {
      for (const [e, [, env]] of envs.entries()) {
        t.node[e]!.push(await wallMs(node, ['-e', '0'], env));
        t.inspect[e]!.push(await wallMs(node, inspect, env));
        t.connect[e]!.push(await wallMs(node, connect, env));
      }
      if (TIME) {
        cpu.node.push(await cpuMs([node, '-e', '0']));
        cpu.inspect.push(await cpuMs([node, ...inspect]));
        cpu.connect.push(await cpuMs([node, ...connect]));
      }
    }
    const rows: Row[] = [];
    for (const [e, [label]] of envs.entries()) {
      const base = median(t.node[e]!);
      for (const [name, key] of [
        ['inspect v3-basic.so', 'inspect'],
        ['connect v3-basic.so (non-deferred)', 'connect'],
      ] as const) {
        const ours = median(t[key][e]!);
        rows.push({
          name: `${name}${label}`,
          ours,
          baseline: base,
          unit: 'ms',
          target: `<= ${TARGET_X}x node -e 0`,
          pass: ours <= TARGET_X * base,
          note: `spawn to exit; runs: ${t[key][e]!.map((v) => v.toFixed(0)).join(', ')} ms; node -e 0${label}: ${t.node[e]!.map((v) => v.toFixed(0)).join(', ')} ms`,
        });
      }
    }
    if (TIME) {
      for (const key of ['inspect', 'connect'] as const) {
        rows.push({
          name: `${key}: CPU time, CLI + worker (user+sys)`,
          ours: median(cpu[key]),
          baseline: median(cpu.node),
          unit: 'ms',
          note: 'from /usr/bin/time (the worker is reaped by the CLI, so its CPU is included); baseline: node -e 0 CPU; less disturbed by other load than wall time',
        });
      }
    }
    // Where the time goes (information): each a fresh process, median of RUNS.
    const parts: Array<[string, () => Promise<number>]> = [
      [
        'two Node start-ups one after the other: node -e 0, then node -e 0 as the worker starts (without NODE_EXTRA_CA_CERTS)',
        async () => (await wallMs(node, ['-e', '0'])) + (await wallMs(node, ['-e', '0'], plainEnv)),
      ],
      ['the CLI alone: node dist/cli.cjs --version (no worker)', () => wallMs(node, [cli, '--version'])],
      ['the worker alone: spawn to ready (worker bundle, koffi, runtime)', workerReadyMs],
      [
        'koffi as the worker loads it: node -e "require(\'koffi\')" without NODE_EXTRA_CA_CERTS (node -e 0 alone: the baseline of the rows without it)',
        () => wallMs(node, ['-e', "require('koffi')"], plainEnv),
      ],
      ['C host: load+open+close of v3-basic.so (c-host open-close)', () => wallMs(C_HOST, ['open-close', '--open-env', openEnv, so])],
    ];
    for (const [name, measure] of parts) {
      const values: number[] = [];
      for (let i = 0; i < runs; i++) values.push(await measure());
      rows.push({ name, ours: median(values), baseline: null, unit: 'ms' });
    }
    return {
      name: this.name,
      title: this.title,
      rows,
      notes: [
        `Wall time from spawn to exit, median of ${runs} runs, node -e 0 and ours alternating; load average (1 / 5 / 15 min) ${loadAtStart} at the start, ${load()} at the end of this benchmark.`,
        "An inspect or connect is two Node processes one after the other: the CLI, then the worker its CommonJS entry starts first thing (before the CLI's ES modules load), so it costs at least two Node start-ups (the first information row), less the worker's CA bundle (it starts without NODE_EXTRA_CA_CERTS).",
      ],
    };
  },
};
