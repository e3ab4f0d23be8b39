// Run one fuzz plan: write it as a scenario, parse that text and run it through the scenario runner and the library,
// watching every result; the run's verdict is its first failure (a crash, a hang, a deferral never decided, a hook
// blocking too long, a failed close) with a signature that tells failures apart, or what the run reached.
import { basename } from 'node:path';
import { frameText } from '../host/crash-site.js';
import { HostOpenError, openHost } from '../host/host.js';
import type { ClientInput, HostOptions } from '../host/options.js';
import type { ConnectResult, DisconnectResult, RenegotiateResult, RestartResult } from '../protocol/client-results.js';
import type { FailureOutcome } from '../protocol/failures.js';
import { runScenario, type ScenarioHost } from '../scenario/run.js';
import { parseScenario } from '../scenario/schema.js';
import type { MemcheckReport } from '../host/memcheck/report.js';
import type { FuzzPlan } from './plan.js';
import { mayStayUndecided, scenarioText, type FuzzTarget } from './scenario-text.js';

/** How a run ended badly. */
export interface FuzzFailure {
  kind: 'crashed' | 'hung' | 'timeout' | 'blocking' | 'close' | 'left-running' | 'left-files' | 'memcheck';
  /** Equal for the same bug: the kind, the call and the plugin (and for a crash its signal and site: the faulting
   * function in a plugin file and the offset in it, so two bugs in one hook are told apart). */
  signature: string;
  /** One line for people. */
  summary: string;
}

export type RunVerdict =
  | { kind: 'ok'; signals: string[] }
  | { kind: 'failure'; failure: FuzzFailure; signals: string[] }
  /** The chain does not load or open at all: nothing to fuzz. */
  | { kind: 'load-error'; message: string };

export interface RunLimits {
  /** A single hook call blocking longer than this is a failure (OpenVPN's whole server waits for it). */
  maxBlockingMs: number;
  /** Run under valgrind's memcheck: a finding in a plugin is a failure. */
  memcheck?: boolean;
}

/** The failure valgrind's report shows, if any: its first finding, signed by kind, call, plugin and plugin frame. */
function memcheckFailure(m: MemcheckReport | null | undefined): FuzzFailure | undefined {
  if (m === undefined || m?.clean) return undefined;
  if (m === null) return { kind: 'memcheck', signature: 'memcheck: no report', summary: 'memcheck: valgrind wrote no report' };
  const f = m.findings[0]!;
  const call = f.during ? `${f.during.call} of ${basename(f.during.plugin)}` : f.when === 'exit' ? 'exit' : 'no plugin call';
  const what = f.bytes !== undefined ? `${f.bytes} bytes leaked` : f.what;
  return { kind: 'memcheck', signature: `memcheck ${f.kind} in ${call} at ${f.where}`, summary: `memcheck: ${f.kind} in ${call} at ${f.where}: ${what}` };
}

type AnyResult = ConnectResult | DisconnectResult | RenegotiateResult | RestartResult | FailureOutcome;

const site = (r: { during?: { call: string; pluginPath?: string; plugin: number } }) =>
  r.during ? `${r.during.call} of ${basename(r.during.pluginPath ?? `plugin #${r.during.plugin}`)}` : 'no plugin call';

/** The failure a result shows, if any. UNDECIDED_OK: whether a deferral of that client left undecided at a stage is
 * an outcome OpenVPN would give (the fuzzer's own answers, a shortened deadline), not a finding. */
function failureOf(
  client: string,
  step: string,
  r: AnyResult,
  limits: RunLimits,
  undecidedOk: (stage: 'auth' | 'client-connect') => boolean = () => false,
): FuzzFailure | undefined {
  if (r.outcome === 'crashed') {
    const at = r.site ? ` at ${r.site.plugin === r.during?.pluginPath ? '' : `${basename(r.site.plugin)} `}${frameText(r.site)}` : '';
    return { kind: 'crashed', signature: `crashed ${r.signal ?? `exit ${r.exitCode}`} in ${site(r)}${at}`, summary: `${client} ${step}: ${r.message}` };
  }
  if (r.outcome === 'hung') return { kind: 'hung', signature: `hung in ${site(r)}`, summary: `${client} ${step}: ${r.message}` };
  if (r.outcome === 'timeout' && !undecidedOk(r.stage)) {
    return {
      kind: 'timeout',
      signature: `deferral never decided at ${r.stage}`,
      summary: `${client} ${step}: deferral never decided at ${r.stage}: ${r.pending}`,
    };
  }
  if (r.outcome === 'rejected' && 'stage' in r && r.stage === 'auth' && /not decided within/.test(r.reason ?? '') && !undecidedOk('auth')) {
    return { kind: 'timeout', signature: 'deferral never decided at auth', summary: `${client} ${step}: ${r.reason}` };
  }
  if ('blockingCalls' in r) {
    const worst = [...r.blockingCalls].sort((a, b) => b.ms - a.ms)[0];
    if (worst && worst.ms > limits.maxBlockingMs) {
      return {
        kind: 'blocking',
        signature: `${worst.hook} of ${basename(worst.plugin)} blocks`,
        summary: `${client} ${step}: ${worst.hook} of ${worst.plugin} blocked ${Math.round(worst.ms)} ms (OpenVPN's whole server waits)`,
      };
    }
  }
  return undefined;
}

/** What a run reached, as coarse signals of the paths it took: hook outcomes and log lines with numbers blanked. */
function signalsOf(step: string, r: AnyResult): string[] {
  const out: string[] = [`${step} ${r.outcome}`];
  if ('hooks' in r) for (const h of r.hooks) out.push(`${h.hook} ${h.statusName}`);
  for (const l of r.logs ?? []) out.push(`log ${l.plugin}: ${l.message.replace(/[0-9a-f]{6,}|\d+/gi, '#').slice(0, 80)}`);
  return out;
}

/** Run PLAN against TARGET once, with a fresh host. SCENARIO is the text that was run (the replay file). */
export async function runPlan(target: FuzzTarget, plan: FuzzPlan, limits: RunLimits): Promise<RunVerdict & { scenario: string }> {
  const scenario = scenarioText(target, plan);
  const seen: Array<{ client: string; step: string; r: AnyResult }> = [];
  const watch = (client: string, step: string) => (r: AnyResult) => {
    seen.push({ client, step, r });
    return r;
  };
  const named = new Set<string>();
  const open = async (o: HostOptions): Promise<ScenarioHost> => {
    const host = await openHost(o).catch((err: unknown) => {
      if (err instanceof HostOpenError) watch('server', 'open')(err.failure);
      throw err;
    });
    return {
      client(input: ClientInput) {
        const c = host.client(input);
        const name = input.name ?? 'client';
        // the runner makes a client anew to reconnect it after a restart
        const connect = named.has(name) ? 'reconnect' : 'connect';
        named.add(name);
        return {
          connect: (opts) => c.connect(opts).then(watch(name, connect)) as Promise<ConnectResult>,
          renegotiate: () => c.renegotiate().then(watch(name, 'renegotiate')) as Promise<RenegotiateResult>,
          disconnect: () => c.disconnect().then(watch(name, 'disconnect')) as Promise<DisconnectResult>,
        };
      },
      restart: (signal) => host.restart(signal).then(watch('server', `restart (${signal})`)) as Promise<RestartResult>,
      // a crash while closing (a plugin's thread that outlived its client) is signed like any other
      close: () =>
        host.close().then((f) => {
          if (f && f.outcome !== 'load-error') watch('server', 'close')(f);
          return f;
        }),
      kill: () => host.kill(),
      configNotes: host.configNotes,
      get memcheck() {
        return host.memcheck;
      },
      get leftRunning() {
        return host.leftRunning;
      },
      get leftFiles() {
        return host.leftFiles;
      },
    };
  };
  const report = await runScenario(parseScenario(scenario, 'fuzz.yaml'), { openHost: open, memcheck: limits.memcheck });
  if (report.loadError) {
    const opened = seen[0]?.r;
    // a crash or hang while opening is a failure like any other
    const failure = opened && failureOf('server', 'open', opened, limits);
    if (failure) return { kind: 'failure', failure, signals: [], scenario };
    // mutated arguments the plugin refuses: an expected outcome of that run (OpenVPN would not start), not a bug
    if (plan.args) return { kind: 'ok', signals: [`open refused: ${report.loadError.kind ?? report.loadError.outcome}`], scenario };
    return { kind: 'load-error', message: report.loadError.message, scenario };
  }
  const signals = [...new Set(seen.flatMap((s) => signalsOf(s.step, s.r)))];
  const undecidedOk = (client: string) => (stage: 'auth' | 'client-connect') => {
    const planned = plan.clients[Number(/^client-(\d+)$/.exec(client)?.[1]) - 1];
    return planned !== undefined && mayStayUndecided(plan, planned, stage);
  };
  for (const s of seen) {
    const failure = failureOf(s.client, s.step, s.r, limits, undecidedOk(s.client));
    if (failure) return { kind: 'failure', failure, signals, scenario };
  }
  if (report.closeError) {
    const failure: FuzzFailure = { kind: 'close', signature: `close: ${report.closeError.outcome}`, summary: `close: ${report.closeError.message}` };
    return { kind: 'failure', failure, signals, scenario };
  }
  if (report.leftRunning) {
    // by program (a fork without exec is named by the host as such): the same bug leaves the same programs
    const program = (command: string) => (command.startsWith('<') ? command : basename(command.split(' ')[0] ?? ''));
    const programs = [...new Set(report.leftRunning.map((p) => program(p.command)))].sort().join(', ');
    const failure: FuzzFailure = {
      kind: 'left-running',
      signature: `left running after close: ${programs}`,
      summary: `close: ${report.leftRunning.length} process(es) left running: ${report.leftRunning.map((p) => p.command).join('; ')}`,
    };
    return { kind: 'failure', failure, signals, scenario };
  }
  if (report.leftFiles) {
    // by the names' shape (random hex parts and numbers blanked): the same bug leaves the same kind of file
    const shape = (f: string) =>
      basename(f)
        .replace(/[0-9a-f]{8,}/g, 'X')
        .replace(/[0-9]+/g, 'N');
    const shapes = [...new Set(report.leftFiles.map(shape))].sort().join(', ');
    const failure: FuzzFailure = {
      kind: 'left-files',
      signature: `left files after close: ${shapes}`,
      summary: `close: ${report.leftFiles.length} file(s) left in the temp dir: ${report.leftFiles.join(', ')}`,
    };
    return { kind: 'failure', failure, signals, scenario };
  }
  const leaky = memcheckFailure(report.memcheck);
  if (leaky) return { kind: 'failure', failure: leaky, signals, scenario };
  return { kind: 'ok', signals, scenario };
}
