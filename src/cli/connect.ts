// `connect <plugin.so> [args...]`: one client's whole server-side life (or only its client-connect stage), deferrals included.
import { type Command, Option } from 'commander';
import { PluginHost, isFailure } from '../host/host.js';
import type { ClientConnectDone, ClientConnectResult } from '../host/client-connect-stage.js';
import { PROGRAM_NAME, printJson, printLines, startLogger, type RunState, UsageError } from './common.js';
import { append, failureLine, formatFailureDetails, timedLines } from './output.js';
import { liveOutput } from './live.js';
import { runLife } from './connect-life.js';
import { addMemcheckOption, callTimeoutOption } from './memcheck-output.js';
import { EXIT, exitCodeOfFailure } from '../host/exit-codes.js';
import type { PluginSpec } from '../protocol/messages.js';
import {
  parseEnvOption,
  addCommonOptions,
  PLUGIN_ARGS_HELP,
  PLUGIN_ARGUMENT_HELP,
  collect,
  parseCommandLine,
  parsePluginLine,
  positiveNumber,
  wholeNumber,
  type ConnectCliOptions,
} from './options.js';

function exitCodeOfConnect(r: ClientConnectResult): number {
  if (isFailure(r)) return exitCodeOfFailure(r);
  return r.outcome === 'accepted' ? EXIT.SUCCESS : r.outcome === 'rejected' ? EXIT.PLUGIN_ERROR : EXIT.TIMEOUT;
}

export function registerConnect(program: Command, state: RunState): void {
  const cmd = program
    .command('connect')
    .description(
      "run one client's whole life as an OpenVPN 2.6.14 server does (TLS_VERIFY per cert depth, AUTH_USER_PASS_VERIFY, TLS_FINAL, "
        + 'IPCHANGE, client-connect, LEARN_ADDRESS, then CLIENT_DISCONNECT), waiting for deferred auth and client-connect',
    )
    .argument('[plugin.so]', `${PLUGIN_ARGUMENT_HELP} (optional with --config: the config's plugin lines come first)`)
    .argument('[plugin-args...]', PLUGIN_ARGS_HELP)
    .option('--plugin <"path args">', 'another plugin in the chain, after the positional one (repeatable, in config order)', collect, [])
    .option('--client-connect <cmd>', 'a --client-connect script: run without a shell, with the client env, the config file path appended')
    .option('--env <K=V>', "add to or override the client's env (repeatable)", collect, [])
    .option('--common-name <cn>', 'common_name (default: the CN of the client certificate, Test-Client)')
    .option('--username <user>', 'the client sends --auth-user-pass with this username (without it: no AUTH_USER_PASS_VERIFY)')
    .option('--password <pass>', 'the password sent with --username (passed to AUTH_USER_PASS_VERIFY only)')
    .option('--cert <chain.pem>', 'the client certificate chain (PEM; default: the bundled test CA and client)')
    .option('--peer-info <K=V>', 'peer info the client sends, e.g. IV_SSO=webauth,crtext (repeatable)', collect, [])
    .option(
      '--timeout <seconds>',
      'give up on a deferred client-connect after this long: outcome timeout, exit 3 (OpenVPN has no such limit)',
      positiveNumber('seconds'),
      60,
    )
    .option(
      '--vanish-after <seconds>',
      'the client vanishes if its connect still waits on a deferral after this long: outcome dropped (exit 0), no CLIENT_DISCONNECT, the files OpenVPN would leave listed',
      positiveNumber('seconds'),
    )
    .option(
      '--hand-window <seconds>',
      "a deferred auth not decided within this long fails (OpenVPN --hand-window; default 60, or the config's)",
      positiveNumber('seconds'),
    )
    .option(
      '--config <server.conf>',
      'run the plugins as this server config does: its plugin lines, client-connect script, proto, dev, topology, server, setenv, keying-material-exporter, hand-window, reneg-sec (what it does not emulate is listed)',
    )
    .option(
      '--server-option <"line">',
      'a server config line, as in server.conf (repeatable, after --config\'s), e.g. "proto tcp-server", "setenv REGION eu", "topology net30"',
      collect,
      [],
    )
    .option(
      '--renegotiate <n>',
      'after the connect, renegotiate the TLS session N times (TLS_VERIFY per depth, AUTH_USER_PASS_VERIFY or the auth-gen-token, TLS_FINAL), each reported',
      wholeNumber(1, 1000),
    )
    .option(
      '--reneg-sec <seconds>',
      "with --renegotiate: the renegotiations happen this many seconds apart, as the server's reneg-sec does (also the deferred auth window: min(hand-window, reneg-sec/2)); default: the config's reneg-sec, else back to back",
      wholeNumber(1, 100_000_000),
    )
    .option('--poll-interval <ms>', 'how often a deferred result is re-checked (default 20; files are also watched)', positiveNumber('milliseconds'))
    .addOption(
      new Option('--timing <mode>', "'fast' (poll + watch files) or 'openvpn' (its measured ~1.1 s re-check cadence)")
        .choices(['fast', 'openvpn'])
        .default('fast'),
    )
    .addOption(
      new Option('--stage <stage>', "'life' (the whole client life) or 'client-connect' (only the client-connect stage, with its own JSON shape)")
        .choices(['life', 'client-connect'])
        .default('life'),
    );
  addMemcheckOption(addCommonOptions(cmd))
    .addHelpText(
      'after',
      `
--json prints {"outcome":"connected"|"rejected"|"timeout"|"fatal","stage":..,"hooks":[..],"auth":{..},"config":"..",
"options":[{"name","args"}],"logs":[..],"renegotiations":[{"outcome":"renewed"|"rejected",..}],
"disconnect":{"outcome":"disconnected","hooks":[..]}} (docs/cli.md: JSON shapes; "renegotiations" with --renegotiate);
with --stage client-connect {"outcome":"accepted"|"rejected"|"timeout","deferred":..,"config":"..","steps":[..],...};
or {"outcome":"crashed"|"hung"|"load-error",...}; with --memcheck also "memcheck":{"clean","findings":[..],"leaks":[..],"ignored"}.
Exit codes: 0 connected/accepted (and every renegotiation renewed), 1 rejected (or fatal, or a renegotiation killed the tunnel), 3 timeout, 4 crashed or hung, 5 failed to load or open (or --memcheck without valgrind), 6 --memcheck found memory errors or leaks in the plugin, 2 usage error.`,
    )
    .action(async (path: string | undefined, args: string[], opts: ConnectCliOptions, command: Command) => {
      if (opts.stage === 'client-connect') refuseLifeOnlyOptions(command);
      if (opts.renegSec !== undefined && opts.renegotiate === undefined) {
        throw new UsageError('--reneg-sec needs --renegotiate N (how many renegotiations to run after the connect)');
      }
      if (path === undefined && opts.config === undefined && opts.serverOption.length === 0)
        throw new UsageError('give the plugin to run (or --config server.conf)');
      if (opts.stage === 'client-connect' && (opts.config !== undefined || opts.serverOption.length > 0)) {
        throw new UsageError('--config and --server-option run the whole life: drop --stage client-connect');
      }
      state.exitCode =
        opts.stage === 'client-connect'
          ? await runConnect(state, path!, args, opts)
          : await runLife(state, path, args, opts, callTimeoutOption(command, opts.callTimeout, opts.memcheck));
    });
}

/** Options about the client's life before client-connect (its certificate, its password, its peer info, the auth
 * window), about a client that vanishes or about renegotiations mean nothing to the client-connect stage alone:
 * refused, never silently dropped. */
const LIFE_ONLY_OPTIONS = ['password', 'cert', 'peerInfo', 'handWindow', 'vanishAfter', 'renegotiate', 'renegSec', 'memcheck'] as const;

function refuseLifeOnlyOptions(command: Command): void {
  const given = LIFE_ONLY_OPTIONS.filter((o) => command.getOptionValueSource(o) === 'cli');
  if (given.length === 0) return;
  const flags = given.map((o) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ');
  throw new UsageError(`${flags}: not used by --stage client-connect, which runs only that stage (drop --stage to run the whole life)`);
}

async function runConnect(state: RunState, path: string, args: string[], opts: ConnectCliOptions): Promise<number> {
  const plugins: PluginSpec[] = [{ path, args }, ...opts.plugin.map(parsePluginLine)];
  const envOverrides = Object.fromEntries(opts.env.map(parseEnvOption));
  const script = opts.clientConnect !== undefined ? parseCommandLine(opts.clientConnect, '--client-connect') : undefined;
  const out = liveOutput(state, startLogger(state, opts.verbose), opts);
  const host = await PluginHost.open({ plugins, callTimeoutMs: opts.callTimeout, onLog: out.onLog });
  if (isFailure(host)) return report(state, opts, host);
  let stage: Promise<unknown> = Promise.resolve();
  // Ctrl-C: kill the worker, then let the stage finish its cleanup (it removes its temp dir).
  state.current = {
    abort: () =>
      host
        .kill()
        .then(() => stage)
        .then(
          () => undefined,
          () => undefined,
        ),
  };
  try {
    const pending = host.clientConnect({
      script: script ? [script.path, ...(script.args ?? [])] : undefined,
      commonName: opts.commonName,
      username: opts.username,
      envOverrides,
      timeoutMs: opts.timeout * 1000,
      pollIntervalMs: opts.pollInterval,
      timing: opts.timing,
      onProgress: out.progress && ((p) => out.progress!(`waiting ${(p.elapsedMs / 1000).toFixed(1)} s, ${p.polls} re-checks: ${p.pending}`)),
    });
    stage = pending;
    const r = await pending;
    out.clear();
    const closeFailure = isFailure(r) ? undefined : await host.close();
    return report(state, opts, closeFailure ?? r);
  } finally {
    state.current = undefined;
    await host.kill();
  }
}

function report(state: RunState, opts: ConnectCliOptions, r: ClientConnectResult): number {
  if (opts.json) {
    printJson(state, r);
    return exitCodeOfConnect(r);
  }
  if (isFailure(r)) {
    state.io.err(`${PROGRAM_NAME}: ${failureLine(r)}\n`);
    if (r.outcome === 'load-error') printLines(state, formatFailureDetails(r), 'err');
    return exitCodeOfConnect(r);
  }
  printLines(state, formatConnect(r));
  return exitCodeOfConnect(r);
}

/** One line per step; consecutive identical re-checks are shown once with a count. */
function formatSteps(r: ClientConnectDone): string[] {
  return timedLines(
    r.steps.map((s) => {
      const codes = s.calls?.map((c) => `${c.plugin.split('/').pop()}=${c.returnName}`).join(' ') ?? (s.exitCode !== undefined ? `exit ${s.exitCode}` : '');
      const file = s.deferredFile ? ` file=${s.deferredFile}` : '';
      return { t: s.t, text: `${s.handler.padEnd(17)} ${s.hook.padEnd(24)} ${codes}${file} -> ${s.result}${s.note ? ` (${s.note})` : ''}` };
    }),
  );
}

function formatConnect(r: ClientConnectDone): string[] {
  const head = `${r.outcome.toUpperCase()}${r.deferred ? ` after a deferral (${r.polls} re-checks)` : ' (not deferred)'} in ${Math.round(r.elapsedMs)} ms`;
  const lines = [head];
  if (r.reason) lines.push(`reason: ${r.reason}`);
  lines.push('steps:');
  append(lines, formatSteps(r));
  if (r.outcome === 'accepted') {
    lines.push('config the server would apply:');
    append(
      lines,
      r.options.length ? r.options.map((o) => `  ${o.name} ${o.args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`.trimEnd()) : ['  (none)'],
    );
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines;
}
