// Per-client costs of a load run, the figures bench/many-deferred.ts reports: setup per client, worker RSS per
// deferred client, worker CPU per re-check. Pure: computed from each client's time line and the worker samples.

/** One client's time line (ms, one clock): connect() called, first deferral known (null: never deferred), result. */
export interface ClientSpan {
  start: number;
  deferredAt: number | null;
  end: number;
  /** Re-checks of its deferred auth and client-connect (auth_control_file reads, DEFER calls). */
  polls: number;
}

/** The worker at one moment: CPU time used so far (ms) and RSS (KiB). */
export interface WorkerSample {
  t: number;
  cpuMs: number;
  rssKb: number;
}

export interface PerClientFigures {
  /** How long some client was between connect() and its first deferral (or its result), divided by the clients: with
   * all clients started at once, the time until all are deferred / N. */
  setupMs: number | null;
  /** Most clients deferred at the same moment. */
  peakDeferred: number;
  /** (peak RSS - RSS at start) / peakDeferred. */
  rssKbPerDeferredClient: number | null;
  /** Worker CPU while every client in progress was deferred, divided by the re-checks made meanwhile (each client's
   * re-checks taken as spread evenly over its deferral). */
  cpuUsPerRecheck: number | null;
  /** The re-checks that figure counts, and the time it covers. */
  rechecks: number;
  waitMs: number;
}

const overlap = (a0: number, a1: number, b0: number, b1: number) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Total length of the union of intervals. */
function unionLength(intervals: Array<[number, number]>): number {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let open: [number, number] | undefined;
  for (const [a, b] of sorted) {
    if (open && a <= open[1]) open[1] = Math.max(open[1], b);
    else {
      if (open) total += open[1] - open[0];
      open = [a, b];
    }
  }
  return open ? total + open[1] - open[0] : total;
}

/** Most intervals open at once (an interval ending at t closes before one starting at t opens). */
function peakOverlap(intervals: Array<[number, number]>): number {
  const events = intervals.flatMap(
    ([a, b]): Array<[number, number]> => [
      [a, 1],
      [b, -1],
    ],
  );
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let peak = 0;
  for (const [, d] of events) {
    open += d;
    peak = Math.max(peak, open);
  }
  return peak;
}

export function perClientFigures(spans: readonly ClientSpan[], samples: readonly WorkerSample[], rssStartKb: number | null): PerClientFigures {
  const setupEnds = spans.map((s): [number, number] => [s.start, s.deferredAt ?? s.end]);
  const deferred = spans.filter((s) => s.deferredAt !== null).map((s) => ({ from: s.deferredAt!, to: s.end, polls: s.polls }));
  const peakDeferred = peakOverlap(deferred.map((d) => [d.from, d.to]));
  const rssPeak = samples.reduce((m, s) => Math.max(m, s.rssKb), rssStartKb ?? 0);
  let cpu = 0;
  let rechecks = 0;
  let waitMs = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!.t;
    const b = samples[i]!.t;
    // a waiting interval: no client in setup or ending in it, at least one deferred throughout
    if (setupEnds.some(([s, e]) => overlap(s, e, a, b) > 0 || (e > a && e < b))) continue;
    if (deferred.some((d) => d.to > a && d.to < b)) continue;
    const waiting = deferred.filter((d) => d.from <= a && d.to >= b);
    if (!waiting.length) continue;
    cpu += samples[i]!.cpuMs - samples[i - 1]!.cpuMs;
    waitMs += b - a;
    for (const d of waiting) rechecks += (d.polls * (b - a)) / Math.max(d.to - d.from, 1e-9);
  }
  return {
    setupMs: spans.length ? round(unionLength(setupEnds) / spans.length, 3) : null,
    peakDeferred,
    rssKbPerDeferredClient: rssStartKb !== null && peakDeferred > 0 ? round((rssPeak - rssStartKb) / peakDeferred, 2) : null,
    cpuUsPerRecheck: rechecks >= 1 ? round((cpu * 1000) / rechecks, 1) : null,
    rechecks: Math.round(rechecks),
    waitMs: Math.round(waitMs),
  };
}
