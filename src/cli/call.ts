// `call <plugin.so> [args...] --hook NAME`: one raw hook call with OpenVPN 2.6.14's env and argv; return code, list, files, log.
import type { Command } from 'commander';
import { HOOKS, OPENVPN_PLUGIN_N, parseHookName, type HookName } from '../openvpn/constants.js';
import { RawCall, RawCallInputError, type RawCallResult } from '../host/raw-call.js';
import { PROGRAM_NAME, UsageError, printJson, printLines, startLogger, type RunState } from './common.js';
import { failureLine, formatCall, formatFailureDetails } from './output.js';
import { EXIT, exitCodeOfFailure } from '../host/exit-codes.js';
import { addCommonOptions, type CommonOptions, PLUGIN_ARGS_HELP, PLUGIN_ARGUMENT_HELP, collect, parseEnvOption } from './options.js';

interface CallOptions extends CommonOptions {
  hook: string[];
  env: string[];
  arg?: string[];
  clientContext: boolean;
}

/** A --hook value, or a usage error that lists the valid names. */
function parseHookOption(text: string): HookName {
  const hook = parseHookName(text);
  if (!hook) {
    throw new UsageError(
      `unknown hook '${text}'; valid hooks: ${Object.keys(HOOKS).join(', ')} `
        + `(also as OPENVPN_PLUGIN_<NAME>, in lower case with dashes, or the number 0-${OPENVPN_PLUGIN_N - 1})`,
    );
  }
  return hook;
}

/** The last hook's result: 0 SUCCESS (or not registered: OpenVPN calls nothing), 1 any other return code (DEFERRED
 * too); 4/5 failures. */
function exitCodeOfCall(r: RawCallResult): number {
  if (r.outcome !== 'returned') return exitCodeOfFailure(r);
  if (r.closeFailure) return exitCodeOfFailure(r.closeFailure);
  const last = r.next?.at(-1) ?? r;
  return last.notRegistered || last.returnCode === 0 ? EXIT.SUCCESS : EXIT.PLUGIN_ERROR;
}

/** The re-check hooks of a deferral: alone, they get a fresh per-client context that no earlier hook deferred in. */
const RECHECK_HOOKS: readonly HookName[] = ['CLIENT_CONNECT_DEFER', 'CLIENT_CONNECT_DEFER_V2'];

export function registerCall(program: Command, state: RunState): void {
  const cmd = program
    .command('call')
    .description(
      "call one hook once (or several in order), with OpenVPN 2.6.14's env and argv for it; show the return code, return list, config, files and log",
    )
    .argument('<plugin.so>', PLUGIN_ARGUMENT_HELP)
    .argument('[plugin-args...]', PLUGIN_ARGS_HELP)
    .requiredOption(
      '--hook <name>',
      'the hook: CLIENT_CONNECT_V2, OPENVPN_PLUGIN_CLIENT_CONNECT_V2, client-connect-v2 or its number (9); repeat it to '
        + 'call several hooks in order with one per-client context (e.g. CLIENT_CONNECT_V2 then CLIENT_CONNECT_DEFER_V2)',
      collect,
    )
    .option(
      '--env <NAME=VALUE>',
      'set an env variable (repeatable): an existing one is replaced in place, a new one is added '
        + 'at the front (newest first, as OpenVPN does); NAME= sets an empty value',
      collect,
      [],
    )
    .option('--arg <value>', "a hook argument after argv[0] (repeatable); replaces the hook's default argv", collect)
    .option('--no-client-context', 'do not give the plugin a fresh per-client context (it gets the generic one, as UP/DOWN do)');
  addCommonOptions(cmd)
    .addHelpText(
      'after',
      `
The env starts from OpenVPN 2.6.14's env for the hook, for a default test client; argv from its default argv
(e.g. TLS_VERIFY: <depth> <subject>; CLIENT_CONNECT: <config file>; LEARN_ADDRESS: add <ip> <cn>).
Files OpenVPN creates for the hook (client_connect_config_file, client_connect_deferred_file, auth_control_file,
auth_pending_file, auth_failed_reason_file) are created empty (0600) in a private temp dir; their content after
the call is shown, then the dir is removed. TLS_VERIFY gets the test PKI's certificate at the depth in argv[1].
Several --hook: called in order, client hooks with one per-client context; the exit code is the last hook's.
Exit codes: 0 SUCCESS (or the plugin did not register the hook, so OpenVPN would not call it),
1 ERROR or any other code, DEFERRED included (a raw call does not wait for a deferred result),
4 crashed or hung, 5 failed to load or open, 2 usage error (unknown hook, bad --env value).`,
    )
    .action(async (path: string, args: string[], opts: CallOptions) => {
      state.exitCode = await runCall(state, path, args, opts);
    });
}

async function runCall(state: RunState, path: string, args: string[], opts: CallOptions): Promise<number> {
  const [hook, ...nextHooks] = opts.hook.map(parseHookOption) as [HookName, ...HookName[]];
  if (nextHooks.length === 0 && RECHECK_HOOKS.includes(hook)) {
    state.io.err(
      `${PROGRAM_NAME}: warning: ${hook} alone gets a fresh per-client context, in which nothing was deferred; `
        + `give the deferring hook first (--hook ${hook === 'CLIENT_CONNECT_DEFER' ? 'CLIENT_CONNECT' : 'CLIENT_CONNECT_V2'} --hook ${hook}), or use connect\n`,
    );
  }
  const env = opts.env.map(parseEnvOption);
  const logger = startLogger(state, opts.verbose);
  const op = new RawCall({
    plugin: { path, args },
    hook,
    nextHooks,
    env,
    argv: opts.arg,
    perClient: opts.clientContext,
    callTimeoutMs: opts.callTimeout,
    onLog: logger.plugin,
  });
  state.current = op;
  logger.log.debug({ path, args, hooks: [hook, ...nextHooks], env: opts.env, argv: opts.arg }, nextHooks.length ? 'calling the hooks' : 'calling the hook');
  let r: RawCallResult;
  try {
    r = await op.run();
  } catch (err) {
    if (err instanceof RawCallInputError) throw new UsageError(err.message);
    throw err;
  } finally {
    state.current = undefined;
  }
  logger.log.debug({ outcome: r.outcome }, 'done');
  if (opts.json) printJson(state, r);
  if (r.outcome === 'returned') {
    if (!opts.json) {
      printLines(state, formatCall(r, op.plugin));
      if (r.closeFailure) state.io.err(`${PROGRAM_NAME}: after the call, ${failureLine(r.closeFailure)}\n`);
    }
  } else if (!opts.json) {
    state.io.err(`${PROGRAM_NAME}: ${failureLine(r)}\n`);
    printLines(state, formatFailureDetails(r), 'err');
  }
  return exitCodeOfCall(r);
}
