// Benchmark: one client's whole server-side life through the library (openHost, host.client().connect() then
// disconnect(): TLS_VERIFY per depth with a real X509, AUTH_USER_PASS_VERIFY, TLS_FINAL, CLIENT_CONNECT_V2,
// LEARN_ADDRESS add, CLIENT_DISCONNECT, LEARN_ADDRESS delete, per-client constructor/destructor) on v3-basic.so,
// against build/bench/c-host running the same hook calls with the same 2.6.14 envs (firstClientLife) in C.
// No target was set for this one: the figures are for information (and regressions).
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { openHost } from '../dist/index.js';
import { HOOKS, type HookName } from '../dist/openvpn/constants.js';
import { firstClientLife } from '../dist/openvpn/server-env.js';
import { defaultOpenEnv } from '../dist/openvpn/defaults.js';
import { cHost, fixture, median, processCpuMs, writeEnvFile, type BenchContext, type Benchmark, type Row } from './lib/common.js';

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
}

/** The life as c-host's life file: the hook calls of the first client, with their argv, env and certificate. */
function writeLifeFile(path: string): number {
  const calls = firstClientLife({ registeredHooks: V3_BASIC_HOOKS, ...USER });
  const out: string[] = [];
  for (const c of calls) {
    const env = c.env.toEnvp();
    for (const s of [...c.argv, ...env]) if (s.includes('\n')) throw new Error(`a newline in ${c.hook}'s argv/env`);
    const der = c.cert?.der ? Buffer.from(c.cert.der).toString('hex') : '-';
    out.push(`H ${HOOKS[c.hook]} ${c.certDepth} ${c.context} ${c.argv.length} ${env.length} ${der}`, ...c.argv, ...env);
  }
  writeFileSync(path, `${out.join('\n')}\n`);
  return calls.length;
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
  title: "A client's whole life (connect + disconnect, 8 hook calls) through openHost, vs the same calls in C",
  async run(ctx: BenchContext) {
    const lifeFile = join(ctx.tmp, 'life.txt');
    const ncalls = writeLifeFile(lifeFile);
    const openEnv = writeEnvFile(join(ctx.tmp, 'open.env'), defaultOpenEnv());
    const lives = ctx.quick ? 100 : 500;
    const o: Array<Awaited<ReturnType<typeof ours>>> = [];
    const c: CLife[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      o.push(await ours(lives));
      c.push(
        await cHost<CLife>('life', [
          '--life',
          lifeFile,
          '--open-env',
          openEnv,
          '--iterations',
          String(ctx.quick ? 2000 : 20000),
          '--warmup',
          '500',
          fixture('v3-basic'),
        ]),
      );
    }
    const cWallMs = median(c.map((r) => r.ns_per_life)) / 1e6;
    const cCpuMs = median(c.map((r) => r.cpu_ns_per_life)) / 1e6;
    const rows: Row[] = [
      {
        name: 'connect+disconnect, wall per client (sequential)',
        ours: median(o.map((r) => r.wallMs)),
        baseline: cWallMs,
        unit: 'ms',
        note: `ours: ${o[0]?.hooks} hook steps per life; C: firstClientLife()'s ${ncalls} calls, those v3-basic registered made (TLS_VERIFY with d2i_X509 per call)`,
      },
      {
        name: 'worker CPU per client',
        ours: median(o.map((r) => r.workerCpuMs)),
        baseline: cCpuMs,
        unit: 'ms',
        note: 'from /proc/<worker>/stat over all lives (10 ms ticks, so only meaningful over many lives)',
      },
      { name: 'supervisor (caller) CPU per client', ours: median(o.map((r) => r.supervisorCpuMs)), baseline: null, unit: 'ms' },
    ];
    return {
      name: this.name,
      title: this.title,
      rows,
      notes: [
        `${lives} sequential lives per run after 50 warm-up ones; median of ${ctx.runs} runs, alternating with c-host.`,
        'Ours includes what OpenVPN does around the hooks (env building, per-client files, state machines) and two IPC round',
        'trips (connect, disconnect) with a result object each; C makes only the hook calls.',
      ],
    };
  },
};
