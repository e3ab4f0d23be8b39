// Benchmark: memory and CPU while many clients wait on a deferred client-connect. N clients (10,000; 1,000 with
// --quick) connect through openHost; bench-defer.so (mode=v2, release=FILE) defers every one at CLIENT_CONNECT_V2
// and keeps answering DEFERRED to CLIENT_CONNECT_DEFER_V2 until the release file exists. Once all N are deferred we
// watch the worker for a window (RSS, CPU), then release them and time until every connect() resolved.
// Baseline: build/bench/c-host v2-many, the same plugin and N clients held deferred in C, re-checked at the same
// interval (OpenVPN's ~1.1 s cadence: timing 'openvpn'). No target was set: information (and regressions).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHost, type ConnectResult } from '../dist/index.js';
import { envForHook } from '../dist/openvpn/server-env.js';
import { defaultOpenEnv } from '../dist/openvpn/defaults.js';
import { cHost, fixture, median, processCpuMs, processRssMb, sleep, writeEnvFile, type BenchContext, type Benchmark, type Row } from './lib/common.js';

const RECHECK_MS = 1100; // timing 'openvpn'

interface CMany {
  clients: number;
  pending: number;
  setup_ms: number;
  window_ms: number;
  window_cpu_ms: number;
  polls: number;
  rss_kb: number;
}

function lineCount(path: string): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'latin1');
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

async function ours(ctx: BenchContext, n: number, windowMs: number, tag: string) {
  const stamp = join(ctx.tmp, `stamp-${tag}`);
  const release = join(ctx.tmp, `release-${tag}`);
  const host = await openHost({ plugins: [{ path: fixture('bench-defer'), args: ['mode=v2', 'delay_ms=0', `stamp=${stamp}`, `release=${release}`] }] });
  const pid = host.workerPid!;
  try {
    const rssOpen = processRssMb(pid);
    const supRss0 = process.memoryUsage().rss / 2 ** 20;
    const t0 = performance.now();
    const clients = Array.from({ length: n }, () => host.client({}));
    const results: Array<Promise<ConnectResult>> = clients.map((c) => c.connect({ detail: 'summary', timing: 'openvpn', timeoutMs: 30 * 60_000 }));
    // All deferred: every client made its CLIENT_CONNECT_V2 call (one stamp line each).
    const setupLimit = performance.now() + 20 * 60_000;
    while (lineCount(stamp) < n) {
      if (performance.now() > setupLimit) throw new Error(`only ${lineCount(stamp)} of ${n} clients deferred after 20 min`);
      await sleep(100);
    }
    const setupMs = performance.now() - t0;
    const cpu0 = processCpuMs(pid);
    const sup0 = process.cpuUsage();
    const w0 = performance.now();
    let rssPeak = processRssMb(pid);
    while (performance.now() - w0 < windowMs) {
      await sleep(250);
      rssPeak = Math.max(rssPeak, processRssMb(pid));
    }
    const windowWall = performance.now() - w0;
    const windowCpu = processCpuMs(pid) - cpu0;
    const s = process.cpuUsage(sup0);
    const rssWait = processRssMb(pid);
    const supRss = process.memoryUsage().rss / 2 ** 20;
    const r0 = performance.now();
    writeFileSync(release, '');
    const done = await Promise.all(results);
    const releaseMs = performance.now() - r0;
    const connected = done.filter((r) => r.outcome === 'connected').length;
    if (connected !== n)
      throw new Error(`${n - connected} of ${n} clients did not connect: ${JSON.stringify(done.find((r) => r.outcome !== 'connected')).slice(0, 300)}`);
    return {
      setupMs,
      windowWall,
      windowCpu,
      supervisorCpu: (s.user + s.system) / 1000,
      rssOpen,
      rssWait,
      rssPeak,
      supervisorRssGrowth: supRss - supRss0,
      releaseMs,
    };
  } finally {
    await host.kill();
  }
}

export const manyDeferred: Benchmark = {
  name: 'many-deferred',
  title: "Many clients waiting on a deferred client-connect (DEFER_V2, OpenVPN's 1.1 s re-check): worker RSS and CPU",
  async run(ctx) {
    const n = ctx.quick ? 1000 : 10_000;
    const windowMs = ctx.quick ? 3000 : 10_000;
    const runs = ctx.quick ? 1 : Math.min(ctx.runs, 3);
    const envFile = writeEnvFile(join(ctx.tmp, 'client-connect-v2.env'), envForHook('CLIENT_CONNECT_V2').env.toEnvp());
    const openEnv = writeEnvFile(join(ctx.tmp, 'open.env'), defaultOpenEnv());
    const o: Array<Awaited<ReturnType<typeof ours>>> = [];
    const c: CMany[] = [];
    for (let i = 0; i < runs; i++) {
      o.push(await ours(ctx, n, windowMs, String(i)));
      c.push(
        await cHost<CMany>('v2-many', [
          '--clients',
          String(n),
          '--poll-interval',
          String(RECHECK_MS),
          '--window-ms',
          String(windowMs),
          '--env',
          envFile,
          '--open-env',
          openEnv,
          fixture('bench-defer'),
          'mode=v2',
          'delay_ms=0',
          `release=${join(ctx.tmp, 'never')}`,
        ]),
      );
    }
    const med = (f: (r: (typeof o)[number]) => number) => median(o.map(f));
    const cMed = (f: (r: CMany) => number) => median(c.map(f));
    const rows: Row[] = [
      {
        name: `worker RSS with ${n} clients deferred`,
        ours: med((r) => r.rssWait),
        baseline: cMed((r) => r.rss_kb / 1024),
        unit: 'MiB',
        note:
          `ours: ${med((r) => r.rssOpen).toFixed(0)} MiB after open, peak ${med((r) => r.rssPeak).toFixed(0)} MiB; `
          + `${(((med((r) => r.rssWait) - med((r) => r.rssOpen)) * 1024) / n).toFixed(1)} KiB per deferred client`,
      },
      {
        name: 'worker CPU while they wait',
        ours: med((r) => (r.windowCpu / r.windowWall) * 100),
        baseline: cMed((r) => (r.window_cpu_ms / r.window_ms) * 100),
        unit: '% of a core',
        note:
          `ours: ${med((r) => r.windowCpu).toFixed(0)} ms CPU in a ${(windowMs / 1000).toFixed(0)} s window; `
          + `C: ${cMed((r) => r.polls)} DEFER_V2 calls in its window`,
      },
      {
        name: 'supervisor (caller) CPU while they wait',
        ours: med((r) => (r.supervisorCpu / r.windowWall) * 100),
        baseline: null,
        unit: '% of a core',
        note: `supervisor RSS grew ${med((r) => r.supervisorRssGrowth).toFixed(0)} MiB for the ${n} pending connect() calls`,
      },
      {
        name: `time until all ${n} are deferred`,
        ours: med((r) => r.setupMs),
        baseline: cMed((r) => r.setup_ms),
        unit: 'ms',
        note: 'ours: client() + connect() through the worker (TLS_VERIFY..CLIENT_CONNECT_V2 per client); C: constructor + CLIENT_CONNECT_V2',
      },
      {
        name: `time from release until all ${n} connected`,
        ours: med((r) => r.releaseMs),
        baseline: null,
        unit: 'ms',
        note: `bounded below by the ${RECHECK_MS} ms re-check interval`,
      },
    ];
    return {
      name: this.name,
      title: this.title,
      rows,
      notes: [`${n} clients; median of ${runs} run(s); RSS from /proc/<pid>/status (VmRSS), CPU from /proc/<pid>/stat.`],
    };
  },
};
