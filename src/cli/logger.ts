// The CLI's -v/--verbose log: pino on stderr (pino-pretty as a synchronous stream on a TTY, JSON lines otherwise).
// pino and pino-pretty are loaded only for --verbose (they are CommonJS: required synchronously, on demand), so a
// command without -v does not pay their import time at start-up.
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type pinoModule from 'pino';
import type prettyModule from 'pino-pretty';
import type { PluginLogLevel } from '../openvpn/constants.js';
import type { PluginLogEntry } from '../protocol/logs.js';

/** Plugin log levels (and stdout/stderr lines) as pino levels. */
const PINO_LEVEL_OF: Record<PluginLogLevel, 'error' | 'warn' | 'info' | 'debug'> = {
  error: 'error',
  warn: 'warn',
  note: 'info',
  info: 'info',
  debug: 'debug',
  stdout: 'info',
  stderr: 'warn',
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

const requireCjs = createRequire(import.meta.url);

/** A logger at level 'silent', as pino({ level: 'silent' }) is: every log method does nothing. */
function silentLogger(): Logger {
  const noop = () => undefined;
  const logger: Logger = new Proxy({} as Logger, {
    get(_target, prop) {
      if (prop === 'level') return 'silent';
      if (prop === 'levelVal') return Infinity;
      if (prop === 'isLevelEnabled') return () => false;
      if (prop === 'child') return () => logger;
      if (typeof prop === 'symbol') return undefined;
      return noop;
    },
  });
  return logger;
}

export function createLogger(options: LoggerOptions): CliLogger {
  if (!options.verbose) {
    return { log: silentLogger(), plugin: () => undefined, flush: () => undefined };
  }
  const pino = requireCjs('pino') as typeof pinoModule;
  const pretty = requireCjs('pino-pretty') as typeof prettyModule;
  const fd = options.fd ?? 2;
  const isTty = options.pretty ?? (fd === 2 ? process.stderr.isTTY === true : false);
  const stream = isTty
    ? pretty({
        destination: fd,
        sync: true,
        colorize: true,
        translateTime: 'HH:MM:ss.l',
        ignore: 'plugin,source',
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
