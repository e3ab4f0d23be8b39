// The commander program: global behaviour (usage errors -> one line + exit 2, --help/--version -> 0), signals, exit codes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { PACKAGE_ROOT } from '../util/package-root.js';
import { PROGRAM_NAME, UsageError, type Io, type RunState } from './common.js';
import { registerInspect } from './inspect.js';
import { registerCall } from './call.js';
import { registerConnect } from './connect.js';
import { registerRun } from './run.js';
import { registerLoad } from './load.js';
import { registerDemo } from './demo.js';
import { registerFuzz } from './fuzz.js';
import { killOwnChildren } from './children.js';
import { EXIT } from '../host/exit-codes.js';

/** The exit codes, as --help lists them (docs/cli.md has the same table). */
const EXIT_CODE_HELP = `Exit codes:
  0    success (the plugin said SUCCESS / the client was accepted / every expectation held)
  1    the plugin said ERROR, or the client was rejected, or an expectation failed
  2    usage error or bad input (options, --env values, scenario file)
  3    timed out waiting for a deferred result
  4    the plugin crashed or hung (a call did not return within --call-timeout)
  5    the plugin failed to load or open (missing file, not a shared object, wrong architecture,
       missing entry point, open returned an error or no handle), or the host cannot run here (e.g.
       --memcheck without valgrind)
  6    --memcheck found memory errors or leaks in the plugin (and nothing worse happened)
  129, 130, 131, 143  interrupted by SIGHUP, SIGINT (Ctrl-C), SIGQUIT, SIGTERM (128 + the signal's number):
       the plugin is stopped and the temp files removed`;

/** The signals that interrupt a run: the plugin is stopped, temp files removed, exit 128 + the signal's number. */
const INTERRUPTS = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM'] as const;

const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function buildProgram(state: RunState): Command {
  const program = new Command(PROGRAM_NAME)
    .description('Load a real compiled OpenVPN 2.6 plugin (.so) and drive it as an OpenVPN 2.6.14 server does.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => state.io.out(s),
      writeErr: (s) => state.io.err(s),
      // Usage errors as one line: "ovpn-plugin-host: error: ... (see --help)".
      outputError: (s, write) => write(`${PROGRAM_NAME}: ${s.trim().replace(/\s*\n\s*/g, ' ')} (see --help)\n`),
    })
    .addHelpText('after', `\nPlugin arguments that start with '-' go after '--', e.g.: ${PROGRAM_NAME} inspect x.so -- -a -b\n\n${EXIT_CODE_HELP}\n`);
  registerInspect(program, state);
  registerCall(program, state);
  registerConnect(program, state);
  registerRun(program, state);
  registerLoad(program, state);
  registerFuzz(program, state);
  registerDemo(program, state);
  return program;
}

/** Run the CLI with ARGV (process.argv form); resolves to the exit code. */
/** Everything after `--` goes to the plugin: say so when one of those arguments is one of the command's own options
 * (`connect x.so -- -a --username foo` gives the plugin `--username`, and the client sends no username). */
function optionsAfterDashDash(program: Command, argv: readonly string[]): string[] {
  const dashes = argv.indexOf('--');
  const cmd = program.commands.find((c) => c.name() === argv[2]);
  if (dashes < 0 || !cmd) return [];
  const own = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined));
  return argv
    .slice(dashes + 1)
    .filter((a) => own.has(a.split('=')[0]!))
    .map((a) => `${a} comes after '--', so it is an argument of the plugin, not the ${cmd.name()} option; put it before '--'`);
}

export async function runCli(argv: string[], io: Io = processIo): Promise<number> {
  const state: RunState = { io, exitCode: EXIT.SUCCESS };
  const program = buildProgram(state);
  let interruptCode: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interruptCode !== undefined) return;
    interruptCode = EXIT[signal as (typeof INTERRUPTS)[number]];
    process.exitCode = interruptCode;
    io.err(`${PROGRAM_NAME}: interrupted (${signal}): stopping the plugin\n`);
    const stop = state.current?.abort() ?? Promise.resolve();
    // A referenced timer: the process stays alive until the exit below, whatever the command is doing.
    const deadline = new Promise((resolve) => setTimeout(resolve, 3000));
    void Promise.race([stop.catch(() => undefined), deadline]).then(() => {
      // A worker still opening its plugin is not reachable through the library yet: kill it by pid.
      killOwnChildren();
      state.logger?.flush();
      process.exit(interruptCode);
    });
  };
  for (const signal of INTERRUPTS) process.on(signal, onSignal);
  for (const w of optionsAfterDashDash(program, argv)) io.err(`${PROGRAM_NAME}: warning: ${w}\n`);
  try {
    await program.parseAsync(argv);
    return interruptCode ?? state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.SUCCESS : EXIT.USAGE;
    if (err instanceof UsageError) {
      io.err(`${PROGRAM_NAME}: ${err.message}\n`);
      return EXIT.USAGE;
    }
    // Not a plugin outcome and not a usage error: an environment problem (e.g. nothing built) or a bug.
    io.err(`${PROGRAM_NAME}: ${(err as Error).message ?? String(err)}\n`);
    if (process.env.OVPN_PLUGIN_HOST_DEBUG) io.err(`${(err as Error).stack}\n`);
    return EXIT.PLUGIN_ERROR;
  } finally {
    state.logger?.flush();
    for (const signal of INTERRUPTS) process.off(signal, onSignal);
  }
}
