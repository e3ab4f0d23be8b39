// `connect` (default stage): one client's whole life through the library, printed hook by hook.
import { HostOpenError, isFailure, openHost } from '../host/host.js';
import type { ConnectResult, DisconnectResult, HookStep, RenegotiateResult } from '../protocol/client-results.js';
import { exitCodeOfRenegotiations, renegotiateTimes } from './renegotiations.js';
import type { FailureOutcome } from '../protocol/failures.js';
import type { PluginLogEntry } from '../protocol/logs.js';
import { ServerConfigError } from '../openvpn/server-config.js';
import { clientPeerInfo } from '../openvpn/peer-info.js';
import { PROGRAM_NAME, UsageError, printJson, printLines, startLogger, type RunState } from './common.js';
import { append, failureLine, formatFailureDetails, timedLines } from './output.js';
import { liveOutput } from './live.js';
import { EXIT, exitCodeOfFailure } from '../host/exit-codes.js';
import type { PluginSpec, RunningProcess } from '../protocol/messages.js';
import type { MemcheckReport } from '../host/memcheck/report.js';
import { formatMemcheck } from './memcheck-output.js';
import { type ConnectCliOptions, parseCommandLine, parseEnvOption, parseNameValue, parsePluginLine, peerInfoInEnvWarnings, certOption } from './options.js';

function exitCodeOfLife(r: ConnectResult): number {
  if (isFailure(r)) return exitCodeOfFailure(r);
  switch (r.outcome) {
    case 'connected':
    case 'dropped': // only with --vanish-after: what was asked for
      return EXIT.SUCCESS;
    case 'timeout':
      return EXIT.TIMEOUT;
    default:
      return EXIT.PLUGIN_ERROR;
  }
}

/** CALL_TIMEOUT: the --call-timeout to ask for (undefined: the library's default, as under --memcheck). */
export async function runLife(
  state: RunState,
  path: string | undefined,
  args: string[],
  opts: ConnectCliOptions,
  callTimeout: number | undefined = opts.callTimeout,
): Promise<number> {
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
      callTimeoutMs: callTimeout,
      memcheck: opts.memcheck,
      onLog: out.onLog,
      timeoutMs: opts.timeout * 1000,
      handWindowMs: opts.handWindow === undefined ? undefined : opts.handWindow * 1000,
      config: opts.config,
      // --reneg-sec is the server's reneg-sec: it also narrows the deferred auth window
      serverOptions: [...opts.serverOption, ...(opts.renegSec !== undefined ? [`reneg-sec ${opts.renegSec}`] : [])],
      pollIntervalMs: opts.pollInterval,
      timing: opts.timing,
      script: script ? [script.path, ...(script.args ?? [])] : undefined,
    });
  } catch (err) {
    if (err instanceof HostOpenError) {
      logger.log.info('open failed: the worker was killed at once (nothing runs after a failed open; its exit handlers were not waited for)');
      return reportLife(state, opts, err.failure);
    }
    if (err instanceof ServerConfigError) throw new UsageError(err.message);
    throw err;
  }
  for (const note of host.configNotes) state.io.err(`${PROGRAM_NAME}: warning: ${note}\n`);
  logger.log.info({ plugins: host.plugins.map((p) => ({ path: p.path, hooks: p.hooks })) }, 'opened; connecting a client');
  let running: Promise<unknown> = Promise.resolve();
  const aborted = new AbortController();
  state.current = {
    abort: () =>
      host
        .kill()
        .then(() => aborted.abort())
        .then(() => running)
        .then(
          () => undefined,
          () => undefined,
        ),
  };
  // under --memcheck, every report waits for the worker's end: valgrind's report is read then
  const report = async (...args: ReportArgs) => {
    if (!opts.memcheck) return reportLife(state, opts, ...args);
    await host.kill();
    return reportLife(state, opts, args[0], args[1], { ...args[2], memcheck: host.memcheck ?? null });
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
    // --vanish-after: the client goes away while its connect still waits (a no-op once connect has finished)
    let vanishing: ReturnType<typeof client.disconnect> | undefined;
    const vanishTimer =
      opts.vanishAfter === undefined
        ? undefined
        : setTimeout(() => {
            logger.log.info('the client vanishes (--vanish-after)');
            vanishing = client.disconnect();
          }, opts.vanishAfter * 1000);
    const r = await connecting;
    clearTimeout(vanishTimer);
    out.clear();
    if (isFailure(r)) return await report(r);
    let renegotiations: RenegotiateResult[] | undefined;
    if (opts.renegotiate !== undefined && r.outcome === 'connected') {
      marks.push({ phase: 'renegotiate', at: host.logs.length });
      const renegSec = host.renegSec;
      const renegotiating = renegotiateTimes(
        client,
        opts.renegotiate,
        renegSec,
        aborted.signal,
        (i) => logger.log.info(`renegotiation ${i} of ${opts.renegotiate}`),
        (i, seconds) => logger.log.info(`renegotiation ${i} of ${opts.renegotiate} in ${seconds} s (reneg-sec)`),
      );
      running = renegotiating;
      renegotiations = await renegotiating;
      // Ctrl-C during a --reneg-sec wait: the host is killed, the signal handler reports and exits
      if (aborted.signal.aborted) return EXIT.SIGINT;
      const failed = renegotiations.find(isFailure);
      if (failed) return await report(failed);
    }
    logger.log.info({ outcome: r.outcome, ms: Math.round(r.ms) }, `${r.outcome}; disconnecting the client`);
    marks.push({ phase: 'disconnect', at: host.logs.length });
    const d = await (vanishing ?? client.disconnect());
    if (isFailure(d)) return await report(d);
    logger.log.info('closing the plugins');
    marks.push({ phase: 'close', at: host.logs.length });
    const closeStart = performance.now();
    const closeFailure = await host.close();
    const closeMs = Math.round(performance.now() - closeStart);
    logger.log.info({ closeMs }, `closed in ${closeMs} ms`);
    // --json: every line the text mode shows (open, constructors, close too), each with its phase
    return await report(closeFailure ?? { ...r, logs: withPhases(host.logs, marks) }, d, {
      registered: host.plugins.flatMap((p) => p.hooks),
      renegotiations,
      closeMs,
      leftRunning: host.leftRunning,
      leftFiles: host.leftFiles,
    });
  } finally {
    state.current = undefined;
    await host.kill();
  }
}

type Phase = 'open' | 'connect' | 'renegotiate' | 'disconnect' | 'close';
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

/** A close that takes longer is shown in the text output (the result's ms ends before it). */
const SLOW_CLOSE_MS = 100;

interface ReportMore {
  registered?: string[];
  renegotiations?: RenegotiateResult[];
  closeMs?: number;
  /** The processes the plugins left running after close (the host ended them). */
  leftRunning?: readonly RunningProcess[];
  /** The files the plugins left in the server's temp dir after close (the host removed them). */
  leftFiles?: readonly string[];
  /** Under --memcheck: valgrind's report (null: valgrind wrote none). */
  memcheck?: MemcheckReport | null;
}
type ReportArgs = [r: ConnectResult | FailureOutcome, d?: DisconnectResult, more?: ReportMore];

/** Under --memcheck: the report's lines (stdout; what valgrind did not write, on stderr), and exit 6 for findings in
 * the plugin when the life itself succeeded. */
function reportMemcheck(state: RunState, memcheck: MemcheckReport | null | undefined, code: number): number {
  if (memcheck === undefined) return code;
  if (memcheck === null) {
    state.io.err(`${PROGRAM_NAME}: memcheck: valgrind wrote no report (it did not start or was killed before writing)\n`);
    return code;
  }
  printLines(state, formatMemcheck(memcheck));
  return code === EXIT.SUCCESS && !memcheck.clean ? EXIT.MEMCHECK : code;
}

function reportLife(state: RunState, opts: ConnectCliOptions, r: ConnectResult | FailureOutcome, d?: DisconnectResult, more: ReportMore = {}): number {
  const { registered = [], renegotiations, closeMs, memcheck, leftRunning, leftFiles } = more;
  const lifeCode = () => (exitCodeOfLife(r) === EXIT.SUCCESS && renegotiations ? exitCodeOfRenegotiations(renegotiations) : exitCodeOfLife(r));
  const code = () => reportMemcheck(state, opts.json ? undefined : memcheck, lifeCode());
  if (opts.json) {
    // each renegotiation's log lines are in the top-level log (phase 'renegotiate')
    const renegs = renegotiations?.map((x) => (isFailure(x) ? x : { ...x, logs: undefined }));
    printJson(state, {
      ...r,
      ...(renegs ? { renegotiations: renegs } : {}),
      ...(d ? { disconnect: d } : {}),
      ...(closeMs !== undefined ? { closeMs } : {}),
      ...(leftRunning?.length ? { leftRunning } : {}),
      ...(leftFiles?.length ? { leftFiles } : {}),
      ...(memcheck !== undefined ? { memcheck } : {}),
    });
    return memcheck && !memcheck.clean && lifeCode() === EXIT.SUCCESS ? EXIT.MEMCHECK : lifeCode();
  }
  if (leftRunning?.length) {
    const list = leftRunning.map((p) => `pid ${p.pid}: ${p.command}`).join('; ');
    state.io.err(
      `${PROGRAM_NAME}: warning: the plugins left ${leftRunning.length} process(es) running after close (the host waited 0.5 s, then ended them): ${list}\n`,
    );
  }
  if (leftFiles?.length) {
    state.io.err(
      `${PROGRAM_NAME}: warning: the plugins left ${leftFiles.length} file(s) in the server's temp dir after close (the host removed them): ${leftFiles.join(', ')}\n`,
    );
  }
  // with processes left running, the close time is mostly the host's wait for them (the line above)
  if (closeMs !== undefined && closeMs >= SLOW_CLOSE_MS && !isFailure(r) && !leftRunning?.length) {
    const valgrind = opts.memcheck === true ? ', under valgrind' : '';
    state.io.err(`${PROGRAM_NAME}: closing the plugins took ${closeMs} ms (after the client's ${Math.round(r.ms)} ms${valgrind})\n`);
  }
  if (isFailure(r)) {
    state.io.err(`${PROGRAM_NAME}: ${failureLine(r)}\n`);
    if (r.outcome === 'load-error') printLines(state, formatFailureDetails(r), 'err');
    return reportMemcheck(state, memcheck, exitCodeOfLife(r));
  }
  printLines(state, [
    ...formatLife(r, undefined, registered, opts.memcheck === true),
    ...(renegotiations ?? []).flatMap(formatRenegotiation),
    ...formatDisconnect(d),
  ]);
  return code();
}

/** A renegotiation: its outcome in one line, the token's state, its auth, its hooks. */
function formatRenegotiation(r: RenegotiateResult): string[] {
  if (isFailure(r)) return [`RENEGOTIATION failed: ${failureLine(r)}`];
  const lines: string[] = [];
  if (r.outcome === 'renewed') lines.push(`RENEGOTIATION ${r.renegotiation}: renewed in ${Math.round(r.ms)} ms`);
  else if (r.outcome === 'rejected') {
    lines.push(`RENEGOTIATION ${r.renegotiation}: REJECTED at ${r.stage}, the client sees ${r.clientSees}: the tunnel was killed`);
    if (r.reason) lines.push(`reason: ${r.reason}`);
  } else lines.push(`RENEGOTIATION: FATAL at ${r.stage}: ${r.reason}`);
  if ('token' in r && r.token) {
    lines.push(
      `auth-gen-token: session_state ${r.token.sessionState}${r.token.pluginsSkipped ? ', the plugins were not called for AUTH_USER_PASS_VERIFY' : ''}`,
    );
  }
  if (r.auth.called) {
    lines.push(
      `auth: ${r.auth.deferred ? `deferred, ${r.auth.polls} reads of auth_control_file${r.auth.controlByte ? `, decided by '${r.auth.controlByte}'` : ''}` : 'not deferred'}`,
    );
  }
  lines.push('hooks:', ...(r.hooks.length ? formatHooks(r.hooks) : ['  (none called)']));
  return lines;
}

function formatDisconnect(d: DisconnectResult | undefined): string[] {
  if (!d || isFailure(d)) return [];
  if (d.endedBy) return [`disconnect: no hook (${d.endedBy})`];
  const lines = d.hooks.length ? ['disconnect:', ...formatHooks(d.hooks)] : [];
  if (d.vanished) {
    const left = d.vanished.leftBehind;
    lines.push(
      'vanished: no CLIENT_DISCONNECT (OpenVPN calls it only past client-connect); destructors ran',
      left.length ? 'files OpenVPN would leave behind (removed by the host):' : 'files OpenVPN would leave behind: none',
      ...left.map((f) => `  ${f}`),
    );
  }
  return lines;
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

function formatLife(r: Exclude<ConnectResult, FailureOutcome>, d?: DisconnectResult, registered: readonly string[] = [], underValgrind = false): string[] {
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
    case 'dropped':
      lines.push(`DROPPED at ${r.stage} after ${Math.round(r.ms)} ms: the client vanished while its connect waited on a deferral`);
      break;
  }
  if (r.outcome === 'rejected' && r.reason) lines.push(`reason: ${r.reason}`);
  if (r.auth.called) {
    const p = r.auth.pending
      ? `; auth_pending_file: timeout ${r.auth.pending.timeout} s, method ${r.auth.pending.method}, extra ${JSON.stringify(r.auth.pending.extra)}; the client is sent ${r.auth.pending.clientSees.map((m) => `'${m}'`).join(', ')}`
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
    lines.push(
      `warning: ${b.hook} of ${b.plugin} blocked the server for ${Math.round(b.ms)} ms (every client stalls meanwhile)${underValgrind ? '; timed under valgrind, which slows every call down' : ''}`,
    );
  append(lines, formatDisconnect(d));
  return lines;
}
