// `load <plugin.so> [args...]`: many simulated clients through their whole life; a live progress bar, then a report.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { isFailure } from '../host/host.js';
import { runLoad, type LoadProgress, type LoadReport } from '../load/run.js';
import type { Distribution } from '../load/stats.js';
import { PROGRAM_NAME, UsageError, printJson, printLines, startLogger, type RunState } from './common.js';
import { failureLine, formatFailureDetails } from './output.js';
import { liveOutput } from './live.js';
import { addMemcheckOption, callTimeoutOption, formatMemcheck } from './memcheck-output.js';
import { EXIT, exitCodeOfFailure } from '../host/exit-codes.js';
import { ServerConfigError } from '../openvpn/server-config.js';
import type { PluginSpec } from '../protocol/messages.js';
import {
  parseEnvOption,
  addCommonOptions,
  type CommonOptions,
  type ConnectCliOptions,
  parsePluginLine,
  positiveNumber,
  PLUGIN_ARGS_HELP,
  PLUGIN_ARGUMENT_HELP,
  collect,
  certOption,
} from './options.js';

/** load's options: the client and timing ones as connect has them, and the load's own. */
interface LoadCliOptions
  extends Pick<
      ConnectCliOptions,
      'plugin' | 'username' | 'password' | 'cert' | 'env' | 'timeout' | 'handWindow' | 'config' | 'serverOption' | 'pollInterval' | 'timing'
    >,
    CommonOptions {
  clients: number;
  concurrency: number;
  arrivalRate?: number;
  duration?: number;
  hold: number;
  memcheck?: boolean;
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new InvalidArgumentError('expected a positive whole number.');
  return Number(value);
}

/** 0 every client connected; 1 some rejected (or fatal); 3 some timed out; 4 the plugin crashed or hung; 6 memcheck
 * found memory errors or leaks in the plugin. */
function exitCodeOfLoad(r: LoadReport): number {
  if (r.failure || r.outcomes.crashed || r.outcomes.hung) return EXIT.CRASHED_OR_HUNG;
  if (r.outcomes.timeout) return EXIT.TIMEOUT;
  if (r.outcomes.rejected || r.outcomes.fatal) return EXIT.PLUGIN_ERROR;
  if (r.memcheck && !r.memcheck.clean) return EXIT.MEMCHECK;
  return EXIT.SUCCESS;
}

export function registerLoad(program: Command, state: RunState): void {
  const cmd = program
    .command('load')
    .description(
      'drive many simulated clients through their whole life against a plugin chain and report outcomes, '
        + 'connect latency percentiles, deferral polls, the longest blocking hook call, worker RSS and CPU, and the costs per client '
        + '(setup, worker RSS per deferred client, worker CPU per re-check)',
    )
    .argument('[plugin.so]', `${PLUGIN_ARGUMENT_HELP} (optional with --config)`)
    .argument('[plugin-args...]', PLUGIN_ARGS_HELP)
    .option('--plugin <"path args">', 'another plugin in the chain, after the positional one (repeatable)', collect, [])
    .option('--clients <n>', 'how many clients in total', positiveInteger, 100)
    .option('--concurrency <n>', 'at most this many clients in progress at once', positiveInteger, 100)
    .option(
      '--arrival-rate <per-second>',
      'start at most this many clients per second (default: as fast as --concurrency allows)',
      positiveNumber('clients per second'),
    )
    .option('--duration <seconds>', 'stop starting clients after this long (started ones finish)', positiveNumber('seconds'))
    .option('--hold <ms>', 'how long each client stays connected before it disconnects', (v) => positiveNumber('milliseconds')(v), 0)
    .option('--username <user>', 'every client sends this username (without it: no AUTH_USER_PASS_VERIFY)')
    .option('--password <pass>', 'and this password')
    .option('--cert <chain.pem>', 'the client certificate chain (PEM; default: the bundled test chain)')
    .option('--env <K=V>', "add to or override every client's env (repeatable)", collect, [])
    .option('--timeout <seconds>', 'a deferred client-connect not resolved within this long counts as timeout', positiveNumber('seconds'), 60)
    .option('--hand-window <seconds>', "a deferred auth not decided within this long fails (default 60, or the config's)", positiveNumber('seconds'))
    .option('--config <server.conf>', 'run the plugins as this server config does (see connect --config)')
    .option('--server-option <"line">', 'a server config line, as in server.conf (repeatable; see connect --server-option)', collect, [])
    .option('--poll-interval <ms>', 'how often deferred results are re-checked (default 20; files are also watched)', positiveNumber('milliseconds'))
    .addOption(
      new Option('--timing <mode>', "'fast' (poll + watch files) or 'openvpn' (~1.1 s re-check cadence)").choices(['fast', 'openvpn']).default('fast'),
    );
  addMemcheckOption(addCommonOptions(cmd))
    .addHelpText(
      'after',
      `
--json prints {"outcome":"completed","clients":{..},"outcomes":{"connected":N,..},"connectMs":{"p50",..},"polls":{..},
"longestHook":{..},"blockingCalls":N,"worker":{"rssPeakMb",..,"cpuPercent"},
"perClient":{"setupMs","rssKbPerDeferredClient","peakDeferred","cpuUsPerRecheck","rechecks","waitMs"},..} (docs/cli.md: JSON shapes).
With --memcheck also "memcheck":{"clean","findings":[..],"leaks":[..],"ignored"}.
Exit codes: 0 every client connected, 1 some rejected, 3 some timed out, 4 crashed or hung, 5 failed to load (or --memcheck without valgrind), 6 --memcheck found memory errors or leaks in the plugin, 2 usage error.`,
    )
    .action(async (path: string | undefined, args: string[], opts: LoadCliOptions, command: Command) => {
      if (path === undefined && opts.config === undefined && opts.serverOption.length === 0)
        throw new UsageError('give the plugin to run (or --config server.conf)');
      state.exitCode = await load(state, path, args, opts, callTimeoutOption(command, opts.callTimeout, opts.memcheck));
    });
}

function bar(p: LoadProgress, width = 30): string {
  const filled = Math.round((p.finished / p.total) * width);
  const o = p.outcomes;
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.finished}/${p.total} done, ${p.inFlight} in progress `
    + `| connected ${o.connected} rejected ${o.rejected} timeout ${o.timeout} | ${(p.elapsedMs / 1000).toFixed(1)} s`
  );
}

async function load(state: RunState, path: string | undefined, args: string[], opts: LoadCliOptions, callTimeout: number | undefined): Promise<number> {
  const plugins: PluginSpec[] = [...(path === undefined ? [] : [{ path, args }]), ...opts.plugin.map(parsePluginLine)];
  const env = Object.fromEntries(opts.env.map(parseEnvOption));
  if (opts.password !== undefined && opts.username === undefined) throw new UsageError('--password needs --username');
  const cert = certOption(opts.cert);
  const logger = startLogger(state, opts.verbose);
  const out = liveOutput(state, logger, opts);
  logger.log.info({ plugins: plugins.map((p) => p.path), config: opts.config, clients: opts.clients }, 'opening the plugin chain');
  // -v: the clients' progress at each tenth of the run (not at every client: a run may have thousands)
  let loggedTenths = 0;
  const logProgress = (p: LoadProgress) => {
    const tenths = Math.floor((p.finished / Math.max(p.total, 1)) * 10);
    if (tenths <= loggedTenths) return;
    loggedTenths = tenths;
    logger.log.debug({ finished: p.finished, total: p.total, inFlight: p.inFlight, outcomes: p.outcomes }, bar(p));
  };
  let r;
  try {
    r = await runLoad({
      plugins,
      clients: opts.clients,
      concurrency: opts.concurrency,
      arrivalRate: opts.arrivalRate,
      durationMs: opts.duration === undefined ? undefined : opts.duration * 1000,
      holdMs: opts.hold,
      callTimeoutMs: callTimeout,
      memcheck: opts.memcheck,
      client: { username: opts.username ?? null, password: opts.password, cert, env },
      config: opts.config,
      onConfigNotes: (notes) => {
        for (const note of notes) state.io.err(`${PROGRAM_NAME}: warning: ${note}\n`);
      },
      connect: {
        timeoutMs: opts.timeout * 1000,
        handWindowMs: opts.handWindow === undefined ? undefined : opts.handWindow * 1000,
        pollIntervalMs: opts.pollInterval,
        timing: opts.timing,
      },
      onProgress:
        out.progress || opts.verbose
          ? (p) => {
              out.progress?.(bar(p));
              if (opts.verbose) logProgress(p);
            }
          : undefined,
      onLog: opts.verbose ? out.onLog : undefined,
      onStage: (stage, opened) => {
        if (stage === 'opened') logger.log.info({ plugins: opened?.map((p) => ({ path: p.path, hooks: p.hooks })) }, `opened; running ${opts.clients} clients`);
        else logger.log.info('the clients are done; closing the plugins');
      },
    });
  } catch (err) {
    if (err instanceof ServerConfigError) throw new UsageError(err.message);
    throw err;
  }
  out.clear();
  if (isFailure(r)) {
    if (opts.json) printJson(state, r);
    else {
      state.io.err(`${PROGRAM_NAME}: ${failureLine(r)}\n`);
      if (r.outcome === 'load-error') printLines(state, formatFailureDetails(r), 'err');
    }
    return exitCodeOfFailure(r);
  }
  if (opts.json) printJson(state, r);
  else printLines(state, formatLoad(r));
  return exitCodeOfLoad(r);
}

function dist(d: Distribution, unit: string): string {
  if (d.count === 0) return '(none)';
  return `p50 ${d.p50}${unit}  p90 ${d.p90}${unit}  p99 ${d.p99}${unit}  max ${d.max}${unit}  (n=${d.count})`;
}

/** The three per-client costs, as bench/many-deferred.ts reports them; "-" for one the run gave nothing to measure. */
function formatPerClient(p: LoadReport['perClient']): string {
  const or = (v: number | null, text: (v: number) => string, why: string) => (v === null ? `- (${why})` : text(v));
  return [
    `setup ${or(p.setupMs, (v) => `${v} ms`, 'no client')}`,
    `worker RSS ${or(p.rssKbPerDeferredClient, (v) => `${v} KiB per deferred client (${p.peakDeferred} at once)`, 'no client deferred')}`,
    `worker CPU ${or(p.cpuUsPerRecheck, (v) => `${v} us per re-check (${p.rechecks} re-checks while all waited, ${(p.waitMs / 1000).toFixed(1)} s)`, 'no time when every client in progress waited')}`,
  ].join(', ');
}

function formatLoad(r: LoadReport): string[] {
  const o = r.outcomes;
  const w = r.worker;
  const lines = [
    `${r.clients.finished} clients in ${(r.wallMs / 1000).toFixed(2)} s (${r.clientsPerSecond}/s), at most ${w.peakInFlight} at once`,
    `outcomes     connected ${o.connected}, rejected ${o.rejected}, timeout ${o.timeout}${o.fatal ? `, fatal ${o.fatal}` : ''}${o.crashed || o.hung ? `, crashed ${o.crashed}, hung ${o.hung}` : ''}`,
    `connect      ${dist(r.connectMs, ' ms')}`,
    `deferred     auth ${r.deferred.auth} (polls ${dist(r.polls.auth, '')}), client-connect ${r.deferred.clientConnect} (polls ${dist(r.polls.clientConnect, '')})`,
    `longest hook ${r.longestHook ? `${r.longestHook.hook} of ${r.longestHook.plugin}: ${r.longestHook.ms} ms` : '(none)'}`
      + `${r.blockingCalls ? ` — ${r.blockingCalls} call(s) over 100 ms: each stalls every client on a real server` : ''}`,
    `worker       RSS ${w.rssStartMb} MB at start, ${w.rssPeakMb} MB peak, ${w.rssEndMb} MB at end`
      + `${w.rssPerClientKb !== null ? `, ${w.rssPerClientKb} KiB per concurrent client` : ''}; CPU ${w.cpuSeconds} s (${w.cpuPercent}% of a core)`,
  ];
  lines.push(`per client   ${formatPerClient(r.perClient)}`);
  if (r.failure) lines.push(`failure      ${failureLine(r.failure)}`);
  if (r.memcheck) lines.push(...formatMemcheck(r.memcheck));
  else if (r.memcheck === null) lines.push('memcheck: valgrind wrote no report (it did not start or was killed before writing)');
  return lines;
}
