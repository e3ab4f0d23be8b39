// A fuzz session: run after run of random (or, guided by new signals, mutated) plans against a plugin chain; each new
// failure is minimised and written as a scenario that `run` replays. Reproducible from the seed.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PluginSpec } from '../protocol/messages.js';
import { runPlan, type FuzzFailure } from './execute.js';
import { minimise } from './minimise.js';
import { mutatePlan, planSize, randomPlan, type FuzzPlan } from './plan.js';
import { Random } from './random.js';
import { scenarioText, type FuzzTarget } from './scenario-text.js';

export interface FuzzOptions {
  plugins: PluginSpec[];
  /** A server.conf whose plugins and settings are fuzzed as the server runs them. */
  config?: string;
  /** Server config lines. */
  serverOptions?: string[];
  /** Stop after this many runs (default: 100 unless durationMs is given). */
  runs?: number;
  /** Stop starting runs after this long. */
  durationMs?: number;
  /** The seed (default: from the clock; the report says which). */
  seed?: number;
  /** Where to write one scenario per distinct failure (default: nowhere; the report carries the texts). */
  outDir?: string;
  /** A hook call that does not return within this is hung (default 5000). */
  callTimeoutMs?: number;
  /** A deferral still undecided after this is a failure (default 10000). */
  deferralTimeoutMs?: number;
  /** A hook call blocking longer than this is a failure (default 1000). */
  maxBlockingMs?: number;
  /** Runs the minimiser may use per distinct failure (default 60; 0: no minimising). */
  minimiseRuns?: number;
  /** Mutate the plugins' own arguments in half of the runs (drop, duplicate, empty, very long, odd characters,
   * numbers at limits), at most as one `plugin` config line carries them; a plugin refusing them (load-error) is an
   * expected outcome of that run. Default false. */
  fuzzArgs?: boolean;
  /** Play the outside party of deferring plugins: write into a deferred client's auth_control_file or
   * client_connect_deferred_file early, mid-deferral or after the deadline, '1', '0', odd bytes, sometimes twice (the
   * opposite answer second). An outcome OpenVPN would give for those bytes (a rejection, an auth left undecided) is
   * no finding. Default false. */
  answerDeferrals?: boolean;
  /** Stop at the first failure (default false). */
  stopOnFailure?: boolean;
  /** Run every plan under valgrind's memcheck: a finding in a plugin is a failure of kind 'memcheck'. */
  memcheck?: boolean;
  onProgress?: (p: FuzzProgress) => void;
}

export interface FuzzProgress {
  runs: number;
  failures: number;
  distinct: number;
  elapsedMs: number;
  /** Set while a new failure is being minimised. */
  minimising?: string;
}

/** One distinct failure (by signature). */
export interface FuzzFinding {
  signature: string;
  /** The first occurrence, as it happened (before minimising). */
  summary: string;
  kind: FuzzFailure['kind'];
  /** The run that found it first. */
  run: number;
  /** How many runs ended with it. */
  count: number;
  /** The minimised replay: scenario text for `ovpn-plugin-host run`. */
  scenario: string;
  /** Where the scenario was written (with outDir). */
  file?: string;
  size: { before: { clients: number; bytes: number }; after: { clients: number; bytes: number }; minimiseRuns: number };
}

export type FuzzReport =
  | { outcome: 'done'; seed: number; runs: number; ms: number; findings: FuzzFinding[]; signals: number }
  | { outcome: 'load-error'; seed: number; message: string };

/** Fuzz a plugin chain. */
export async function fuzz(o: FuzzOptions): Promise<FuzzReport> {
  const seed = o.seed ?? Date.now() % 2 ** 31;
  const target: FuzzTarget = {
    // a path with a '/' is made absolute (the scenario may be replayed from elsewhere); a bare name stays OpenVPN's lookup
    plugins: o.plugins.map((p) => ({ path: p.path.includes('/') ? resolve(p.path) : p.path, args: p.args ?? [] })),
    ...(o.config !== undefined ? { config: resolve(o.config) } : {}),
    ...(o.serverOptions?.length ? { server: o.serverOptions } : {}),
    callTimeoutMs: o.callTimeoutMs ?? 5000,
    timeoutMs: o.deferralTimeoutMs ?? 10_000,
    maxBlockingMs: o.maxBlockingMs ?? 1000,
  };
  const limits = { maxBlockingMs: target.maxBlockingMs, memcheck: o.memcheck };
  const maxRuns = o.runs ?? (o.durationMs === undefined ? 100 : Number.POSITIVE_INFINITY);
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  const findings = new Map<string, FuzzFinding>();
  const signals = new Set<string>();
  /** Plans that reached a new signal: later runs mutate them half of the time. */
  const corpus: FuzzPlan[] = [];
  let failures = 0;
  let run = 0;
  const progress = (minimising?: string) =>
    o.onProgress?.({ runs: run, failures, distinct: findings.size, elapsedMs: elapsed(), ...(minimising ? { minimising } : {}) });

  for (; run < maxRuns && (o.durationMs === undefined || elapsed() < o.durationMs); ) {
    const r = Random.forRun(seed, run);
    const plan = corpus.length > 0 && r.chance(0.5) ? mutatePlan(r.pick(corpus), r) : randomPlan(r, o.fuzzArgs ? target.plugins : undefined, o.answerDeferrals);
    const v = await runPlan(target, plan, limits);
    run++;
    if (v.kind === 'load-error') return { outcome: 'load-error', seed, message: v.message };
    const fresh = v.signals.filter((s) => !signals.has(s));
    for (const s of fresh) signals.add(s);
    if (fresh.length > 0 && v.kind === 'ok') corpus.push(plan);
    if (v.kind === 'failure') {
      failures++;
      const known = findings.get(v.failure.signature);
      if (known) known.count++;
      else findings.set(v.failure.signature, await record(v.failure, plan, run, seed, target, limits, o, () => progress(v.failure.signature)));
      if (o.stopOnFailure) break;
    }
    progress();
  }
  return { outcome: 'done', seed, runs: run, ms: elapsed(), findings: [...findings.values()], signals: signals.size };
}

/** A file name for a signature: its words, and when they are too long, their start and a hash of the whole (two
 * crash sites that differ only at the end get two files). */
export function fileStem(signature: string): string {
  const words = signature
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();
  return words.length <= 80 ? words : `${words.slice(0, 71).replace(/-$/, '')}-${createHash('sha256').update(signature).digest('hex').slice(0, 8)}`;
}

/** A new failure: minimise it, write its scenario. */
async function record(
  failure: FuzzFailure,
  plan: FuzzPlan,
  run: number,
  seed: number,
  target: FuzzTarget,
  limits: { maxBlockingMs: number },
  o: FuzzOptions,
  onMinimise: () => void,
): Promise<FuzzFinding> {
  onMinimise();
  const same = async (p: FuzzPlan) => {
    const v = await runPlan(target, p, limits);
    return v.kind === 'failure' && v.failure.signature === failure.signature;
  };
  const small = o.minimiseRuns === 0 ? { plan, runs: 0 } : await minimise(plan, same, o.minimiseRuns ?? 60, target.plugins);
  const scenario = scenarioText(target, small.plan, [
    `ovpn-plugin-host fuzz, seed ${seed}, run ${run}: ${failure.signature}`,
    `first seen as: ${failure.summary.split('\n')[0]}`,
    failure.kind === 'memcheck'
      ? 'replay: ovpn-plugin-host run --memcheck <this file> (fails while the bug is there: exit 6)'
      : 'replay: ovpn-plugin-host run <this file> (fails while the bug is there: exit 4 for a crash or hang, 1 otherwise)',
  ]);
  const finding: FuzzFinding = {
    signature: failure.signature,
    summary: failure.summary,
    kind: failure.kind,
    run,
    count: 1,
    scenario,
    size: { before: planSize(plan), after: planSize(small.plan), minimiseRuns: small.runs },
  };
  if (o.outDir !== undefined) {
    mkdirSync(o.outDir, { recursive: true });
    finding.file = join(o.outDir, `${fileStem(failure.signature)}.yaml`);
    writeFileSync(finding.file, scenario);
  }
  return finding;
}
