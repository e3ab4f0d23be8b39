// `inspect <plugin.so> [args...]`: open a plugin as OpenVPN 2.6.14 does; show entry points, ABI versions, init point, hooks, log.
import type { Command } from 'commander';
import { Inspection } from '../host/inspect.js';
import { PROGRAM_NAME, printJson, printLines, startLogger, type RunState } from './common.js';
import { failureLine, formatFailureDetails, formatInspect } from './output.js';
import { EXIT, exitCodeOfFailure } from '../host/exit-codes.js';
import { addCommonOptions, type CommonOptions, PLUGIN_ARGS_HELP, PLUGIN_ARGUMENT_HELP } from './options.js';

export function registerInspect(program: Command, state: RunState): void {
  const cmd = program
    .command('inspect')
    .description("load and open a plugin with OpenVPN 2.6.14's open-time env, show what it exports and registers and what it logs, then close it")
    .argument('<plugin.so>', PLUGIN_ARGUMENT_HELP)
    .argument('[plugin-args...]', PLUGIN_ARGS_HELP);
  addCommonOptions(cmd)
    .addHelpText(
      'after',
      `
Output: the file, the exported entry points, the ABI version used for open and for func (chosen independently:
v3, else v2, else v1), min_version_required, the init point, the hooks registered (names and mask), every log line.
--json prints {"outcome":"ok","plugin":{...},"logs":[...]} or a failure object {"outcome":"load-error"|"crashed"|"hung",...}.
Exit codes: 0 opened and closed cleanly, 5 failed to load or open, 4 crashed or hung, 2 usage error.`,
    )
    .action(async (path: string, args: string[], opts: CommonOptions) => {
      state.exitCode = await runInspect(state, path, args, opts);
    });
}

async function runInspect(state: RunState, path: string, args: string[], opts: CommonOptions): Promise<number> {
  const logger = startLogger(state, opts.verbose);
  logger.log.debug({ path, args, callTimeoutMs: opts.callTimeout }, 'opening the plugin');
  const op = new Inspection({ plugin: { path, args }, callTimeoutMs: opts.callTimeout, onLog: logger.plugin });
  state.current = op;
  const r = await op.run().finally(() => {
    state.current = undefined;
  });
  logger.log.debug({ outcome: r.outcome }, 'done');
  if (opts.json) printJson(state, r);
  if (r.outcome === 'ok') {
    if (!opts.json) printLines(state, formatInspect(r));
    return EXIT.SUCCESS;
  }
  if (!opts.json) {
    state.io.err(`${PROGRAM_NAME}: ${failureLine(r)}\n`);
    printLines(state, formatFailureDetails(r), 'err');
  }
  return exitCodeOfFailure(r);
}
