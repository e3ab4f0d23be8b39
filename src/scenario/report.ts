// The report of one scenario run (what --json prints, what the text and JUnit outputs are made from), and its exit code. Pure.
import type { ExpectationResult } from './expectations.js';
import type { StepName } from './schema.js';
import { EXIT } from '../host/exit-codes.js';
import type { MemcheckReport } from '../host/memcheck/report.js';
import type { RunningProcess } from '../protocol/messages.js';

export interface StepReport {
  step: StepName;
  /** A renegotiate step's number (1, 2, ...): reports name it "renegotiate N". */
  renegotiation?: number;
  /** The result's outcome (connected, rejected, ..., disconnected, crashed, hung), or 'not-run' / 'error'. */
  outcome: string;
  /** One line saying what happened. */
  summary: string;
  ms: number;
  /** The crash/hang was not what the scenario expected (exit code 4). */
  unexpectedFailure?: boolean;
  expectations: ExpectationResult[];
}

export interface ClientReport {
  name: string;
  steps: StepReport[];
  /** The client's plugin log lines, "plugin: message", over all its steps. */
  logs: string[];
}

export interface ScenarioReport {
  /** The scenario's name. */
  scenario: string;
  description?: string;
  file: string;
  passed: boolean;
  exitCode: number;
  plugins: Array<{ path: string; args: string[] }>;
  sequential: boolean;
  /** The chain could not be loaded or opened (outcome load-error), or crashed or hung while opening: nothing ran. */
  loadError?: { outcome: string; kind?: string; message: string };
  clients: ClientReport[];
  /** The server restart of a scenario with `restart`: its signal, outcome and plugin calls (or why it failed). */
  restart?: { signal: string; outcome: string; summary: string };
  /** Closing the host (close_v1 of every plugin) crashed or hung. */
  closeError?: { outcome: string; message: string };
  /** The processes the plugins left running after close (the host ended them); absent when none. A failure. */
  leftRunning?: RunningProcess[];
  /** The files the plugins left in the server's temp dir after close (relative to it; the host removed them); absent
   * when none. A failure. */
  leftFiles?: string[];
  /** run --memcheck: valgrind's findings in the plugins (null: valgrind wrote no report); any finding fails the run. */
  memcheck?: MemcheckReport | null;
  /** Expectations checked, and how many failed (an unexpected crash/hang counts as a failed expectation). */
  total: number;
  failed: number;
  ms: number;
}

/** Every expectation result of the report, in client and step order. */
function allExpectations(r: Pick<ScenarioReport, 'clients'>): ExpectationResult[] {
  return r.clients.flatMap((c) => c.steps.flatMap((s) => s.expectations));
}

/** 5 the chain did not load; 4 an unexpected crash or hang (including at open and close); 1 an expectation failed
 * or a plugin left processes running or files in the temp dir after close;
 * 6 every expectation held but memcheck found memory errors or leaks in a plugin; 0 all held. */
function exitCodeOf(r: Pick<ScenarioReport, 'loadError' | 'clients' | 'closeError' | 'restart' | 'memcheck' | 'leftRunning' | 'leftFiles'>): number {
  if (r.loadError) return r.loadError.outcome === 'load-error' ? EXIT.LOAD_ERROR : EXIT.CRASHED_OR_HUNG;
  if (r.closeError || r.clients.some((c) => c.steps.some((s) => s.unexpectedFailure))) return EXIT.CRASHED_OR_HUNG;
  if (r.restart && (r.restart.outcome === 'crashed' || r.restart.outcome === 'hung')) return EXIT.CRASHED_OR_HUNG;
  if (r.restart && r.restart.outcome !== 'restarted') return EXIT.PLUGIN_ERROR;
  if (!allExpectations(r).every((e) => e.pass) || r.leftRunning || r.leftFiles) return EXIT.PLUGIN_ERROR;
  return r.memcheck && !r.memcheck.clean ? EXIT.MEMCHECK : EXIT.SUCCESS;
}

/** Fill in passed, exitCode, total and failed from the rest. */
export function finishReport(r: Omit<ScenarioReport, 'passed' | 'exitCode' | 'total' | 'failed'>): ScenarioReport {
  const all = allExpectations(r);
  const restartFailed = r.restart && r.restart.outcome !== 'restarted' ? 1 : 0;
  const memcheckFailed = r.memcheck && !r.memcheck.clean ? 1 : 0;
  const failed =
    all.filter((e) => !e.pass).length
    + (r.loadError ? 1 : 0)
    + (r.closeError ? 1 : 0)
    + (r.leftRunning ? 1 : 0)
    + (r.leftFiles ? 1 : 0)
    + restartFailed
    + memcheckFailed;
  const exitCode = exitCodeOf(r);
  return { ...r, passed: exitCode === EXIT.SUCCESS, exitCode, total: all.length, failed };
}
