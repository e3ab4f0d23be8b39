// `fuzz <plugin.so> [args...]`: many client lives with hostile inputs against a plugin chain; each distinct crash,
// hang, undecided deferral or long-blocking hook is minimised and written as a scenario that `run` replays.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { EXIT } from '../host/exit-codes.js';
import type { FuzzFinding, FuzzProgress, FuzzReport } from '../fuzz/fuzz.js';
import { ServerConfigError } from '../openvpn/server-config.js';
import type { PluginSpec } from '../protocol/messages.js';
import { PROGRAM_NAME, UsageError, printJson, printLines, startLogger, type RunState } from './common.js';
import { liveOutput } from './live.js';
import { addMemcheckOption } from './memcheck-output.js';

/** --max-blocking's default under --memcheck (valgrind's slowdown makes every call long). */
const MEMCHECK_MAX_BLOCKING_MS = 60_000;
import { addCommonOptions, collect, parsePluginLine, positiveNumber, PLUGIN_ARGS_HELP, PLUGIN_ARGUMENT_HELP, type CommonOptions } from './options.js';

interface FuzzCliOptions extends CommonOptions {
  plugin: string[];
  config?: string;
  serverOption: string[];
  runs?: number;
  duration?: number;
  seed?: number;
  out: string;
  maxBlocking: number;
  deferralTimeout: number;
  minimise: boolean;
  stopOnFailure?: boolean;
  memcheck?: boolean;
  fuzzArgs?: boolean;
  answerDeferrals?: boolean;
}

/** "90", "90s", "2m", "1h" as milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'] : Number.NaN;
  if (!(ms > 0) || ms > 7 * 86_400_000) throw new InvalidArgumentError('expected a duration like 60s, 5m or 1h (at most 7 days).');
  return ms;
}

function wholeNumber(what: string, min: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > 2 ** 31 - 1) throw new InvalidArgumentError(`expected ${what}.`);
    return Number(value);
  };
}

export function registerFuzz(program: Command, state: RunState): void {
  const cmd = program
    .command('fuzz')
    .description(
      'drive many client lives with hostile inputs (usernames, passwords, CRV1/SCRV1, common names, peer info, '
        + 'addresses, several clients at once) against a plugin chain; minimise each distinct failure and write a '
        + 'scenario that `run` replays',
    )
    .argument('[plugin.so]', `${PLUGIN_ARGUMENT_HELP} (optional with --config)`)
    .argument('[plugin-args...]', PLUGIN_ARGS_HELP)
    .option('--plugin <"path args">', 'another plugin in the chain, after the positional one (repeatable)', collect, [])
    .option('--config <server.conf>', 'fuzz the plugins as this server config runs them (see connect --config)')
    .option('--server-option <"line">', 'a server config line, as in server.conf (repeatable)', collect, [])
    .option('--runs <n>', 'stop after this many runs (default 100 unless --duration)', wholeNumber('a whole number of runs, at least 1', 1))
    .option('--duration <time>', 'stop starting runs after this long, e.g. 60s or 5m', parseDuration)
    .option('--seed <n>', 'the seed (default: from the clock; printed, so any session can be run again)', wholeNumber('a whole number 0..2147483647', 0))
    .option('--out <dir>', 'where to write one replay scenario per distinct failure', 'fuzz-findings')
    .option('--max-blocking <ms>', 'a hook call blocking longer than this is a failure (the whole server waits)', positiveNumber('milliseconds'), 1000)
    .option('--deferral-timeout <seconds>', 'a deferral still undecided after this is a failure', positiveNumber('seconds'), 10)
    .option('--no-minimise', 'write failing runs as found, without making them smaller')
    .option('--stop-on-failure', 'stop at the first failure')
    .option('--fuzz-args', "also mutate the plugins' own arguments (half of the runs; a plugin refusing them is no failure)")
    .option(
      '--answer-deferrals',
      "play the party a deferring plugin hands its file to: write '1', '0' or odd bytes into a deferred client's auth_control_file or client_connect_deferred_file, early, mid-deferral or after the deadline, sometimes twice",
    );
  addMemcheckOption(addCommonOptions(cmd))
    .addHelpText(
      'after',
      `
Each run opens the chain afresh, runs 1-4 clients (connect, then disconnect; at once or one after another) and
closes it. A run fails on a crash, a hang (--call-timeout), a deferral undecided after --deferral-timeout, a hook
blocking over --max-blocking, or a failed close. Some runs shorten the deferral deadline (then a plugin's own result
may come too late, and an undecided deferral is no failure). With --answer-deferrals the fuzzer writes the deferral
files too (OpenVPN reads only the first byte); what OpenVPN makes of its bytes (a rejection, an auth left undecided)
is no failure. Every distinct failure (by kind, hook, plugin and signal) is minimised and written to --out as a
scenario; \`${PROGRAM_NAME} run <file>\` replays it (exit 4 while it still crashes).
With --memcheck every run is under valgrind (20-50x slower; --max-blocking defaults to 60000): a memory error or leak
in a plugin is a failure (signature: kind, hook, plugin, plugin frame), replayed by \`run --memcheck <file>\`.
--json prints {"outcome":"done","seed":S,"runs":N,"findings":[{"signature","summary","file","scenario",..}],..}.
Exit codes: 0 no failure found, 1 failures found, 5 the chain failed to load or open, 2 usage error.`,
    )
    .action(async (path: string | undefined, args: string[], opts: FuzzCliOptions, command: Command) => {
      // under valgrind every call is 20-50x slower: the blocking limit's default grows with it
      if (opts.memcheck && command.getOptionValueSource('maxBlocking') === 'default') opts.maxBlocking = MEMCHECK_MAX_BLOCKING_MS;
      if (path === undefined && opts.config === undefined && opts.serverOption.length === 0)
        throw new UsageError('give the plugin to fuzz (or --config server.conf)');
      if (opts.runs !== undefined && opts.duration !== undefined) throw new UsageError('give --runs or --duration, not both');
      state.exitCode = await runFuzz(state, path, args, opts);
    });
}

function progressLine(p: FuzzProgress): string {
  const rate = p.elapsedMs > 0 ? (p.runs / (p.elapsedMs / 1000)).toFixed(1) : '0';
  const base = `fuzz: ${p.runs} runs, ${p.failures} failing, ${p.distinct} distinct | ${rate} runs/s | ${(p.elapsedMs / 1000).toFixed(0)} s`;
  return p.minimising ? `${base} | minimising: ${p.minimising}` : base;
}

async function runFuzz(state: RunState, path: string | undefined, args: string[], opts: FuzzCliOptions): Promise<number> {
  const plugins: PluginSpec[] = [...(path === undefined ? [] : [{ path, args }]), ...opts.plugin.map(parsePluginLine)];
  const logger = startLogger(state, opts.verbose);
  const out = liveOutput(state, logger, opts);
  // loaded here, not at start-up: the fuzzer and YAML (its scenarios) are only for this command
  const { fuzz } = await import('../fuzz/fuzz.js');
  let r: FuzzReport;
  try {
    r = await fuzz({
      plugins,
      config: opts.config,
      serverOptions: opts.serverOption,
      runs: opts.runs,
      durationMs: opts.duration,
      seed: opts.seed,
      outDir: opts.out,
      callTimeoutMs: opts.callTimeout,
      deferralTimeoutMs: opts.deferralTimeout * 1000,
      maxBlockingMs: opts.maxBlocking,
      minimiseRuns: opts.minimise ? undefined : 0,
      stopOnFailure: opts.stopOnFailure,
      memcheck: opts.memcheck,
      fuzzArgs: opts.fuzzArgs,
      answerDeferrals: opts.answerDeferrals,
      onProgress: (p) => {
        out.progress?.(progressLine(p));
        if (opts.verbose) logger.log.info(progressLine(p));
      },
    });
  } catch (err) {
    if (err instanceof ServerConfigError) throw new UsageError(err.message);
    throw err;
  }
  out.clear();
  if (opts.json) printJson(state, r);
  if (r.outcome === 'load-error') {
    if (!opts.json) state.io.err(`${PROGRAM_NAME}: ${r.message}\n`);
    return EXIT.LOAD_ERROR;
  }
  if (!opts.json) printLines(state, formatFuzz(r));
  return r.findings.length > 0 ? EXIT.PLUGIN_ERROR : EXIT.SUCCESS;
}

function size(s: { clients: number; bytes: number }): string {
  return `${s.clients} client${s.clients === 1 ? '' : 's'}, ${s.bytes} B`;
}

function formatFinding(f: FuzzFinding): string[] {
  return [
    `  ${f.signature}: ${f.count} run${f.count === 1 ? '' : 's'}, first at run ${f.run}`,
    `    first seen: ${f.summary.split('\n')[0]}`,
    `    minimised:  ${size(f.size.before)} -> ${size(f.size.after)} (${f.size.minimiseRuns} runs)`,
    ...(f.file ? [`    replay:     ${PROGRAM_NAME} run ${f.kind === 'memcheck' ? '--memcheck ' : ''}${f.file}`] : []),
  ];
}

function formatFuzz(r: Extract<FuzzReport, { outcome: 'done' }>): string[] {
  const rate = r.ms > 0 ? (r.runs / (r.ms / 1000)).toFixed(1) : '0';
  const head = `${r.runs} runs in ${(r.ms / 1000).toFixed(1)} s (${rate} runs/s), seed ${r.seed}, ${r.signals} distinct signals reached`;
  if (r.findings.length === 0) return [head, 'no failure found'];
  return [head, `${r.findings.length} distinct failure${r.findings.length === 1 ? '' : 's'}:`, ...r.findings.flatMap(formatFinding)];
}
