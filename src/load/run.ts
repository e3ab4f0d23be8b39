// A load run: N simulated clients through their whole life against one plugin chain, with concurrency and arrival
// rate limits, latency percentiles, deferral polls, the longest blocking hook, and the worker's RSS and CPU.
import { readFileSync } from 'node:fs';
import { isFailure, openHost, HostOpenError } from '../host/host.js';
import type { ConnectResult } from '../protocol/client-results.js';
import type { FailureOutcome } from '../protocol/failures.js';
import { distribution, tally, type Distribution } from './stats.js';
import { perClientFigures, type ClientSpan, type PerClientFigures, type WorkerSample } from './per-client.js';
import type { PluginSpec } from '../protocol/messages.js';
import type { ConnectOptions, ClientInput, HostOptions } from '../host/options.js';
import type { MemcheckReport } from '../host/memcheck/report.js';

export interface LoadOptions {
  plugins: PluginSpec[];
  /** A server.conf to run the plugins as it does (HostOptions.config); told what it holds that is not emulated. */
  config?: string;
  /** Server config lines (HostOptions.serverOptions). */
  serverOptions?: string[];
  onConfigNotes?: (notes: readonly string[]) => void;
  /** How many clients to run in total (default 100). */
  clients?: number;
  /** At most this many clients between connect start and disconnect end (default 100). */
  concurrency?: number;
  /** Start at most this many clients per second (default: as fast as concurrency allows). */
  arrivalRate?: number;
  /** Stop starting new clients after this long (the ones started still finish). */
  durationMs?: number;
  /** How long each client stays connected before it disconnects (default 0). */
  holdMs?: number;
  /** What every client sends (username, password, env, cert, ...); name and addresses are per client. */
  client?: ClientInput;
  connect?: ConnectOptions;
  callTimeoutMs?: number;
  /** Run the worker under valgrind's memcheck (HostOptions.memcheck): the report is in the result. */
  memcheck?: boolean;
  onProgress?: (p: LoadProgress) => void;
  /** Every plugin log line as it arrives (HostOptions.onLog). */
  onLog?: HostOptions['onLog'];
  /** The run's own steps: the chain is open (with each plugin's registered hooks), the plugins are being closed. */
  onStage?: (stage: 'opened' | 'closing', plugins?: ReadonlyArray<{ path: string; hooks: readonly string[] }>) => void;
}

export interface LoadProgress {
  started: number;
  finished: number;
  inFlight: number;
  total: number;
  outcomes: Record<string, number>;
  elapsedMs: number;
}

interface WorkerUsage {
  pid: number | null;
  rssStartMb: number | null;
  rssPeakMb: number | null;
  rssEndMb: number | null;
  /** (peak RSS - RSS at start) / most clients in progress at once: the worker's memory per concurrent client (KiB). */
  rssPerClientKb: number | null;
  peakInFlight: number;
  cpuSeconds: number | null;
  /** Worker CPU time / wall time of the run, in percent of one core. */
  cpuPercent: number | null;
}

export interface LoadReport {
  outcome: 'completed';
  plugins: string[];
  clients: { requested: number; started: number; finished: number };
  outcomes: Record<string, number>;
  /** connect() latency of every client that got a result (ms), and of the connected ones. */
  connectMs: Distribution;
  connectedMs: Distribution;
  polls: { auth: Distribution; clientConnect: Distribution };
  deferred: { auth: number; clientConnect: number };
  longestHook: { hook: string; plugin: string; ms: number } | null;
  /** Hook calls over 100 ms: on a real server each one stalls every client. */
  blockingCalls: number;
  worker: WorkerUsage;
  /** The per-client costs bench/many-deferred.ts reports: setup per client, worker RSS per deferred client, worker CPU
   * per re-check (see per-client.ts for how each is taken). */
  perClient: PerClientFigures;
  wallMs: number;
  clientsPerSecond: number;
  /** The first crash or hang, if the worker died during the run (remaining clients failed with it). */
  failure?: FailureOutcome;
  /** With memcheck: valgrind's findings in the plugins (null: valgrind wrote no report). */
  memcheck?: MemcheckReport | null;
}

export type LoadResult = LoadReport | FailureOutcome;

function readRssKb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function readCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return null;
  }
}

/** A client's time line from its result: the first deferral is known when its first DEFERRED hook step returned (a
 * DEFERRED that OpenVPN turns into a failure at once, as without CLIENT_CONNECT_DEFER_V2, is no deferral; hook times count from the worker's start of the connect, so they are placed back from the result's arrival). */
function spanOf(start: number, end: number, r: Exclude<ConnectResult, FailureOutcome>): ClientSpan {
  const waited = r.auth.deferred || ('clientConnect' in r && r.clientConnect?.deferred === true);
  const first = waited ? r.hooks.find((h) => h.status === 2) : undefined;
  const deferredAt = first ? Math.max(start, end - r.ms + first.t + first.ms) : null;
  const polls = r.auth.polls + ('clientConnect' in r && r.clientConnect ? r.clientConnect.polls : 0);
  return { start, deferredAt, end, polls };
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const total = o.clients ?? 100;
  const concurrency = Math.max(1, o.concurrency ?? 100);
  let host;
  try {
    host = await openHost({
      plugins: o.plugins,
      config: o.config,
      serverOptions: o.serverOptions,
      callTimeoutMs: o.callTimeoutMs,
      memcheck: o.memcheck,
      onLog: o.onLog,
      ...o.connect,
      detail: 'summary',
    });
  } catch (err) {
    if (err instanceof HostOpenError) return err.failure;
    throw err;
  }
  o.onConfigNotes?.(host.configNotes);
  o.onStage?.('opened', host.plugins);
  const pid = host.workerPid ?? null;
  const rssStart = pid ? readRssKb(pid) : null;
  const cpuStart = pid ? readCpuSeconds(pid) : null;
  let rssPeak = rssStart ?? 0;
  const t0 = performance.now();
  const results: ConnectResult[] = [];
  const spans: ClientSpan[] = [];
  const samples: WorkerSample[] = [];
  const sample = () => {
    if (!pid) return;
    const rss = readRssKb(pid);
    const cpu = readCpuSeconds(pid);
    if (rss !== null) rssPeak = Math.max(rssPeak, rss);
    if (rss !== null && cpu !== null) samples.push({ t: performance.now(), cpuMs: cpu * 1000, rssKb: rss });
  };
  sample();
  let started = 0;
  let finished = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let failure: FailureOutcome | undefined;
  let thrown: unknown;
  const outcomes: string[] = [];
  const progress = () => o.onProgress?.({ started, finished, inFlight, total, outcomes: tally(outcomes), elapsedMs: performance.now() - t0 });
  const sampler = setInterval(() => {
    sample();
    progress();
  }, 100);

  const oneClient = async (n: number) => {
    const c = host.client({ ...o.client, name: `client-${n + 1}` });
    const start = performance.now();
    const r = await c.connect();
    results.push(r);
    if (!isFailure(r)) spans.push(spanOf(start, performance.now(), r));
    outcomes.push(r.outcome);
    if (isFailure(r)) {
      failure ??= r;
    } else {
      if (o.holdMs && r.outcome === 'connected') await new Promise((res) => setTimeout(res, o.holdMs));
      const d = await c.disconnect();
      if (isFailure(d)) failure ??= d;
    }
  };

  try {
    await new Promise<void>((resolveAll) => {
      const interval = o.arrivalRate ? 1000 / o.arrivalRate : 0;
      const stopAt = o.durationMs === undefined ? Infinity : t0 + o.durationMs;
      let timer: NodeJS.Timeout | undefined;
      // One pump starts clients while the limits allow; it runs again when a client ends or the next one is due.
      const pump = () => {
        clearTimeout(timer);
        timer = undefined;
        const now = performance.now();
        if (started >= total || now >= stopAt || failure !== undefined || thrown !== undefined) {
          if (inFlight === 0) resolveAll();
          return;
        }
        const due = interval ? Math.min(total, Math.floor((now - t0) / interval) + 1) : total;
        while (inFlight < concurrency && started < due) {
          const n = started++;
          inFlight++;
          peakInFlight = Math.max(peakInFlight, inFlight);
          void oneClient(n)
            .catch((err: unknown) => {
              thrown ??= err;
            })
            .finally(() => {
              inFlight--;
              finished++;
              pump();
            });
        }
        if (interval && started < total && inFlight < concurrency) timer = setTimeout(pump, Math.max(0, t0 + started * interval - now));
      };
      pump();
    });
  } finally {
    clearInterval(sampler);
    sample();
  }
  const wallMs = performance.now() - t0;
  const rssEnd = pid ? readRssKb(pid) : null;
  const cpuEnd = pid ? readCpuSeconds(pid) : null;
  progress();
  o.onStage?.('closing');
  const closeFailure = await host.close();
  failure ??= closeFailure;
  if (thrown !== undefined) throw thrown;

  const done = results.filter((r): r is Exclude<ConnectResult, FailureOutcome> => !isFailure(r));
  let longest: LoadReport['longestHook'] = null;
  let blocking = 0;
  for (const r of done) {
    for (const h of r.hooks) {
      for (const c of h.calls) {
        if (c.ms > 100) blocking++;
        if (!longest || c.ms > longest.ms) longest = { hook: h.hook, plugin: c.plugin, ms: Math.round(c.ms * 100) / 100 };
      }
    }
  }
  const perClient = rssStart !== null && peakInFlight > 0 ? (rssPeak - rssStart) / peakInFlight : null;
  const mb = (kb: number | null) => (kb === null ? null : Math.round(kb / 102.4) / 10);
  const cpu = cpuStart !== null && cpuEnd !== null ? Math.round((cpuEnd - cpuStart) * 100) / 100 : null;
  return {
    outcome: 'completed',
    ...(o.memcheck ? { memcheck: host.memcheck ?? null } : {}),
    plugins: o.plugins.map((p) => p.path),
    clients: { requested: total, started, finished },
    outcomes: tally(outcomes),
    connectMs: distribution(done.map((r) => r.ms)),
    connectedMs: distribution(done.filter((r) => r.outcome === 'connected').map((r) => r.ms)),
    polls: {
      auth: distribution(done.filter((r) => r.auth.deferred).map((r) => r.auth.polls)),
      clientConnect: distribution(done.flatMap((r) => ('clientConnect' in r && r.clientConnect?.deferred ? [r.clientConnect.polls] : []))),
    },
    deferred: {
      auth: done.filter((r) => r.auth.deferred).length,
      clientConnect: done.filter((r) => 'clientConnect' in r && r.clientConnect?.deferred).length,
    },
    longestHook: longest,
    blockingCalls: blocking,
    worker: {
      pid,
      rssStartMb: mb(rssStart),
      rssPeakMb: mb(rssPeak || null),
      rssEndMb: mb(rssEnd),
      rssPerClientKb: perClient === null ? null : Math.round(perClient * 100) / 100,
      peakInFlight,
      cpuSeconds: cpu,
      cpuPercent: cpu === null ? null : Math.round((cpu / (wallMs / 1000)) * 1000) / 10,
    },
    perClient: perClientFigures(spans, samples, rssStart),
    wallMs: Math.round(wallMs),
    clientsPerSecond: Math.round((finished / (wallMs / 1000)) * 10) / 10,
    failure,
  };
}
