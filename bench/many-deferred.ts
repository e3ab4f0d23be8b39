// Benchmark: cost per client while many clients wait on a deferred client-connect, and how it grows with their
// number (1,000 / 10,000 / 50,000; 1,000 / 10,000 with --quick). N clients connect through openHost;
// bench-defer.so (mode=v2, release=FILE, count=FILE) defers every one at CLIENT_CONNECT_V2 and keeps answering
// DEFERRED to CLIENT_CONNECT_DEFER_V2 (counting the calls in a shared file) until the release file exists. Once all
// N are deferred we watch the worker for a window (RSS, CPU, re-checks), then release them and time until every
// connect() resolved. Baseline: build/bench/c-host v2-many --server-work (the same plugin, N clients in C with
// OpenVPN's work around the hooks and a re-check timer per client, at OpenVPN's ~1.1 s cadence like ours with
// timing 'openvpn'); c-host v2-many without it (hooks only) is shown for information.
// Targets: setup per client, worker RSS per deferred client and worker CPU per re-check <= 3x the fair C host, at
// the largest size; each figure's growth from the smallest to the largest size <= 1.5x (a flat per-client cost).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHost, type ConnectResult } from '../dist/index.js';
import { envForHook } from '../dist/openvpn/server-env.js';
import { defaultOpenEnv } from '../dist/openvpn/defaults.js';
import {
  cHost,
  failedRow,
  fairTargetRow,
  fixture,
  fmt,
  median,
  oneLine,
  processCpuMs,
  processRssMb,
  sleep,
  writeEnvFile,
  type BenchContext,
  type Benchmark,
  type Row,
} from './lib/common.js';
import { writeServerWorkLife } from './lib/life-file.js';

const RECHECK_MS = 1100; // timing 'openvpn'
const GROWTH_TARGET = 1.5; // largest size's per-client figure <= 1.5x the smallest's
/** The worker's V8 heap limit for the run (50,000 deferred clients need more than Node's default on small machines). */
const WORKER_HEAP_MB = 8192;

interface CMany {
  clients: number;
  pending: number;
  setup_ms: number;
  window_ms: number;
  window_cpu_ms: number;
  polls: number;
  rss_open_kb: number;
  rss_kb: number;
}

/** The three per-client figures of one host at one size. */
interface PerClient {
  setupUs: number;
  rssKb: number;
  recheckUs: number;
}

/** One size: ours, the fair C host, C hooks only, and our totals (information). */
interface SizeResult {
  n: number;
  ours: PerClient;
  fair: PerClient;
  hooksOnly: PerClient;
  totals: Awaited<ReturnType<typeof ours>>;
  seconds: number;
}

function lineCount(path: string): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'latin1');
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The CLIENT_CONNECT_DEFER_V2 calls bench-defer counted so far (count=FILE: one 8-byte counter). */
function deferCalls(path: string): number {
  const b = readFileSync(path);
  if (b.length < 8) throw new Error(`${path}: bench-defer's counter is missing`);
  return Number(b.readBigUInt64LE(0));
}

async function ours(ctx: BenchContext, n: number, windowMs: number, tag: string) {
  const stamp = join(ctx.tmp, `stamp-${tag}`);
  const release = join(ctx.tmp, `release-${tag}`);
  const count = join(ctx.tmp, `count-${tag}`);
  const nodeOptions = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${nodeOptions ?? ''} --max-old-space-size=${WORKER_HEAP_MB}`.trim();
  let host: Awaited<ReturnType<typeof openHost>>;
  try {
    host = await openHost({
      plugins: [{ path: fixture('bench-defer'), args: ['mode=v2', 'delay_ms=0', `stamp=${stamp}`, `release=${release}`, `count=${count}`] }],
    });
  } finally {
    if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = nodeOptions;
  }
  const pid = host.workerPid!;
  try {
    const rssOpen = processRssMb(pid);
    const supRss0 = process.memoryUsage().rss / 2 ** 20;
    const t0 = performance.now();
    const clients = Array.from({ length: n }, () => host.client({}));
    const results: Array<Promise<ConnectResult>> = clients.map((c) => c.connect({ detail: 'summary', timing: 'openvpn', timeoutMs: 60 * 60_000 }));
    // if this run fails half-way, the connects still pending end with the host: that is not another error
    for (const r of results) r.catch(() => undefined);
    // All deferred: every client made its CLIENT_CONNECT_V2 call (one stamp line each).
    const setupLimit = performance.now() + 30 * 60_000;
    while (lineCount(stamp) < n) {
      if (performance.now() > setupLimit) throw new Error(`only ${lineCount(stamp)} of ${n} clients deferred after 30 min`);
      await sleep(100);
    }
    const setupMs = performance.now() - t0;
    const cpu0 = processCpuMs(pid);
    const calls0 = deferCalls(count);
    const sup0 = process.cpuUsage();
    const w0 = performance.now();
    let rssPeak = processRssMb(pid);
    while (performance.now() - w0 < windowMs) {
      await sleep(250);
      rssPeak = Math.max(rssPeak, processRssMb(pid));
    }
    const windowWall = performance.now() - w0;
    const windowCpu = processCpuMs(pid) - cpu0;
    const rechecks = deferCalls(count) - calls0;
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
      rechecks,
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

function cPerClient(c: CMany, n: number): PerClient {
  if (c.pending !== n) throw new Error(`c-host: ${c.pending} of ${n} clients deferred`);
  if (c.polls === 0) throw new Error('c-host made no re-check in its window');
  return { setupUs: (c.setup_ms * 1000) / n, rssKb: (c.rss_kb - c.rss_open_kb) / n, recheckUs: (c.window_cpu_ms * 1000) / c.polls };
}

async function measureSize(ctx: BenchContext, n: number, windowMs: number, files: { life: string; env: string; openEnv: string }): Promise<SizeResult> {
  const t0 = performance.now();
  const runs = ctx.quick || n >= 50_000 ? 1 : Math.min(ctx.runs, 3);
  const o: Array<Awaited<ReturnType<typeof ours>>> = [];
  const fair: CMany[] = [];
  const hooksOnly: CMany[] = [];
  const common = ['--clients', String(n), '--poll-interval', String(RECHECK_MS), '--window-ms', String(windowMs), '--open-env', files.openEnv];
  const plugin = (tag: string) => [
    fixture('bench-defer'),
    'mode=v2',
    'delay_ms=0',
    `release=${join(ctx.tmp, 'never')}`,
    `count=${join(ctx.tmp, `c-count-${tag}`)}`,
  ];
  for (let i = 0; i < runs; i++) {
    ctx.log(`   ${n} clients, run ${i + 1}/${runs}`);
    o.push(await ours(ctx, n, windowMs, `${n}-${i}`));
    fair.push(await cHost<CMany>('v2-many', ['--server-work', '--life', files.life, '--tmp-dir', ctx.tmp, ...common, ...plugin(`${n}-${i}`)]));
    hooksOnly.push(await cHost<CMany>('v2-many', ['--env', files.env, ...common, ...plugin(`${n}-${i}-h`)]));
  }
  const med = (f: (r: (typeof o)[number]) => number) => median(o.map(f));
  const medC = (all: CMany[]): PerClient => {
    const each = all.map((c) => cPerClient(c, n));
    return { setupUs: median(each.map((e) => e.setupUs)), rssKb: median(each.map((e) => e.rssKb)), recheckUs: median(each.map((e) => e.recheckUs)) };
  };
  if (o.some((r) => r.rechecks === 0)) throw new Error(`our worker made no re-check in the ${windowMs} ms window`);
  return {
    n,
    ours: {
      setupUs: med((r) => (r.setupMs * 1000) / n),
      rssKb: med((r) => ((r.rssWait - r.rssOpen) * 1024) / n),
      recheckUs: med((r) => (r.windowCpu * 1000) / r.rechecks),
    },
    fair: medC(fair),
    hooksOnly: medC(hooksOnly),
    totals: {
      setupMs: med((r) => r.setupMs),
      windowWall: med((r) => r.windowWall),
      windowCpu: med((r) => r.windowCpu),
      rechecks: med((r) => r.rechecks),
      supervisorCpu: med((r) => r.supervisorCpu),
      rssOpen: med((r) => r.rssOpen),
      rssWait: med((r) => r.rssWait),
      rssPeak: med((r) => r.rssPeak),
      supervisorRssGrowth: med((r) => r.supervisorRssGrowth),
      releaseMs: med((r) => r.releaseMs),
    },
    seconds: (performance.now() - t0) / 1000,
  };
}

const FIGURES: Array<{ key: keyof PerClient; name: string; unit: string; note: string }> = [
  {
    key: 'setupUs',
    name: 'setup per client',
    unit: 'us',
    note: 'time until all N are deferred / N; ours: client() + connect() through the worker; C: constructor, the env of each stage up to CLIENT_CONNECT_V2, the call',
  },
  { key: 'rssKb', name: 'worker RSS per deferred client', unit: 'KiB', note: '(RSS with N deferred - RSS after open) / N' },
  {
    key: 'recheckUs',
    name: 'worker CPU per re-check',
    unit: 'us',
    note: 'process CPU in the window / CLIENT_CONNECT_DEFER_V2 calls in it (counted by the plugin for both hosts)',
  },
];

const verdictRow = (f: (typeof FIGURES)[number], s: SizeResult): Row =>
  fairTargetRow(`${f.name} (${s.n} clients)`, s.ours[f.key], s.fair[f.key], f.unit, f.note);

export const manyDeferred: Benchmark = {
  name: 'many-deferred',
  title: "Many clients waiting on a deferred client-connect (DEFER_V2, OpenVPN's 1.1 s re-check): cost per client and its growth",
  async run(ctx) {
    const sizes = ctx.quick ? [1000, 10_000] : [1000, 10_000, 50_000];
    const windowMs = ctx.quick ? 3000 : 10_000;
    const files = {
      life: join(ctx.tmp, 'server-work-life.txt'),
      env: writeEnvFile(join(ctx.tmp, 'client-connect-v2.env'), envForHook('CLIENT_CONNECT_V2').env.toEnvp()),
      openEnv: writeEnvFile(join(ctx.tmp, 'open.env'), defaultOpenEnv()),
    };
    writeServerWorkLife(files.life, { registeredHooks: ['CLIENT_CONNECT_V2', 'CLIENT_CONNECT_DEFER_V2'] });
    const measured: Array<SizeResult | { n: number; failed: string }> = [];
    for (const n of sizes) {
      try {
        measured.push(await measureSize(ctx, n, windowMs, files));
      } catch (err) {
        measured.push({ n, failed: oneLine(err) });
      }
    }
    const ok = measured.filter((m): m is SizeResult => !('failed' in m));
    const rows: Row[] = [];
    for (const m of measured) if ('failed' in m) rows.push(failedRow(`${m.n} clients`, m.failed));
    const largest = ok[ok.length - 1];
    if (largest) {
      rows.push(...FIGURES.map((f) => verdictRow(f, largest)));
      for (const f of FIGURES)
        rows.push({
          name: `${f.name} (${largest.n} clients) vs C hooks only`,
          ours: largest.ours[f.key],
          baseline: largest.hooksOnly[f.key],
          unit: f.unit,
          note: 'information: c-host v2-many without --server-work (the hook calls alone, one sleep loop for all clients)',
        });
    }
    // growth: the largest size's per-client figure over the smallest's (both must have been measured)
    const first = measured[0];
    const last = measured[measured.length - 1];
    for (const f of FIGURES) {
      const name = `growth ${sizes[0]}→${sizes[sizes.length - 1]}: ${f.name}`;
      if (!first || !last || 'failed' in first || 'failed' in last || first === last) {
        rows.push(failedRow(name, new Error(`needs both the ${sizes[0]} and the ${sizes[sizes.length - 1]} client runs`)));
        continue;
      }
      const g = last.ours[f.key] / first.ours[f.key];
      rows.push({
        name,
        ours: g,
        baseline: last.fair[f.key] / first.fair[f.key],
        unit: 'x',
        target: `<= ${GROWTH_TARGET}x`,
        pass: g <= GROWTH_TARGET,
        note: `ours ${fmt(first.ours[f.key], f.unit)} -> ${fmt(last.ours[f.key], f.unit)}; the C column is the fair C host's own growth`,
      });
    }
    if (largest) {
      const t = largest.totals;
      const n = largest.n;
      rows.push(
        {
          name: `worker RSS with ${n} clients deferred`,
          ours: t.rssWait,
          baseline: (largest.fair.rssKb * n) / 1024,
          unit: 'MiB',
          note: `ours: ${t.rssOpen.toFixed(0)} MiB after open, peak ${t.rssPeak.toFixed(0)} MiB; C: the growth over its RSS after open`,
        },
        {
          name: 'worker CPU while they wait',
          ours: (t.windowCpu / t.windowWall) * 100,
          baseline: null,
          unit: '% of a core',
          note: `ours: ${t.windowCpu.toFixed(0)} ms CPU and ${t.rechecks} re-checks in a ${(t.windowWall / 1000).toFixed(1)} s window`,
        },
        {
          name: 'supervisor (caller) CPU while they wait',
          ours: (t.supervisorCpu / t.windowWall) * 100,
          baseline: null,
          unit: '% of a core',
          note: `supervisor RSS grew ${t.supervisorRssGrowth.toFixed(0)} MiB for the ${n} pending connect() calls`,
        },
        { name: `time until all ${n} are deferred`, ours: t.setupMs, baseline: (largest.fair.setupUs * n) / 1000, unit: 'ms' },
        {
          name: `time from release until all ${n} connected`,
          ours: t.releaseMs,
          baseline: null,
          unit: 'ms',
          note: `bounded below by the ${RECHECK_MS} ms re-check interval`,
        },
      );
    }
    const cell = (m: (typeof measured)[number], f: (typeof FIGURES)[number], who: 'ours' | 'fair') => ('failed' in m ? 'FAILED' : fmt(m[who][f.key], f.unit));
    return {
      name: this.name,
      title: this.title,
      rows,
      tables: [
        {
          title: 'Scaling: per-client figures by number of deferred clients (ours / fair C)',
          header: ['clients', ...FIGURES.flatMap((f) => [`${f.name}: ours`, 'C']), 'duration'],
          rows: measured.map((m) => [
            String(m.n),
            ...FIGURES.flatMap((f) => [cell(m, f, 'ours'), cell(m, f, 'fair')]),
            'failed' in m ? m.failed : `${m.seconds.toFixed(0)} s`,
          ]),
        },
      ],
      notes: [
        `Sizes ${sizes.join(', ')}; a ${(windowMs / 1000).toFixed(0)} s window each; median of ${ctx.quick ? 1 : Math.min(ctx.runs, 3)} run(s) (1 at 50000).`,
        'RSS from /proc/<pid>/status (VmRSS), CPU from /proc/<pid>/stat (ours) and CLOCK_PROCESS_CPUTIME_ID (C).',
      ],
    };
  },
};
