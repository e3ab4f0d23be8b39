// What the CLI's commands share: run state, the output sink, usage errors, printing, the logger of a run.
import { createLogger, type CliLogger } from './logger.js';

export const PROGRAM_NAME = 'ovpn-plugin-host';

/** Where the CLI writes (swappable for tests). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** An operation in progress that Ctrl-C/SIGTERM must stop (kill the worker, remove temp files). */
interface Abortable {
  abort(): Promise<void>;
}

/** State shared by the commands of one run. */
export interface RunState {
  io: Io;
  exitCode: number;
  logger?: CliLogger;
  current?: Abortable;
}

/** A user mistake found after parsing (bad --env, unknown hook): one line on stderr, exit 2. */
export class UsageError extends Error {}

/** The run's logger (silent unless --verbose), kept in STATE so it is flushed before exit. */
export function startLogger(state: RunState, verbose: boolean | undefined): CliLogger {
  state.logger = createLogger({ verbose: verbose === true });
  return state.logger;
}

/** Print an object as the one JSON document on stdout. */
export function printJson(state: RunState, value: unknown): void {
  state.io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Print lines on stdout or stderr. */
export function printLines(state: RunState, lines: string[], stream: 'out' | 'err' = 'out'): void {
  if (lines.length) state.io[stream](`${lines.join('\n')}\n`);
}
