// Benchmark: the cost of one hook call. CLIENT_CONNECT_V2 with OpenVPN 2.6.14's real env (60 variables), through
// our Plugin/callChain path as the worker runs it (in-process, synchronous), against build/bench/c-host doing the
// same work in C (env array, argv, call, return list read and freed). Target: <= 1.5x the C host.
import { join } from 'node:path';
import { envForHook } from '../dist/openvpn/server-env.js';
import { defaultOpenEnv } from '../dist/openvpn/defaults.js';
import { alternate, cHost, fixture, median, tsChild, writeEnvFile, type Benchmark, type Row } from './lib/common.js';

const TARGET_RATIO = 1.5;

interface CallFigure {
  ns_per_call: number;
  cpu_ns_per_call: number;
}

const cpu = (rs: CallFigure[]) => median(rs.map((r) => r.cpu_ns_per_call));
const wall = (rs: CallFigure[]) => median(rs.map((r) => r.ns_per_call));

export const perHook: Benchmark = {
  name: 'per-hook',
  title: 'Per-hook call overhead (CLIENT_CONNECT_V2, real 2.6.14 env), in-process vs the C host',
  async run(ctx) {
    const envFile = writeEnvFile(join(ctx.tmp, 'client-connect-v2.env'), envForHook('CLIENT_CONNECT_V2').env.toEnvp());
    const openEnvFile = writeEnvFile(join(ctx.tmp, 'open.env'), defaultOpenEnv());
    const iterations = ctx.quick ? 20_000 : 200_000;
    const warmup = ctx.quick ? 5_000 : 30_000;
    const common = ['--env', envFile, '--open-env', openEnvFile, '--iterations', String(iterations), '--warmup', String(warmup)];
    const rows: Row[] = [];
    let cBenchCc = NaN;
    const cases: Array<{ fixture: string; what: string }> = [
      { fixture: 'bench-cc', what: 'bench-cc.so (looks up common_name, returns a 1-node list, no log)' },
      { fixture: 'return-list', what: 'return-list.so (3-node list, one plugin_log line per call)' },
    ];
    for (const c of cases) {
      const so = fixture(c.fixture);
      // Same env every call: our chain reuses the encoded block; C builds OpenVPN's envp pointer array over its
      // env strings (make_env_array), which is what OpenVPN does per call.
      const same = await alternate(
        ctx.runs,
        () => tsChild<CallFigure>('per-hook-child.ts', ['--mode', 'same', ...common, so]),
        () => cHost<CallFigure>('call', [...common, so]),
      );
      const encoded: CallFigure[] = [];
      for (let i = 0; i < ctx.runs; i++) encoded.push(await tsChild<CallFigure>('per-hook-child.ts', ['--mode', 'encoded', ...common, so]));
      // A different env every call: we encode all 60 strings per call; C copies all 60 strings per call (--env-copy).
      const fresh = await alternate(
        ctx.runs,
        () => tsChild<CallFigure>('per-hook-child.ts', ['--mode', 'fresh', ...common, so]),
        () => cHost<CallFigure>('call', ['--env-copy', ...common, so]),
      );
      const cSame = cpu(same.b);
      const cCopy = cpu(fresh.b);
      if (c.fixture === 'bench-cc') cBenchCc = cSame;
      const add = (name: string, ours: number, baseline: number, note: string) =>
        rows.push({
          name: `${c.fixture}: ${name}`,
          ours: ours / 1000,
          baseline: baseline / 1000,
          unit: 'us/call',
          target: `<= ${TARGET_RATIO}x C`,
          pass: ours <= baseline * TARGET_RATIO,
          note,
        });
      const wallNote = (a: CallFigure[], b: CallFigure[]) => `wall clock: ${(wall(a) / 1000).toFixed(2)} vs ${(wall(b) / 1000).toFixed(2)} us/call`;
      add('same env each call', cpu(same.a), cSame, `C: envp pointer array per call (make_env_array); ${wallNote(same.a, same.b)}`);
      add('caller-kept EncodedEnv', cpu(encoded), cSame, `C: envp pointer array per call (make_env_array); ${wallNote(encoded, same.b)}`);
      add('new env each call', cpu(fresh.a), cCopy, `C: copies the 60 env strings per call; ${wallNote(fresh.a, fresh.b)}`);
      ctx.log(`  ${c.what}: done`);
    }
    // For information: the public API, one IPC round trip to the worker per call (and a client context per call).
    const ipcIterations = ctx.quick ? 300 : 3000;
    const ipc: CallFigure[] = [];
    for (let i = 0; i < Math.min(ctx.runs, 5); i++) {
      ipc.push(
        await tsChild<CallFigure>('per-hook-child.ts', [
          '--mode',
          'ipc',
          '--env',
          envFile,
          '--open-env',
          openEnvFile,
          '--iterations',
          String(ipcIterations),
          fixture('bench-cc'),
        ]),
      );
    }
    rows.push({
      name: 'bench-cc: PluginHost.call (IPC round trip)',
      ours: wall(ipc) / 1000,
      baseline: cBenchCc / 1000,
      unit: 'us/call',
      note:
        'information, wall clock per sequential call: supervisor -> worker -> supervisor (JSON IPC), '
        + `client context made and destroyed per call; supervisor CPU ${(cpu(ipc) / 1000).toFixed(0)} us/call`,
    });
    return {
      name: this.name,
      title: this.title,
      rows,
      notes: [
        `${iterations} calls per run after ${warmup} warm-up calls; median of ${ctx.runs} runs, ours and C alternating.`,
        'Figures are process CPU time per call (user+system, all threads: robust when other processes compete for the',
        "CPUs); each row's note gives the wall-clock medians too.",
        'Ours: Plugin/callChain in a Node process set up as the worker (runtime initialised, watchdog armed per call,',
        'plugin logs written to /dev/null); C: build/bench/c-host, plugin logs formatted and written to /dev/null too.',
      ],
    };
  },
};
