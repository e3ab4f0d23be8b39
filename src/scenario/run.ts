// Run a validated scenario through the library: open the chain, run every client's steps (all at once, or one after
// another), check the expectations, close the host (always). The I/O is the library's; the verdicts come from expectations.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HostOpenError, openHost as libraryOpenHost } from '../host/host.js';
import type { ConnectResult, DisconnectResult } from '../protocol/client-results.js';
import type { FailureOutcome } from '../protocol/failures.js';
import { checkConnect, checkDisconnect, isFailureResult, logLines, notRun, summarize, unexpectedCrashOrHang, type ExpectationResult } from './expectations.js';
import { finishReport, type ClientReport, type ScenarioReport, type StepReport } from './report.js';
import { ScenarioError, type Scenario, type ScenarioClient } from './schema.js';
import type { PluginLogEntry } from '../protocol/logs.js';
import type { HostOptions, ClientInput } from '../host/options.js';

/** What run.ts needs from a host (the library's PluginHost; a fake in tests). */
export interface ScenarioHost {
  client(input: ClientInput): { connect(): Promise<ConnectResult>; disconnect(): Promise<DisconnectResult> };
  close(): Promise<FailureOutcome | undefined>;
  kill(): Promise<void>;
  /** What the scenario's server config holds that the host does not emulate. */
  configNotes?: readonly string[];
}

export interface RunOptions {
  /** Every plugin log line as it arrives. */
  onLog?: (entry: PluginLogEntry) => void;
  /** Called once the host is open (the CLI keeps it to kill it on Ctrl-C). */
  onHost?: (host: ScenarioHost) => void;
  /** Called after each step. */
  onStep?: (client: string, step: StepReport) => void;
  /** Replaces the library's openHost (tests). */
  openHost?: (options: HostOptions) => Promise<ScenarioHost>;
  now?: () => number;
}

/** The plugin path to load: a bare file name is taken from the scenario's directory when it is there, else passed
 * as written (the library then looks in OpenVPN's plugin directory, as OpenVPN does for a bare name). */
export function pluginPath(s: Scenario, i: number, exists: (p: string) => boolean = existsSync): string {
  const p = s.plugins[i]!;
  if (p.written.includes('/')) return p.path;
  const local = join(s.dir, p.written);
  return exists(local) ? local : p.written;
}

/** Check the files the scenario names that are not plugins (certs, the server config): a missing one is a bad scenario. */
export function checkScenarioFiles(s: Scenario, exists: (p: string) => boolean = existsSync): void {
  if (s.config !== undefined && !exists(s.config)) throw new ScenarioError(s.file, s.configLine ?? 0, 'config', `no such file ${s.config}`);
  s.clients.forEach((c, i) => {
    const cert = c.input.cert;
    if (cert !== undefined && c.certLine !== undefined && !exists(cert)) {
      throw new ScenarioError(s.file, c.certLine, `clients[${i}].cert`, `no such file ${cert}`);
    }
  });
}

function errorMessage(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0]!;
}

/** Run scenario S; resolves to its report (never throws for a plugin's behaviour; throws only for a bug). */
export async function runScenario(s: Scenario, opts: RunOptions = {}): Promise<ScenarioReport> {
  const now = opts.now ?? (() => performance.now());
  /** Milliseconds since T, to 0.1 ms. */
  const since = (t: number) => Math.round((now() - t) * 10) / 10;
  const open = opts.openHost ?? libraryOpenHost;
  const t0 = now();
  const plugins = s.plugins.map((p, i) => ({ path: pluginPath(s, i), args: p.args }));
  const base = { scenario: s.name, description: s.description, file: s.file, plugins, sequential: s.sequential };

  let host: ScenarioHost;
  try {
    host = await open({
      plugins,
      ...(s.config !== undefined ? { config: s.config } : {}),
      ...(s.server !== undefined ? { serverOptions: s.server } : {}),
      ...s.host,
      onLog: opts.onLog,
    });
  } catch (err) {
    if (!(err instanceof HostOpenError)) throw err;
    const f = err.failure;
    return finishReport({
      ...base,
      clients: [],
      ms: since(t0),
      loadError: { outcome: f.outcome, kind: f.outcome === 'load-error' ? f.error.kind : undefined, message: err.message },
    });
  }
  opts.onHost?.(host);

  /** Set when the worker died: later steps cannot run. */
  let dead: string | undefined;
  const clients: ClientReport[] = s.clients.map((c) => ({ name: c.name, steps: [], logs: [] }));

  const runClient = async (spec: ScenarioClient, report: ClientReport): Promise<void> => {
    let client: ReturnType<ScenarioHost['client']> | undefined;
    let broken: string | undefined;
    for (const step of spec.steps) {
      const expectations = step === 'connect' ? spec.expect : spec.expectDisconnect;
      const why = dead ?? broken;
      if (why !== undefined) {
        report.steps.push({ step, outcome: 'not-run', summary: `not run: ${why}`, ms: 0, expectations: notRun(spec.name, step, expectations, why) });
        opts.onStep?.(spec.name, report.steps.at(-1)!);
        continue;
      }
      const t = now();
      let stepReport: StepReport;
      try {
        client ??= host.client(spec.input);
        let r: ConnectResult | DisconnectResult;
        let checked: ExpectationResult[];
        if (step === 'connect') {
          const c = await client.connect();
          r = c;
          checked = checkConnect(spec.name, spec.expect, c);
        } else {
          const d = await client.disconnect();
          r = d;
          checked = checkDisconnect(spec.name, spec.expectDisconnect, d);
        }
        for (const l of logLines(r.logs)) report.logs.push(l);
        stepReport = {
          step,
          outcome: r.outcome,
          summary: summarize(r),
          ms: since(t),
          expectations: checked,
          ...(unexpectedCrashOrHang(expectations.outcome, r) ? { unexpectedFailure: true } : {}),
        };
        if (isFailureResult(r)) dead = `the worker died (${spec.name} ${step}: ${r.outcome})`;
      } catch (err) {
        // A library error (e.g. a cert the library refuses): this client cannot go on; the others can.
        const message = errorMessage(err);
        broken = `${step} failed`;
        const failed: ExpectationResult = {
          client: spec.name,
          step,
          expectation: 'step',
          pass: false,
          expected: `${step} runs`,
          actual: message,
          description: `${step} runs`,
          message: `${step} failed: ${message}`,
        };
        stepReport = {
          step,
          outcome: 'error',
          summary: `error: ${message}`,
          ms: since(t),
          expectations: [failed, ...notRun(spec.name, step, expectations, `${step} failed`)],
        };
      }
      report.steps.push(stepReport);
      opts.onStep?.(spec.name, stepReport);
    }
  };

  let closeError: ScenarioReport['closeError'];
  try {
    if (s.sequential) {
      for (const [i, c] of s.clients.entries()) await runClient(c, clients[i]!);
    } else {
      // Wait for every client before closing, even when one of them threw (a bug): then rethrow.
      const settled = await Promise.allSettled(s.clients.map((c, i) => runClient(c, clients[i]!)));
      const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
      if (failed) throw failed.reason;
    }
  } finally {
    try {
      const f = await host.close();
      if (f) closeError = { outcome: f.outcome, message: f.outcome === 'load-error' ? f.error.message : f.message };
    } catch (err) {
      closeError = { outcome: 'error', message: errorMessage(err) };
      await host.kill().catch(() => undefined);
    }
  }
  return finishReport({ ...base, clients, closeError, ms: since(t0) });
}
