// Runs one differential case: the same chain (+ recorder, last) and client through the real server and the host,
// then compares. Keeps the run dirs of a case that differs (their paths are in the report), removes them otherwise.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
      restart: c.restart,
      vanish: c.vanish,
      renegotiations: c.renegotiations,
      renegSec: c.renegSec,
    });
  } catch (e) {
    host = { outcome: 'exception', options: [], authPending: [], problem: (e as Error).stack ?? String(e), raw: e };
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
    restart: c.restart ? { signal: c.restart, waitS: 30 } : undefined,
    // a vanishing client: stopped when its deferral has not resolved after 6 s (its handshake takes well under a second); the server keeps the instance
    // until it stops (no wait for it to close the instance)
    ...(c.vanish ? { settleTimeoutS: 6, disconnectWaitS: 1 } : {}),
    // the renegotiations, then 3 s for the last one to finish
    holdS: c.renegotiations && c.renegSec ? c.renegotiations * c.renegSec + 3 : undefined,
  });
  const realS = (performance.now() - tr) / 1000;
  const realRec = readRecorder(realRecFile);

  // a vanished client: the real one never settled (the lab calls that timeout), the host's connect says dropped
  const hostCompared = c.vanish && host.outcome === 'dropped' ? { ...host, outcome: 'real:timeout' } : host;
  const comparison =
    c.clients && c.clients.length > 1
      ? compareMulti(real, host, realRec, hostRec, { recheckCountVaries: c.recheckCountVaries, clients: c.clients.length })
      : compareRuns(real, hostCompared, realRec, hostRec, { recheckCountVaries: c.recheckCountVaries, viaConfig: !!hostConfig, comparedTags: c.comparedTags });
  if (c.vanish) comparison.differences.push(...leftBehindDiff(real, host));
  if (c.restart && !real.reconnected) comparison.differences.push(`real side: the client did not reconnect within 30 s after ${c.restart}`);
  const outcomeOf = (state: string) =>
    state === 'connected' ? 'connected' : state === 'auth_failed' || state === 'tls_failed' ? 'rejected' : c.vanish && state === 'timeout' ? 'dropped' : state;
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

/** The kinds of temp file (cc, ccr, acf, ...) a vanished client left: in the real run's tmp-dir, and as the host
 * reports them (`vanished.leftBehind`, removed by the host). */
function leftBehindDiff(real: RealRun, host: HostRun): string[] {
  const kinds = (names: string[]) => names.map((n) => /openvpn_([a-z]+)_[0-9a-f]+\.tmp$/.exec(n)?.[1] ?? n).sort();
  let realLeft: string[] = [];
  try {
    realLeft = kinds(readdirSync(join(real.workdir, 'tmp')));
  } catch {
    return [`real side: cannot read ${real.workdir}/tmp`];
  }
  const d = (host.raw as { disconnect?: { vanished?: { leftBehind: string[] } } }).disconnect;
  if (!d?.vanished) return ['host side: the client did not vanish during its deferral (no `vanished` in the disconnect result)'];
  const hostLeft = kinds(d.vanished.leftBehind);
  return realLeft.join() === hostLeft.join() ? [] : [`files left behind differ: real [${realLeft.join(', ')}], host [${hostLeft.join(', ')}]`];
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
