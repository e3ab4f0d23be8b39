// Runs one differential case: the same chain (+ recorder, last) and client through the real server and the host,
// then compares. Keeps the run dirs of a case that differs (their paths are in the report), removes them otherwise.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ParityCase } from './cases.js';
import { compareRuns, type Comparison } from './compare.js';
import { compareMulti } from './multi.js';
import { runHost, type HostRun } from './host-side.js';
import { runRealServer, SAMPLE_KEYS, serverConfig, type ChainPlugin, type RealRun } from './real-server.js';
import { readRecorder, type Recorded } from './recorder.js';

export interface CaseResult {
  case: ParityCase;
  real: RealRun;
  host: HostRun;
  realRec: Recorded[];
  hostRec: Recorded[];
  comparison: Comparison;
  /** Set when the real server did not do what the case expects (lab or fixture problem). */
  labProblem?: string;
  realS: number;
  hostS: number;
  keptDirs: string[];
}

function chainFor(c: ParityCase, fixturesDir: string, recorderOut: string): ChainPlugin[] {
  const rec = c.recorder ?? { fixture: 'recorder' };
  const recArgs = [`out=${recorderOut}`, ...(rec.args ?? [])];
  return [
    ...c.chain.map((p) => ({ path: join(fixturesDir, `${p.fixture}.so`), args: p.args ?? [] })),
    { path: join(fixturesDir, `${rec.fixture}.so`), args: c.recorderArgsAsOne ? [recArgs.join(' ')] : recArgs },
  ];
}

/** The suite's --client-connect script (argv: script, its mode, then the recorder file it appends its SCRIPT line to). */
const CC_SCRIPT = join(import.meta.dirname, 'cc-script.sh');

function scriptArgv(c: ParityCase, recorderOut: string): string[] | undefined {
  return c.script ? [CC_SCRIPT, ...c.script, recorderOut] : undefined;
}

export async function runCase(c: ParityCase, fixturesDir: string, opts: { keepAll?: boolean } = {}): Promise<CaseResult> {
  // the host side first (fast), then the real server; both record into their own file
  const hostDir = mkdtempSync(join(tmpdir(), 'ovpn-parity-host-'));
  const hostRecFile = join(hostDir, 'recorder.txt');
  // A ccd case: the files in a dir of their own; the host runs the real server's config text (its own recorder file)
  let ccdDir: string | undefined;
  let hostConfig: string | undefined;
  const extraConfig = c.renegSec ? [...(c.extraConfig ?? []), `reneg-sec ${c.renegSec}`] : c.extraConfig;
  if (c.ccd || c.viaConfig || extraConfig) {
    if (c.ccd) {
      ccdDir = mkdtempSync(join(tmpdir(), 'ovpn-parity-ccd-'));
      for (const [name, text] of Object.entries(c.ccd.files)) writeFileSync(join(ccdDir, name), text);
    }
    hostConfig = join(hostDir, 'server.conf');
    mkdirSync(join(hostDir, 'tmp'));
    writeFileSync(
      hostConfig,
      serverConfig(hostDir, SAMPLE_KEYS, chainFor(c, fixturesDir, hostRecFile), {
        proto: c.proto,
        clientConnect: scriptArgv(c, hostRecFile),
        ccdDir,
        ccdExclusive: c.ccd?.exclusive,
        extraConfig,
      }),
    );
  }
  const th = performance.now();
  let host: HostRun;
  try {
    host = await runHost({
      plugins: chainFor(c, fixturesDir, hostRecFile),
      username: c.username,
      password: c.password,
      clients: c.clients,
      peerInfo: c.peerInfo,
      proto: c.proto,
      script: scriptArgv(c, hostRecFile),
      config: hostConfig,
      renegotiations: c.renegotiations,
      renegSec: c.renegSec,
    });
  } catch (e) {
    host = { outcome: 'exception', options: [], problem: (e as Error).stack ?? String(e), raw: e };
  }
  const hostS = (performance.now() - th) / 1000;
  const hostRec = readRecorder(hostRecFile);

  // the real server's recorder writes into the run dir, which runRealServer creates: use a placeholder dir of ours
  const realRecDir = mkdtempSync(join(tmpdir(), 'ovpn-parity-rec-'));
  const realRecFile = join(realRecDir, 'recorder.txt');
  const tr = performance.now();
  const real = await runRealServer({
    plugins: chainFor(c, fixturesDir, realRecFile),
    username: c.username,
    password: c.password,
    clients: c.clients ?? (c.peerInfo ? [{ username: c.username, password: c.password, peerInfo: c.peerInfo }] : undefined),
    proto: c.proto,
    clientConnect: scriptArgv(c, realRecFile),
    ccdDir,
    ccdExclusive: c.ccd?.exclusive,
    extraConfig,
    // the renegotiations, then 3 s for the last one to finish
    holdS: c.renegotiations && c.renegSec ? c.renegotiations * c.renegSec + 3 : undefined,
  });
  const realS = (performance.now() - tr) / 1000;
  const realRec = readRecorder(realRecFile);

  const comparison =
    c.clients && c.clients.length > 1
      ? compareMulti(real, host, realRec, hostRec, { recheckCountVaries: c.recheckCountVaries, clients: c.clients.length })
      : compareRuns(real, host, realRec, hostRec, { recheckCountVaries: c.recheckCountVaries, viaConfig: !!hostConfig, comparedTags: c.comparedTags });
  const outcomeOf = (state: string) => (state === 'connected' ? 'connected' : state === 'auth_failed' ? 'rejected' : state);
  const off = real.clients.filter((k) => outcomeOf(k.state) !== c.expect);
  const labProblem = off.length
    ? `the real server's outcome is ${real.clients.map((k) => k.state).join(' / ')}${real.problem ? ` (${real.problem})` : ''}, the case expects ${c.expect}: the lab or the fixture changed`
    : undefined;
  // a case marked with a product bug that is in parity: the mark is stale (the bug was fixed, or the case changed)
  if (c.productBug && comparison.differences.length === 0 && !labProblem) {
    comparison.differences.push(
      `the case is marked with a product bug but is in parity: remove the mark (productBug in cases.ts) and the README entry:\n  ${c.productBug}`,
    );
  }
  const keep = opts.keepAll || comparison.differences.length > 0 || !!labProblem;
  const dirs = [real.workdir, realRecDir, hostDir, ...(ccdDir ? [ccdDir] : [])];
  if (!keep) for (const d of dirs) rmSync(d, { recursive: true, force: true });
  return { case: c, real, host, realRec, hostRec, comparison, labProblem, realS, hostS, keptDirs: keep ? dirs : [] };
}

/** A readable report of one case. */
export function report(r: CaseResult): string {
  const s = r.comparison.summary;
  const lines = [
    `== ${r.case.name}  (real ${r.realS.toFixed(1)} s, host ${r.hostS.toFixed(1)} s)`,
    `   outcome: real ${s.realOutcome} | host ${s.hostOutcome}`,
    `   pushed by plugins: real [${s.realPushed.join(' | ')}] | host [${s.hostPushed.join(' | ')}]`,
    `   ifconfig: real ${s.realIfconfig ?? '-'} | host ${s.hostIfconfig ?? '-'}`,
    `   hooks (real, compared): ${s.hooks.map((h) => h.replace(/\(.*\)(?=(@[^()]*)?$)/, '')).join(' ')}`,
  ];
  if (r.labProblem) lines.push(`   LAB: ${r.labProblem}`);
  if (r.case.productBug) lines.push(`   KNOWN PRODUCT BUG (this case fails until src/ is fixed): ${r.case.productBug}`);
  for (const d of r.comparison.differences) lines.push(...`DIFF: ${d}`.split('\n').map((l) => `   ${l}`));
  if (r.keptDirs.length) lines.push(`   kept for inspection: ${r.keptDirs.join(' ')}`);
  return lines.join('\n');
}

/** Run cases with at most `concurrency` at a time (each real run has its own network namespace). */
export async function runPool<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
