// The CLI's -v/--verbose log: pino on stderr (pino-pretty as a synchronous stream on a TTY, JSON lines otherwise).
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { PluginLogLevel } from '../abi/constants.js';
import type { PluginLogEntry } from '../supervisor/log-records.js';

/** Plugin log levels (and stdout/stderr lines) as pino levels. */
export const PINO_LEVEL_OF: Record<PluginLogLevel, 'error' | 'warn' | 'info' | 'debug'> = {
  error: 'error', warn: 'warn', note: 'info', info: 'info', debug: 'debug', stdout: 'info', stderr: 'warn',
};

export interface CliLogger {
  /** The CLI's own messages (silent unless verbose). */
  log: Logger;
  /** Log one plugin line with fields plugin, pid and source. */
  plugin(entry: PluginLogEntry): void;
  /** Write out anything buffered; call before exiting. */
  flush(): void;
}

export interface LoggerOptions {
  verbose: boolean;
  /** Where the log goes (default: stderr, fd 2). */
  fd?: number;
  /** Pretty output; default: when the fd is a TTY. */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions): CliLogger {
  if (!options.verbose) {
    const log = pino({ level: 'silent' });
    return { log, plugin: () => undefined, flush: () => undefined };
  }
  const fd = options.fd ?? 2;
  const isTty = options.pretty ?? (fd === 2 ? process.stderr.isTTY === true : false);
  const stream = isTty
    ? pretty({
        destination: fd, sync: true, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'plugin,source',
        messageFormat: (log, messageKey) => {
          const msg = String(log[messageKey] ?? '');
          return log.plugin === undefined ? msg : `[${String(log.plugin)} ${String(log.source ?? '')}] ${msg}`;
        },
      })
    : pino.destination({ dest: fd, sync: true });
  // base: null drops pino's own pid/hostname, so `pid` is always the process that logged in the plugin.
  const log = pino({ level: 'debug', base: null, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  return {
    log,
    plugin: (e) => log[PINO_LEVEL_OF[e.level]]({ plugin: e.plugin, pid: e.pid, source: e.source }, e.message),
    flush: () => log.flush(),
  };
}
