// Benchmark: one client's whole server-side life through the library (openHost, host.client().connect() then
// disconnect(): TLS_VERIFY per depth with a real X509, AUTH_USER_PASS_VERIFY, TLS_FINAL, CLIENT_CONNECT_V2,
// LEARN_ADDRESS add, CLIENT_DISCONNECT, LEARN_ADDRESS delete, per-client constructor/destructor) on v3-basic.so,
// against build/bench/c-host life --server-work: the same hook calls with OpenVPN's work around them in C (the
// client's env set built stage by stage from the server env, the auth control files made and removed, script_type
// deleted and the envp array made per call, the certificate digests). Target: ours <= 3x that fair C host, per client.
// c-host life without --server-work (the hook calls alone, with their whole envs ready) is shown for information.
import { join } from 'node:path';
import { openHost } from '../dist/index.js';
import type { HookName } from '../dist/openvpn/constants.js';
import { defaultOpenEnv } from '../dist/openvpn/defaults.js';
import { cHost, fairTargetRow, fixture, median, processCpuMs, writeEnvFile, type BenchContext, type Benchmark, type Row } from './lib/common.js';
import { writeHooksOnlyLife, writeServerWorkLife } from './lib/life-file.js';

const V3_BASIC_HOOKS: HookName[] = [
  'UP',
  'DOWN',
  'TLS_VERIFY',
  'AUTH_USER_PASS_VERIFY',
  'TLS_FINAL',
  'CLIENT_CONNECT_V2',
  'LEARN_ADDRESS',
  'CLIENT_DISCONNECT',
];
const USER = { username: 'foo', password: 'bar' }; // what v3-basic accepts

interface CLife {
  ns_per_life: number;
  cpu_ns_per_life: number;
  calls: number;
  files_per_life?: number;
  failed?: number;
}

async function ours(lives: number): Promise<{ wallMs: number; workerCpuMs: number; supervisorCpuMs: number; hooks: number }> {
  const host = await openHost({ plugins: [{ path: fixture('v3-basic') }] });
  try {
    const life = async () => {
      const client = host.client(USER);
      const r = await client.connect({ detail: 'summary' });
      if (r.outcome !== 'connected') throw new Error(`client not connected: ${JSON.stringify(r).slice(0, 300)}`);
      const d = await client.disconnect({ detail: 'summary' });
      if (d.outcome !== 'disconnected') throw new Error(`disconnect: ${JSON.stringify(d).slice(0, 300)}`);
      return r.hooks.length + d.hooks.length;
    };
    for (let i = 0; i < Math.min(50, lives); i++) await life();
    const pid = host.workerPid!;
    const cpu0 = processCpuMs(pid);
    const sup0 = process.cpuUsage();
    const times: number[] = [];
    let hooks = 0;
    for (let i = 0; i < lives; i++) {
      const t0 = performance.now();
      hooks = await life();
      times.push(performance.now() - t0);
    }
    const s = process.cpuUsage(sup0);
    return { wallMs: median(times), workerCpuMs: (processCpuMs(pid) - cpu0) / lives, supervisorCpuMs: (s.user + s.system) / 1000 / lives, hooks };
  } finally {
    await host.close();
  }
}

export const clientLife: Benchmark = {
  name: 'client-life',
  title: "A client's whole life (connect + disconnect, 8 hook calls) through openHost, vs the same life in C with OpenVPN's work around the hooks",
  async run(ctx: BenchContext) {
    const hooksOnlyFile = join(ctx.tmp, 'life-hooks-only.txt');
    const ncalls = writeHooksOnlyLife(hooksOnlyFile, { registeredHooks: V3_BASIC_HOOKS, ...USER });
    const serverWorkFile = join(ctx.tmp, 'life-server-work.txt');
    const { stages } = writeServerWorkLife(serverWorkFile, { registeredHooks: V3_BASIC_HOOKS, ...USER });
    const openEnv = writeEnvFile(join(ctx.tmp, 'open.env'), defaultOpenEnv());
    const lives = ctx.quick ? 100 : 500;
    const cArgs = (extra: string[], file: string) => [
      ...extra,
      '--life',
      file,
      '--open-env',
      openEnv,
      '--iterations',
      String(ctx.quick ? 2000 : 20000),
      '--warmup',
      '500',
      fixture('v3-basic'),
    ];
    const o: Array<Awaited<ReturnType<typeof ours>>> = [];
    const fair: CLife[] = [];
    const hooksOnly: CLife[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      o.push(await ours(lives));
      fair.push(await cHost<CLife>('life', cArgs(['--server-work', '--tmp-dir', ctx.tmp], serverWorkFile)));
      hooksOnly.push(await cHost<CLife>('life', cArgs([], hooksOnlyFile)));
    }
    if (fair.some((c) => c.failed)) throw new Error('c-host life --server-work: a client failed (v3-basic should accept foo/bar)');
    const cMs = (all: CLife[], key: 'ns_per_life' | 'cpu_ns_per_life') => median(all.map((r) => r[key])) / 1e6;
    const verdict = (name: string, ours: number, c: number, note: string): Row => fairTargetRow(name, ours, c, 'ms', note);
    const oursWall = median(o.map((r) => r.wallMs));
    const oursCpu = median(o.map((r) => r.workerCpuMs));
    const rows: Row[] = [
      verdict(
        'connect+disconnect, wall per client (sequential)',
        oursWall,
        cMs(fair, 'ns_per_life'),
        `ours: ${o[0]?.hooks} hook steps per life; C: ${stages} stages of a client's life (those v3-basic registered called; TLS_VERIFY with d2i_X509 per call), ${fair[0]?.files_per_life} control files made and removed per life`,
      ),
      verdict(
        'worker CPU per client',
        oursCpu,
        cMs(fair, 'cpu_ns_per_life'),
        'from /proc/<worker>/stat over all lives (10 ms ticks, so only meaningful over many lives)',
      ),
      {
        name: 'wall per client vs C hooks only',
        ours: oursWall,
        baseline: cMs(hooksOnly, 'ns_per_life'),
        unit: 'ms',
        note: `information: c-host life without --server-work, firstClientLife()'s ${ncalls} calls with their whole envs ready (UP and DOWN included), nothing around them`,
      },
      { name: 'worker CPU per client vs C hooks only', ours: oursCpu, baseline: cMs(hooksOnly, 'cpu_ns_per_life'), unit: 'ms' },
      { name: 'supervisor (caller) CPU per client', ours: median(o.map((r) => r.supervisorCpuMs)), baseline: null, unit: 'ms' },
    ];
    return {
      name: this.name,
      title: this.title,
      rows,
      notes: [
        `${lives} sequential lives per run after 50 warm-up ones; median of ${ctx.runs} runs, alternating with c-host.`,
        'Ours also makes two IPC round trips (connect, disconnect) with a result object each, which no C host needs.',
      ],
    };
  },
};
