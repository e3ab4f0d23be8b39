// `run <scenario-file>`: run a JSON/YAML scenario (plugin chain, clients, expectations) and report pass/fail per expectation.
import { existsSync, writeFileSync } from 'node:fs';
import { readRegularFile } from '../util/safe-read.js';
import { isAbsolute, relative } from 'node:path';
import type { Command } from 'commander';
import type { ScenarioReport, StepReport } from '../scenario/report.js';
import type { Scenario } from '../scenario/schema.js';
import { ServerConfigError } from '../openvpn/server-config.js';
import { formatMemcheck, MEMCHECK_HELP } from './memcheck-output.js';
import { PROGRAM_NAME, UsageError, printJson, printLines, startLogger, type RunState } from './common.js';

/** The scenario modules (and YAML), imported when a scenario is run, not at every CLI start. */
async function scenarioModules() {
  const [schema, run, junit] = await Promise.all([import('../scenario/schema.js'), import('../scenario/run.js'), import('../scenario/junit.js')]);
  return { ...schema, ...run, ...junit };
}

interface RunCommandOptions {
  json?: boolean;
  memcheck?: boolean;
  junit?: string;
  verbose?: boolean;
}

export function registerRun(program: Command, state: RunState): void {
  program
    .command('run')
    .description('run a scenario file (JSON or YAML): a plugin chain, clients that connect and disconnect, and what to expect of each')
    .argument('<scenario-file>', 'the scenario (.yaml, .yml or .json); relative paths in it are relative to its directory')
    .option('--json', 'print the report as one JSON object on stdout instead of text')
    .option('--junit <file>', 'also write a JUnit XML report (one testsuite, one testcase per expectation) to FILE')
    .option('-v, --verbose', 'log progress and every plugin log line as it arrives on stderr (pino)')
    .option('--memcheck', `${MEMCHECK_HELP}; any finding fails the run`)
    .addHelpText(
      'after',
      `
Exit codes: 0 every expectation held, 1 an expectation failed, 2 bad scenario file (one line: file:line: field: problem),
4 a plugin crashed or hung where the scenario did not expect it, 5 the plugin chain failed to load or open (or
--memcheck without valgrind), 6 every expectation held but --memcheck found memory errors or leaks in a plugin.`,
    )
    .action(async (file: string, opts: RunCommandOptions) => {
      state.exitCode = await runCommand(state, file, opts);
    });
}

/** The largest scenario file read. */
const MAX_SCENARIO_BYTES = 4 * 1024 * 1024;

/** Read and validate FILE; every problem is a UsageError (one line, exit 2). */
async function loadScenario(file: string): Promise<Scenario> {
  const { parseScenario, checkScenarioFiles, ScenarioError } = await scenarioModules();
  // a regular file of a scenario's size, read without ever blocking (never /dev/zero, a FIFO or a directory)
  const read = readRegularFile(file, MAX_SCENARIO_BYTES);
  if (read.kind === 'missing') throw new UsageError(`${file}: cannot read the scenario file: ${existsSync(file) ? 'permission denied' : 'no such file'}`);
  if (read.kind === 'not-regular') throw new UsageError(`${file}: cannot read the scenario file: is ${read.what}`);
  if (read.truncatedFrom !== undefined) {
    throw new UsageError(`${file}: the scenario file has ${read.truncatedFrom} bytes, more than a scenario has (at most ${MAX_SCENARIO_BYTES})`);
  }
  const text = read.text;
  try {
    const scenario = parseScenario(text, file, process.cwd());
    checkScenarioFiles(scenario);
    return scenario;
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message);
    throw err;
  }
}

async function runCommand(state: RunState, file: string, opts: RunCommandOptions): Promise<number> {
  const scenario = await loadScenario(file);
  const { runScenario, junitXml } = await scenarioModules();
  const logger = startLogger(state, opts.verbose);
  logger.log.info({ scenario: scenario.name, file, clients: scenario.clients.length, sequential: scenario.sequential }, 'running the scenario');
  let report;
  try {
    report = await runScenario(scenario, {
      memcheck: opts.memcheck,
      onLog: (e) => logger.plugin(e),
      onHost: (host) => {
        state.current = { abort: () => host.kill() };
        for (const note of host.configNotes ?? []) state.io.err(`${PROGRAM_NAME}: warning: ${note}\n`);
      },
      onStep: (client, s) => logger.log.info({ client, step: s.step, outcome: s.outcome, ms: Math.round(s.ms) }, `${client} ${s.step}: ${s.summary}`),
    });
  } catch (err) {
    if (err instanceof ServerConfigError) throw new UsageError(err.message);
    throw err;
  }
  state.current = undefined;
  // the report first: a JUnit file that cannot be written must not cost the user the results
  if (opts.json) printJson(state, report);
  else printLines(state, formatReport(report));
  if (opts.junit !== undefined) {
    try {
      writeFileSync(opts.junit, junitXml([report]));
    } catch (err) {
      throw new UsageError(`--junit ${opts.junit}: cannot write the report: ${(err as Error).message}`);
    }
  }
  return report.exitCode;
}

const PASS = '✓';
const FAIL = '✗';

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function formatStep(s: StepReport): string[] {
  const lines = [`  ${(s.renegotiation ? `${s.step} ${s.renegotiation}` : s.step).padEnd(10)} ${s.summary}${s.outcome === 'not-run' ? '' : ` (${ms(s.ms)})`}`];
  for (const e of s.expectations) lines.push(`    ${e.pass ? PASS : FAIL} ${e.message}`);
  return lines;
}

/** The readable report: a header, each client's steps with ✓/✗ per expectation, the log of failing clients, a summary. */
function formatReport(r: ScenarioReport, cwd = process.cwd()): string[] {
  const lines = [`scenario ${r.scenario} (${r.file})`];
  if (r.description) lines.push(`  ${r.description}`);
  const shown = (path: string) => {
    const rel = isAbsolute(path) ? relative(cwd, path) : path;
    return rel.length < path.length ? rel : path;
  };
  for (const p of r.plugins) lines.push(`  plugin ${[shown(p.path), ...p.args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  if (r.loadError) {
    const what = r.loadError.outcome === 'load-error' ? 'did not load' : `${r.loadError.outcome} while opening`;
    lines.push(`${FAIL} the plugin chain ${what}: ${r.loadError.message}`);
    lines.push(`FAIL nothing ran (${r.loadError.outcome})`);
    return lines;
  }
  lines.push(`  ${r.clients.length} client${r.clients.length === 1 ? '' : 's'}, ${r.sequential ? 'one after another' : 'all at once'}`);
  if (r.restart) {
    const ok = r.restart.outcome === 'restarted';
    lines.push(`  ${ok ? PASS : FAIL} the server restarted (${r.restart.signal}) after every connect: ${r.restart.summary}`);
  }
  for (const c of r.clients) {
    lines.push('', c.name);
    for (const s of c.steps) for (const l of formatStep(s)) lines.push(l);
    const failed = c.steps.some((s) => s.expectations.some((e) => !e.pass));
    if (failed) {
      lines.push(`  plugin log while ${c.name} ran:`);
      if (c.logs.length === 0) lines.push('    (nothing logged)');
      for (const l of c.logs) lines.push(`    ${l}`);
    }
  }
  lines.push('');
  if (r.closeError) lines.push(`${FAIL} closing the plugin chain ${r.closeError.outcome}: ${r.closeError.message}`);
  if (r.leftRunning) {
    lines.push(`${FAIL} the plugins left ${r.leftRunning.length} process(es) running after close (the host ended them):`);
    for (const p of r.leftRunning) lines.push(`    pid ${p.pid}: ${p.command}`);
  }
  if (r.leftFiles) {
    lines.push(`${FAIL} the plugins left ${r.leftFiles.length} file(s) in the server's temp dir after close (the host removed them):`);
    for (const f of r.leftFiles) lines.push(`    ${f}`);
  }
  if (r.memcheck) lines.push(...formatMemcheck(r.memcheck).map((l, i) => (i === 0 ? `${r.memcheck!.clean ? PASS : FAIL} ${l}` : l)), '');
  else if (r.memcheck === null) lines.push(`${FAIL} memcheck: valgrind wrote no report (it did not start or was killed before writing)`, '');
  const crashes = r.clients.flatMap((c) => c.steps.filter((s) => s.unexpectedFailure).map((s) => `${c.name} ${s.step}`));
  const tail = `(${r.clients.length} client${r.clients.length === 1 ? '' : 's'}, ${ms(r.ms)})`;
  if (r.passed) {
    lines.push(`PASS ${r.total} expectation${r.total === 1 ? '' : 's'} held ${tail}`);
  } else {
    const restartFailed = r.restart && r.restart.outcome !== 'restarted';
    const memcheckFailed = r.memcheck && !r.memcheck.clean ? 1 : 0;
    const expFailed = r.failed - (r.closeError ? 1 : 0) - (r.leftRunning ? 1 : 0) - (r.leftFiles ? 1 : 0) - (restartFailed ? 1 : 0) - memcheckFailed;
    const parts: string[] = [];
    if (expFailed > 0) parts.push(`${expFailed} of ${r.total} expectation${r.total === 1 ? '' : 's'} failed`);
    if (crashes.length) parts.push(`unexpected crash or hang in ${crashes.join(', ')}`);
    if (r.closeError) parts.push(`closing the plugin chain ${r.closeError.outcome}`);
    if (r.leftRunning) parts.push(`${r.leftRunning.length} process(es) left running after close`);
    if (r.leftFiles) parts.push(`${r.leftFiles.length} file(s) left in the temp dir after close`);
    if (restartFailed) parts.push(`the restart ${r.restart!.outcome}`);
    if (r.memcheck && !r.memcheck.clean) parts.push(`memcheck found ${r.memcheck.findings.length} memory error(s) or leak(s) in the plugin`);
    const text = `FAIL ${parts.join('; ')}`;
    lines.push(`${text} ${tail}`);
  }
  return lines;
}
