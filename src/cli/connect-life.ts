// `connect` (default stage): one client's whole life through the library, printed hook by hook.
import { HostOpenError, isFailure, openHost } from '../host/host.js';
import type { ConnectResult, DisconnectResult, HookStep } from '../protocol/client-results.js';
import type { FailureOutcome } from '../protocol/failures.js';
import type { PluginLogEntry } from '../protocol/logs.js';
import { ServerConfigError } from '../openvpn/server-config.js';
import { clientPeerInfo } from '../openvpn/peer-info.js';
import { PROGRAM_NAME, UsageError, printJson, printLines, startLogger, type RunState } from './common.js';
import { append, failureLine, formatFailureDetails, timedLines } from './output.js';
import { liveOutput } from './live.js';
import { EXIT, exitCodeOfFailure } from '../host/exit-codes.js';
import type { PluginSpec } from '../protocol/messages.js';
import { type ConnectCliOptions, parseCommandLine, parseEnvOption, parseNameValue, parsePluginLine, peerInfoInEnvWarnings, certOption } from './options.js';

function exitCodeOfLife(r: ConnectResult): number {
  if (isFailure(r)) return exitCodeOfFailure(r);
  switch (r.outcome) {
    case 'connected':
      return EXIT.SUCCESS;
    case 'timeout':
      return EXIT.TIMEOUT;
    default:
      return EXIT.PLUGIN_ERROR;
  }
}

export async function runLife(state: RunState, path: string | undefined, args: string[], opts: ConnectCliOptions): Promise<number> {
  const plugins: PluginSpec[] = [...(path === undefined ? [] : [{ path, args }]), ...opts.plugin.map(parsePluginLine)];
  const env = Object.fromEntries(opts.env.map(parseEnvOption));
  const peerInfo = Object.fromEntries(opts.peerInfo.map((p) => parseNameValue(p, '--peer-info')));
  try {
    clientPeerInfo(peerInfo); // a name a client never sends: before any plugin is loaded
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  for (const w of peerInfoInEnvWarnings(env, peerInfo)) state.io.err(`${PROGRAM_NAME}: ${w}\n`);
  const script = opts.clientConnect !== undefined ? parseCommandLine(opts.clientConnect, '--client-connect') : undefined;
  if (opts.password !== undefined && opts.username === undefined) throw new UsageError('--password needs --username');
  const cert = certOption(opts.cert);
  const logger = startLogger(state, opts.verbose);
  const out = liveOutput(state, logger, opts);
  logger.log.info({ plugins: plugins.map((p) => p.path), config: opts.config }, 'opening the plugin chain');
  let host;
  try {
    host = await openHost({
      plugins,
      callTimeoutMs: opts.callTimeout,
      onLog: out.onLog,
      timeoutMs: opts.timeout * 1000,
      handWindowMs: opts.handWindow === undefined ? undefined : opts.handWindow * 1000,
      config: opts.config,
      serverOptions: opts.serverOption,
      pollIntervalMs: opts.pollInterval,
      timing: opts.timing,
      script: script ? [script.path, ...(script.args ?? [])] : undefined,
    });
  } catch (err) {
    if (err instanceof HostOpenError) return report(state, opts, err.failure);
    if (err instanceof ServerConfigError) throw new UsageError(err.message);
    throw err;
  }
  for (const note of host.configNotes) state.io.err(`${PROGRAM_NAME}: warning: ${note}\n`);
  logger.log.info({ plugins: host.plugins.map((p) => ({ path: p.path, hooks: p.hooks })) }, 'opened; connecting a client');
  let running: Promise<unknown> = Promise.resolve();
  state.current = {
    abort: () =>
      host
        .kill()
        .then(() => running)
        .then(
          () => undefined,
          () => undefined,
        ),
  };
  try {
    const marks: PhaseMark[] = [
      { phase: 'open', at: 0 },
      { phase: 'connect', at: host.logs.length },
    ];
    let client;
    try {
      client = host.client({ commonName: opts.commonName, username: opts.username ?? null, password: opts.password, cert, env, peerInfo });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const connecting = client.connect({
      // progress on a terminal, and in the -v log
      onProgress:
        out.progress || opts.verbose
          ? (p) => {
              const line = `${p.stage}: waiting ${(p.elapsedMs / 1000).toFixed(1)} s, ${p.polls} re-checks: ${p.pending}`;
              out.progress?.(line);
              logger.log.debug({ stage: p.stage, polls: p.polls, elapsedMs: Math.round(p.elapsedMs) }, line);
            }
          : undefined,
    });
    running = connecting;
    const r = await connecting;
    out.clear();
    if (isFailure(r)) return report(state, opts, r);
    logger.log.info({ outcome: r.outcome, ms: Math.round(r.ms) }, `${r.outcome}; disconnecting the client`);
    marks.push({ phase: 'disconnect', at: host.logs.length });
    const d = await client.disconnect();
    if (isFailure(d)) return report(state, opts, d);
    logger.log.info('closing the plugins');
    marks.push({ phase: 'close', at: host.logs.length });
    const closeFailure = await host.close();
    // --json: every line the text mode shows (open, constructors, close too), each with its phase
    return report(
      state,
      opts,
      closeFailure ?? { ...r, logs: withPhases(host.logs, marks) },
      d,
      host.plugins.flatMap((p) => p.hooks),
    );
  } finally {
    state.current = undefined;
    await host.kill();
  }
}

type Phase = 'open' | 'connect' | 'disconnect' | 'close';
interface PhaseMark {
  phase: Phase;
  /** Index in the host's log where the phase starts. */
  at: number;
}

/** Every log line, each with the phase of the client's run it was logged in. */
function withPhases(logs: readonly PluginLogEntry[], marks: readonly PhaseMark[]): Array<PluginLogEntry & { phase: Phase }> {
  let m = 0;
  return logs.map((l, i) => {
    while (m + 1 < marks.length && marks[m + 1]!.at <= i) m++;
    return { ...l, phase: marks[m]!.phase };
  });
}

function report(state: RunState, opts: ConnectCliOptions, r: ConnectResult | FailureOutcome, d?: DisconnectResult, registered: string[] = []): number {
  if (opts.json) {
    printJson(state, d ? { ...r, disconnect: d } : r);
    return exitCodeOfLife(r);
  }
  if (isFailure(r)) {
    state.io.err(`${PROGRAM_NAME}: ${failureLine(r)}\n`);
    if (r.outcome === 'load-error') printLines(state, formatFailureDetails(r), 'err');
    return exitCodeOfLife(r);
  }
  printLines(state, formatLife(r, d, registered));
  return exitCodeOfLife(r);
}

/** One line per hook call; consecutive identical re-checks are shown once with a count. */
function formatHooks(hooks: readonly HookStep[]): string[] {
  return timedLines(
    hooks.map((h) => {
      const argv = h.argv.length ? ` [${h.argv.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}]` : '';
      const codes = h.calls.map((c) => `${c.plugin.split('/').pop()}=${c.returnName}`).join(' ');
      return {
        t: h.t,
        text: `${h.hook}${h.hook.startsWith('LEARN_ADDRESS') || h.hook === 'TLS_VERIFY' ? argv : ''}${codes ? ` ${codes}` : ''} -> ${h.statusName}${h.note ? ` (${h.note})` : ''}`,
      };
    }),
  );
}

/** Why a life called no hook: nothing registered one, or the client was refused before any registered one ran. */
function noHookCalled(r: Exclude<ConnectResult, FailureOutcome>, registered: readonly string[]): string {
  const hooks = [...new Set(registered.filter((h) => !['UP', 'DOWN', 'ROUTE_UP', 'ROUTE_PREDOWN'].includes(h)))];
  if (hooks.length === 0) return '  (no plugin registered a client hook)';
  const why = r.outcome === 'rejected' ? ', but the client was refused before them (see the reason above)' : '';
  return `  (none called; the plugins registered ${hooks.join(', ')}${why})`;
}

function formatLife(r: Exclude<ConnectResult, FailureOutcome>, d?: DisconnectResult, registered: readonly string[] = []): string[] {
  const lines: string[] = [];
  switch (r.outcome) {
    case 'connected':
      lines.push(`CONNECTED as ${r.address} in ${Math.round(r.ms)} ms`);
      break;
    case 'rejected':
      lines.push(`REJECTED at ${r.stage} in ${Math.round(r.ms)} ms: the client sees ${r.clientSees}`);
      break;
    case 'timeout':
      lines.push(`TIMEOUT at ${r.stage} after ${Math.round(r.ms)} ms: ${r.pending}`);
      break;
    case 'fatal':
      lines.push(`FATAL at ${r.stage}: ${r.reason}`);
      break;
  }
  if (r.outcome === 'rejected' && r.reason) lines.push(`reason: ${r.reason}`);
  if (r.auth.called) {
    const p = r.auth.pending
      ? `; auth_pending_file: timeout ${r.auth.pending.timeout} s, method ${r.auth.pending.method}, extra ${JSON.stringify(r.auth.pending.extra)}`
      : '';
    lines.push(
      `auth: ${r.auth.deferred ? `deferred, ${r.auth.polls} reads of auth_control_file${r.auth.controlByte ? `, decided by '${r.auth.controlByte}'` : ''}` : 'not deferred'}${p}`,
    );
  }
  if ('clientConnect' in r && r.clientConnect) {
    lines.push(`client-connect: ${r.clientConnect.deferred ? `deferred, ${r.clientConnect.polls} re-checks` : 'not deferred'}`);
  }
  lines.push('hooks:');
  append(lines, r.hooks.length ? formatHooks(r.hooks) : [noHookCalled(r, registered)]);
  if (r.outcome === 'connected') {
    lines.push('config the server applies:');
    append(
      lines,
      r.options.length ? r.options.map((o) => `  ${o.name} ${o.args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`.trimEnd()) : ['  (none)'],
    );
    // the server config's own push options (the client's are in its config above)
    const serverPush = r.pushReply.slice(0, r.pushReply.length - r.options.filter((o) => o.name === 'push').length);
    if (serverPush.length) append(lines, ['pushed to every client (server config):', ...serverPush.map((p) => `  push ${JSON.stringify(p)}`)]);
    for (const w of r.warnings) lines.push(`warning: ${w}`);
  }
  for (const b of r.blockingCalls)
    lines.push(`warning: ${b.hook} of ${b.plugin} blocked the server for ${Math.round(b.ms)} ms (every client stalls meanwhile)`);
  if (d && !isFailure(d) && d.hooks.length) append(lines, ['disconnect:', ...formatHooks(d.hooks)]);
  return lines;
}
