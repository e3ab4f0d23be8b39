// Run a validated scenario through the library: open the chain, run every client's steps (all at once, or one after
// another), check the expectations, close the host (always). The I/O is the library's; the verdicts come from expectations.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HostOpenError, openHost as libraryOpenHost } from '../host/host.js';
import type { ConnectResult, DisconnectResult, RenegotiateResult, RestartResult } from '../protocol/client-results.js';
import type { FailureOutcome } from '../protocol/failures.js';
import {
  checkConnect,
  checkDisconnect,
  checkRenegotiate,
  isFailureResult,
  logLines,
  notRun,
  summarize,
  unexpectedCrashOrHang,
  type ExpectationResult,
} from './expectations.js';
import { DeferralAnswerer } from './answers.js';
import { finishReport, type ClientReport, type ScenarioReport, type StepReport } from './report.js';
import { ScenarioError, type Scenario, type ScenarioClient, type StepName } from './schema.js';
import type { PluginLogEntry } from '../protocol/logs.js';
import type { RunningProcess } from '../protocol/messages.js';
import type { HostOptions, ClientInput } from '../host/options.js';
import type { MemcheckReport } from '../host/memcheck/report.js';

/** What run.ts needs from a host (the library's PluginHost; a fake in tests). */
export interface ScenarioHost {
  client(input: ClientInput): {
    connect(opts?: { onProgress?: (p: { polls: number; stage: string; file?: string }) => void }): Promise<ConnectResult>;
    renegotiate(): Promise<RenegotiateResult>;
    disconnect(): Promise<DisconnectResult>;
  };
  /** A server restart (the library's host.restart; absent in tests' fakes). */
  restart?(signal: 'SIGHUP' | 'SIGUSR1'): Promise<RestartResult>;
  close(): Promise<FailureOutcome | undefined>;
  kill(): Promise<void>;
  /** What the scenario's server config holds that the host does not emulate. */
  configNotes?: readonly string[];
  /** Under memcheck, once the worker is gone: valgrind's findings in the plugins (the library's host.memcheck). */
  readonly memcheck?: MemcheckReport;
  /** After close: the processes the plugins left running (the library's host.leftRunning). */
  readonly leftRunning?: readonly RunningProcess[];
  /** After close: the files the plugins left in the temp dir (the library's host.leftFiles). */
  readonly leftFiles?: readonly string[];
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
  /** Run the plugins under valgrind's memcheck (HostOptions.memcheck): findings in a plugin fail the scenario. */
  memcheck?: boolean;
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

/** The pool address a library client was given (absent for tests' fakes). */
function poolIpOf(client: object): string | undefined {
  return (client as { setup?: { pool?: { remoteIp?: string } } }).setup?.pool?.remoteIp;
}

/** A client's part of a restart, in one line: the hooks the server ended it with, or that it was waiting. */
function restartSummary(d: DisconnectResult): string {
  if (d.outcome !== 'disconnected') return summarize(d);
  const what = d.vanished ? 'was waiting on a deferral: no CLIENT_DISCONNECT' : d.hooks.length ? d.hooks.map((h) => h.hook).join(', ') : 'no hook called';
  return `${d.endedBy ?? 'ended by the restart'}: ${what}`;
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
      ...(opts.memcheck ? { memcheck: true } : {}),
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

  /** One client's state across its steps: the current client instance, why it cannot go on, a vanish under way. */
  interface ClientState {
    spec: ScenarioClient;
    report: ClientReport;
    client?: ReturnType<ScenarioHost['client']>;
    broken?: string;
    vanishing?: Promise<DisconnectResult>;
    /** Renegotiate steps run so far (they are numbered in reports). */
    renegotiations: number;
    /** Why no renegotiation can run any more (the client did not connect, or its tunnel ended). */
    noRenegotiation?: string;
  }
  const states: ClientState[] = s.clients.map((spec, i) => ({ spec, report: clients[i]!, renegotiations: 0 }));
  /** The restart's result, once it ran (each client's `restart` step reports its own part). */
  let restarted: RestartResult | undefined;

  const runStep = async (st: ClientState, step: StepName): Promise<void> => {
    const { spec, report } = st;
    const renegotiateExpect = step === 'renegotiate' ? (spec.expectRenegotiate[st.renegotiations++] ?? {}) : {};
    const expectations =
      step === 'connect' || step === 'reconnect' ? spec.expect : step === 'restart' ? {} : step === 'renegotiate' ? renegotiateExpect : spec.expectDisconnect;
    const why = dead ?? st.broken ?? (step === 'renegotiate' ? st.noRenegotiation : undefined);
    const numbered = step === 'renegotiate' ? { renegotiation: st.renegotiations } : {};
    if (why !== undefined) {
      report.steps.push({ step, ...numbered, outcome: 'not-run', summary: `not run: ${why}`, ms: 0, expectations: notRun(spec.name, step, expectations, why) });
      opts.onStep?.(spec.name, report.steps.at(-1)!);
      return;
    }
    const t = now();
    let stepReport: StepReport;
    /** What each of the client's answers did in this connect. */
    let answered: string[] | undefined;
    try {
      st.client ??= host.client(spec.input);
      const client = st.client;
      let r: ConnectResult | DisconnectResult | RenegotiateResult;
      let checked: ExpectationResult[];
      if (step === 'connect' || step === 'reconnect') {
        // a new client instance, with the address it had (freed by the restart, handed out again)
        if (step === 'reconnect') st.client = host.client({ poolIp: poolIpOf(client), ...spec.input });
        const c = st.client;
        // vanish: the client goes away once its connect waited on a deferral and re-checked it
        const vanish = spec.steps.includes('vanish');
        // answers: the outside party writes into the deferral files (answers.ts)
        const answerer = spec.answers.length > 0 ? new DeferralAnswerer(spec.answers, s.host) : undefined;
        const onProgress =
          vanish || answerer
            ? (p: { polls: number; stage: string; file?: string }) => {
                answerer?.onProgress(p);
                if (vanish && p.polls > 0) st.vanishing ??= c.disconnect();
              }
            : undefined;
        const res = await c.connect(onProgress ? { onProgress } : undefined);
        answered = await answerer?.finish();
        r = res;
        checked = checkConnect(spec.name, spec.expect, res, step);
        // a client that did not connect cannot renegotiate: those steps are not run
        if (res.outcome !== 'connected') st.noRenegotiation = `the connect ended ${res.outcome}`;
      } else if (step === 'renegotiate') {
        const x = await client.renegotiate();
        r = x;
        checked = checkRenegotiate(spec.name, renegotiateExpect, x);
        // a killed tunnel (or OpenVPN's exit) ends the client: no more renegotiations
        if (x.outcome !== 'renewed') st.noRenegotiation = `the tunnel ended at renegotiation ${st.renegotiations} (${x.outcome})`;
      } else if (step === 'restart') {
        // this client's part of the restart: how the server ended it
        const d = await client.disconnect();
        r = d;
        checked = [];
      } else {
        const d = await (step === 'vanish' ? (st.vanishing ?? client.disconnect()) : client.disconnect());
        r = d;
        checked = checkDisconnect(spec.name, spec.expectDisconnect, d, step);
      }
      for (const l of logLines(r.logs)) report.logs.push(l);
      stepReport = {
        step,
        ...numbered,
        outcome: r.outcome,
        summary: `${step === 'restart' ? restartSummary(r as DisconnectResult) : summarize(r)}${answered ? `; answers: ${answered.join('; ')}` : ''}`,
        ms: since(t),
        expectations: checked,
        ...(unexpectedCrashOrHang(expectations.outcome, r) ? { unexpectedFailure: true } : {}),
      };
      if (isFailureResult(r)) dead = `the worker died (${spec.name} ${step}: ${r.outcome})`;
    } catch (err) {
      // A library error (e.g. a cert the library refuses): this client cannot go on; the others can.
      const message = errorMessage(err);
      st.broken = `${step} failed`;
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
        ...numbered,
        outcome: 'error',
        summary: `error: ${message}`,
        ms: since(t),
        expectations: [failed, ...notRun(spec.name, step, expectations, `${step} failed`)],
      };
    }
    report.steps.push(stepReport);
    opts.onStep?.(spec.name, stepReport);
  };

  /** Run STEPS for every client: all at once, or one client after the other. */
  const runAll = async (steps: (st: ClientState) => StepName[]): Promise<void> => {
    const one = async (st: ClientState) => {
      for (const step of steps(st)) await runStep(st, step);
    };
    if (s.sequential) {
      for (const st of states) await one(st);
      return;
    }
    // Wait for every client, even when one of them threw (a bug): then rethrow.
    const settled = await Promise.allSettled(states.map(one));
    const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
  };

  /** The server restart between the connects and the reconnects; a failure (crash, hang, a plugin that does not
   * open again) ends the run like a dead worker. */
  const restart = async (signal: 'SIGHUP' | 'SIGUSR1'): Promise<void> => {
    if (dead !== undefined) return;
    if (!host.restart) throw new Error('this host cannot restart');
    restarted = await host.restart(signal);
    if (restarted.outcome !== 'restarted') {
      const what = restarted.outcome === 'load-error' ? restarted.error.message : restarted.message;
      dead = `the restart (${signal}) failed: ${restarted.outcome}: ${what.split('\n')[0]}`;
    }
  };

  let closeError: ScenarioReport['closeError'];
  let leftRunning: ScenarioReport['leftRunning'];
  let leftFiles: ScenarioReport['leftFiles'];
  try {
    if (s.restart) {
      await runAll(() => ['connect']);
      await restart(s.restart);
      await runAll(() => ['restart', 'reconnect', 'disconnect']);
    } else {
      await runAll((st) => st.spec.steps);
    }
  } finally {
    try {
      const f = await host.close();
      if (f) closeError = { outcome: f.outcome, message: f.outcome === 'load-error' ? f.error.message : f.message };
      if (host.leftRunning?.length) leftRunning = [...host.leftRunning];
      if (host.leftFiles?.length) leftFiles = [...host.leftFiles];
    } catch (err) {
      closeError = { outcome: 'error', message: errorMessage(err) };
      await host.kill().catch(() => undefined);
    }
  }
  const restartReport =
    s.restart && restarted
      ? {
          signal: s.restart,
          outcome: restarted.outcome,
          summary:
            restarted.outcome === 'restarted'
              ? `plugin calls: ${restarted.calls.map((c) => c.replace(/ \S*\//, ' ')).join(', ') || 'none'}`
              : (dead ?? restarted.outcome),
        }
      : undefined;
  const memcheck = opts.memcheck ? { memcheck: host.memcheck ?? null } : {};
  return finishReport({
    ...base,
    clients,
    ...(restartReport ? { restart: restartReport } : {}),
    closeError,
    ...(leftRunning ? { leftRunning } : {}),
    ...(leftFiles ? { leftFiles } : {}),
    ...memcheck,
    ms: since(t0),
  });
}
