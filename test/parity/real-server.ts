// The real side of the differential suite: a REAL OpenVPN 2.6 server (the Debian `openvpn` binary) with a plugin
// chain, and one or several real OpenVPN clients (started at the same time), on 127.0.0.1 inside a private, throw-away
// network namespace; UDP by default, or TCP (proto tcp-server / tcp-client), optionally with a --client-connect script.
//
// How (all from this process, no shell):
// - a holder process `unshare --net -- sleep N` owns a fresh network namespace (it exists only while something runs
//   in it); `nsenter --net=/proc/<holder>/ns/net` runs `ip link set lo up`, the server and the client inside it;
// - every long-running process is started as `nsenter ... -- timeout -k 5 <bound> <cmd>`: nsenter execs, so the pid we
//   get is `timeout`'s, which forwards SIGTERM to the command and bounds it even if this process dies;
// - every process is stopped by its pid (SIGTERM, then SIGKILL after a grace), in a finally, whatever happened.
// Server and client configs follow OpenVPN's own t_server_null lab (server: --dev tun in the namespace; client:
// --dev null --ifconfig-noexec --route-noexec), the setup the project's env model was captured with.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SAMPLE_KEYS = '/usr/share/doc/openvpn/examples/sample-keys';
/** The address pool of the lab server (`server 10.29.41.0 255.255.255.0`): the first client gets .2. */
export const REAL_POOL_FIRST = '10.29.41.2';
/** What the server itself pushes to every client (server-side config, not the plugins'). */
const SERVER_PUSH_ROUTE = '192.0.2.0 255.255.255.0';

export interface ChainPlugin {
  path: string;
  args?: string[];
}

interface RealClientOptions {
  /** --auth-user-pass of the client; null = the client sends none. */
  username?: string | null;
  password?: string;
  /** UV_* variables the client sends (--push-peer-info with --setenv UV_...). */
  peerInfo?: Record<string, string>;
}

interface ServerExtras {
  /** 'udp' (default) or 'tcp' (server proto tcp-server, client proto tcp-client, no explicit-exit-notify). */
  proto?: 'udp' | 'tcp';
  /** --client-connect command (script path and arguments; OpenVPN appends the config file), with script-security 2. */
  clientConnect?: string[];
  /** --client-config-dir, and --ccd-exclusive. */
  ccdDir?: string;
  ccdExclusive?: boolean;
  /** More server config lines (e.g. keying-material-exporter, hand-window). */
  extraConfig?: string[];
}

export interface RealRunOptions extends ServerExtras {
  /** The plugin chain, in --plugin order (the recorder included, wherever the caller wants it). */
  plugins: ChainPlugin[];
  /** --auth-user-pass of the client; null = the client sends none. */
  username?: string | null;
  password?: string;
  /** Several clients at once (started together; each its own config, log and management socket). Default: one
   * client with username/password. */
  clients?: RealClientOptions[];
  /** Max seconds from the client's start until it is connected or failed (default 30). */
  settleTimeoutS?: number;
  /** After the client stopped: max seconds to wait for the server to close the client instance (default 12). */
  disconnectWaitS?: number;
  /** Keep the connected clients up this many seconds before stopping them (e.g. for reneg-sec renegotiations). */
  holdS?: number;
  /** Parent of the run dir (default: the OS temp dir). */
  tmpParent?: string;
  /** After the clients settled: send this signal to the server, then wait up to `waitS` for every client to be
   * connected again ("Initialization Sequence Completed" once more in its log) before they stop. */
  restart?: { signal: 'SIGHUP' | 'SIGUSR1'; waitS: number };
  openvpn?: string;
  keys?: string;
}

/** tls_failed: the server's log says the TLS handshake failed (one client only; the real client itself retries until
 * its hand-window, so its own log is no use). */
type RealState = 'connected' | 'auth_failed' | 'tls_failed' | 'timeout' | 'exited' | 'server_failed';

/** What one real client saw. */
export interface RealClientRun {
  username?: string | null;
  state: RealState;
  authFailed?: string;
  pushed: string[];
  ifconfig?: string;
  clientLog: string;
  settleS: number;
}

export interface RealRun {
  workdir: string;
  /** The first client's state, pushed options, ... (the whole run's for one client; see `clients` for several). */
  state: RealState;
  /** "AUTH_FAILED" or "AUTH_FAILED,<reason>" as the client received it. */
  authFailed?: string;
  /** The AUTH_PENDING and INFO_PRE control messages the server sent (its log). */
  authPending: string[];
  /** The options of the last PUSH_REPLY the client received, in order (empty if none). */
  pushed: string[];
  /** The `ifconfig` option the client received (address and netmask). */
  ifconfig?: string;
  serverLog: string;
  clientLog: string;
  /** Seconds from client start to connected/failed. */
  settleS: number;
  /** Seconds for the whole run (namespace to teardown). */
  totalS: number;
  /** Whether the server closed the client instance on its own (before the server was stopped). */
  instanceClosed: boolean;
  /** A one-line note when something in the lab itself went wrong. */
  problem?: string;
  /** With `restart`: whether every client was connected again after the signal. */
  reconnected?: boolean;
  /** Every client, in the order of the `clients` option (one entry for a single client). */
  clients: RealClientRun[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now() / 1000;

/** Every process started and not yet seen to exit: sent SIGTERM by pid if this process exits first (e.g. a test
 * timeout); `timeout` forwards it to openvpn (a SIGKILL would orphan openvpn), and still bounds it otherwise. */
const live = new Set<Proc>();
process.on('exit', () => {
  for (const p of live)
    if (p.pid !== undefined)
      try {
        process.kill(p.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
});

/** One process we started, with the promise of its end. */
class Proc {
  readonly exited: Promise<number | null>;
  done = false;
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    live.add(this);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.done = true;
        live.delete(this);
        resolve(code ?? (signal ? -1 : null));
      });
      child.on('error', () => {
        this.done = true;
        live.delete(this);
        resolve(null);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM by pid, SIGKILL after graceS; resolves when the process is gone. */
  async stop(graceS: number): Promise<void> {
    if (this.done || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => {
      if (!this.done && this.child.pid)
        try {
          process.kill(this.child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    }, graceS * 1000);
    await this.exited;
    clearTimeout(t);
  }
}

/** How many times a client log says the client completed its connection. */
function completions(log: string): number {
  return (log.match(/Initialization Sequence Completed/g) ?? []).length;
}

/** The one child of PID (the command `timeout` runs), read from /proc. */
function childPid(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  const kids = readText(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/).filter(Boolean).map(Number);
  return kids[0];
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

async function waitFor(pred: () => boolean, limitS: number, stepMs = 50): Promise<boolean> {
  const end = now() + limitS;
  for (;;) {
    if (pred()) return true;
    if (now() >= end) return false;
    await sleep(stepMs);
  }
}

/** Split a PUSH_REPLY body at commas (OpenVPN's separator; a backslash escapes the next character). */
function splitPush(body: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let esc = false;
  for (const ch of body) {
    if (esc) {
      cur += ch;
      esc = false;
    } else if (ch === '\\') {
      cur += ch;
      esc = true;
    } else if (ch === ',') {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.filter((p) => p !== '');
}

/** What the client log says: the last PUSH_REPLY's options (a token renewal's aside) and the AUTH_FAILED message. */
export function parseClientLog(text: string): { connected: boolean; pushed: string[]; ifconfig?: string; authFailed?: string } {
  const lines = text.split('\n');
  let pushed: string[] = [];
  let authFailed: string | undefined;
  let continued = false;
  for (const line of lines) {
    const m = /PUSH: Received control message: 'PUSH_REPLY,?(.*)'\s*$/.exec(line);
    // with auth-gen-token, a renegotiation brings a PUSH_REPLY with only the renewed auth-token: not the client's config
    if (m && !/^auth-token\S*$/.test(m[1]!)) {
      // a long reply comes in several messages: all but the last end with "push-continuation 2"
      if (!continued) pushed = [];
      const opts = splitPush(m[1]!);
      continued = opts.includes('push-continuation 2');
      pushed.push(...opts.filter((o) => !o.startsWith('push-continuation ')));
    }
    const a = /AUTH: Received control message: (AUTH_FAILED.*?)\s*$/.exec(line);
    if (a && authFailed === undefined) authFailed = a[1]!;
  }
  const ifc = pushed.find((o) => o.startsWith('ifconfig '));
  return {
    connected: lines.some((l) => l.includes('Initialization Sequence Completed')),
    pushed,
    ifconfig: ifc?.slice('ifconfig '.length),
    authFailed,
  };
}

/** Ask an OpenVPN management interface (unix socket) for its echo buffer: the texts of the `echo` options, in order. */
function managementEchoes(socketPath: string, limitMs = 5000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    let buf = '';
    let sent = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`management ${socketPath}: no answer to "echo all" in ${limitMs} ms`));
    }, limitMs);
    sock.setEncoding('utf8');
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('data', (d: string) => {
      buf += d;
      if (!sent && buf.includes('>INFO:')) {
        sent = true;
        buf = '';
        sock.write('echo all\n');
        return;
      }
      if (sent && /^END\r?$/m.test(buf)) {
        clearTimeout(timer);
        sock.end('quit\n');
        // "echo all" lists "<time>,<text>" lines, then END (">..." lines are real-time notifications)
        const texts = buf
          .split(/\r?\n/)
          .filter((l) => l !== '' && l !== 'END' && !l.startsWith('>'))
          .map((l) => l.replace(/^\d+,/, ''));
        resolve(texts);
      }
    });
  });
}

/** Put the echo texts back into the PUSH_REPLY options the log shows as a bare `echo`. */
export function restoreEchoes(pushed: string[], echoes: string[]): string[] {
  let k = 0;
  return pushed.map((o) => (o === 'echo' && k < echoes.length ? `echo ${echoes[k++]}` : o));
}

/** A config-file parameter, quoted when it needs it. */
function quoteParam(s: string): string {
  return /^[^\s"'\\#;]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/** A config-file line: `plugin <path> <args...>` (each token quoted when it needs it). */
function pluginLine(p: ChainPlugin): string {
  return ['plugin', quoteParam(p.path), ...(p.args ?? []).map(quoteParam)].join(' ');
}

/** The real server's config; the host runs the same text (--config) in the cases that test config handling. */
export function serverConfig(work: string, keys: string, plugins: ChainPlugin[], extras: ServerExtras = {}): string {
  const tcp = extras.proto === 'tcp';
  return [
    '# generated by ovpn-plugin-host test/parity (real side)',
    'mode server',
    'tls-server',
    'dev tun',
    'topology subnet',
    'server 10.29.41.0 255.255.255.0',
    tcp ? 'proto tcp-server' : 'proto udp',
    'local 127.0.0.1',
    'lport 1194',
    `ca ${keys}/ca.crt`,
    `cert ${keys}/server.crt`,
    `key ${keys}/server.key`,
    'dh none',
    `tls-auth ${keys}/ta.key 0`,
    'duplicate-cn',
    'max-clients 10',
    'verb 4',
    `tmp-dir ${work}/tmp`,
    `status ${work}/server.status 1`,
    'status-version 2',
    // UDP only: over TCP the server sees the connection close
    ...(tcp ? [] : ['explicit-exit-notify 1']),
    `push "route ${SERVER_PUSH_ROUTE}"`,
    // the whole command is one parameter; OpenVPN splits it into argv itself
    ...(extras.clientConnect ? ['script-security 2', `client-connect ${quoteParam(extras.clientConnect.join(' '))}`] : []),
    ...(extras.ccdDir ? [`client-config-dir ${extras.ccdDir}`, ...(extras.ccdExclusive ? ['ccd-exclusive'] : [])] : []),
    ...(extras.extraConfig ?? []),
    ...plugins.map(pluginLine),
    '',
  ].join('\n');
}

/** The file names of client number `index` (0-based) in the run dir: client.*, client-2.*, client-3.*, ... */
function clientFiles(work: string, index: number): { conf: string; log: string; mgmt: string; auth: string } {
  const base = index === 0 ? 'client' : `client-${index + 1}`;
  return {
    conf: join(work, `${base}.conf`),
    log: join(work, `${base}.log`),
    mgmt: join(work, `${base}-mgmt.sock`),
    auth: join(work, `${base}-auth-user-pass.txt`),
  };
}

function clientConfig(
  work: string,
  keys: string,
  withAuth: boolean,
  opts: { proto?: 'udp' | 'tcp'; index?: number; peerInfo?: Record<string, string> } = {},
): string {
  const tcp = opts.proto === 'tcp';
  const files = clientFiles(work, opts.index ?? 0);
  return [
    '# generated by ovpn-plugin-host test/parity (real side)',
    'client',
    'dev null',
    'ifconfig-noexec',
    'route-noexec',
    'nobind',
    'remote 127.0.0.1 1194',
    tcp ? 'proto tcp-client' : 'proto udp',
    `ca ${keys}/ca.crt`,
    `cert ${keys}/client.crt`,
    `key ${keys}/client.key`,
    `tls-auth ${keys}/ta.key 1`,
    'remote-cert-tls server',
    'verb 4',
    ...(tcp ? [] : ['explicit-exit-notify 1']),
    // the client log redacts pushed `echo` parameters; its management interface keeps them ("echo all")
    `management ${files.mgmt} unix`,
    ...(withAuth ? [`auth-user-pass ${files.auth}`] : []),
    // UV_* variables are sent only with push-peer-info (which also adds IV_SSL/IV_PLAT_VER); IV_SSO is sent without it
    ...(opts.peerInfo && Object.keys(opts.peerInfo).some((k) => k.startsWith('UV_')) ? ['push-peer-info'] : []),
    ...Object.entries(opts.peerInfo ?? {}).map(([k, v]) => `setenv ${k} ${v}`),
    '',
  ].join('\n');
}

/** Why the real side cannot run here, or null when it can (root, /dev/net/tun, unshare --net, openvpn, sample keys). */
export async function realServerUnavailable(openvpn = 'openvpn', keys = SAMPLE_KEYS): Promise<string | null> {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (the real OpenVPN server creates a tun device in a private network namespace)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing (no tun support in this container)';
  try {
    await run(openvpn, ['--version']);
  } catch (e) {
    const err = e as { code?: string; stdout?: string };
    // `openvpn --version` exits 1 after printing the version
    if (err.code === 'ENOENT' || !/OpenVPN 2\./.test(err.stdout ?? '')) return `no '${openvpn}' binary (apt-get install openvpn)`;
  }
  for (const f of ['ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key', 'ta.key']) {
    if (!existsSync(join(keys, f))) return `missing ${keys}/${f} (the Debian openvpn package's sample keys)`;
  }
  try {
    await run('unshare', ['--net', '--', 'ip', 'link', 'set', 'lo', 'up'], { timeout: 10_000 });
  } catch (e) {
    return `'unshare --net' + 'ip link set lo up' does not work here: ${String((e as Error).message).split('\n')[0]}`;
  }
  return null;
}

/** The installed openvpn's version line ("OpenVPN 2.6.14 x86_64-pc-linux-gnu ..."). */
export async function openvpnVersion(openvpn = 'openvpn'): Promise<string> {
  try {
    const r = await run(openvpn, ['--version']);
    return r.stdout.split('\n')[0] ?? '';
  } catch (e) {
    return ((e as { stdout?: string }).stdout ?? '').split('\n')[0] ?? '';
  }
}

/** Run the lab once: server up, the clients connect at the same time (or fail), they stop, the server closes their
 * instances, the server stops. */
export async function runRealServer(opts: RealRunOptions): Promise<RealRun> {
  const t0 = now();
  const openvpn = opts.openvpn ?? 'openvpn';
  const keys = opts.keys ?? SAMPLE_KEYS;
  const settleTimeoutS = opts.settleTimeoutS ?? 30;
  const disconnectWaitS = opts.disconnectWaitS ?? 12;
  const work = mkdtempSync(join(opts.tmpParent ?? tmpdir(), 'ovpn-parity-real-'));
  chmodSync(work, 0o755);
  mkdirSync(join(work, 'tmp'), { mode: 0o1777 });
  chmodSync(join(work, 'tmp'), 0o1777);
  const clients: RealClientOptions[] = opts.clients ?? [{ username: opts.username, password: opts.password }];
  const extras: ServerExtras = {
    proto: opts.proto,
    clientConnect: opts.clientConnect,
    ccdDir: opts.ccdDir,
    ccdExclusive: opts.ccdExclusive,
    extraConfig: opts.extraConfig,
  };
  writeFileSync(join(work, 'server.conf'), serverConfig(work, keys, opts.plugins, extras));
  clients.forEach((c, i) => {
    const withAuth = c.username !== null && c.username !== undefined;
    const files = clientFiles(work, i);
    writeFileSync(files.conf, clientConfig(work, keys, withAuth, { proto: opts.proto, index: i, peerInfo: c.peerInfo }));
    if (withAuth) writeFileSync(files.auth, `${c.username}\n${c.password ?? ''}\n`, { mode: 0o600 });
  });
  const serverLog = join(work, 'server.log');
  // every process bound: settle + disconnect wait + start/stop slack
  const boundS = Math.ceil(settleTimeoutS + disconnectWaitS + (opts.holdS ?? 0) + 60);
  const procs: Proc[] = [];
  const results: RealClientRun[] = clients.map((c, i) => ({
    username: c.username,
    state: 'server_failed',
    pushed: [],
    clientLog: clientFiles(work, i).log,
    settleS: 0,
  }));
  const result: RealRun = {
    workdir: work,
    state: 'server_failed',
    pushed: [],
    authPending: [],
    serverLog,
    clientLog: results[0]!.clientLog,
    settleS: 0,
    totalS: 0,
    instanceClosed: false,
    clients: results,
  };
  /** The top-level fields mirror the first client's. */
  const mirror = () => {
    const f = results[0]!;
    Object.assign(result, { state: f.state, pushed: f.pushed, ifconfig: f.ifconfig, authFailed: f.authFailed, settleS: f.settleS });
  };

  const start = (name: string, argv: string[], log: string | null, ns: string | null): Proc => {
    const fd = log ? openSync(log, 'a') : 'ignore';
    const full = ns ? ['nsenter', `--net=${ns}`, '--', 'timeout', '-k', '5', String(boundS), ...argv] : argv;
    const child = spawn(full[0]!, full.slice(1), { stdio: ['ignore', fd, fd], cwd: work });
    if (typeof fd === 'number') closeSync(fd);
    const p = new Proc(name, child);
    procs.push(p);
    return p;
  };

  try {
    // 1. the namespace holder
    const holder = start('netns holder', ['unshare', '--net', '--', 'sleep', String(boundS + 30)], null, null);
    const self = readlinkSync('/proc/self/ns/net');
    const nsPath = `/proc/${holder.pid}/ns/net`;
    const inNs = await waitFor(
      () => {
        try {
          return readlinkSync(nsPath) !== self && readText(`/proc/${holder.pid}/comm`).trim() === 'sleep';
        } catch {
          return false;
        }
      },
      10,
      10,
    );
    if (!inNs) throw new Error('unshare --net did not create a network namespace');
    await run('nsenter', [`--net=${nsPath}`, '--', 'ip', 'link', 'set', 'lo', 'up'], { timeout: 10_000 });

    // 2. the server
    const server = start('server', [openvpn, '--config', join(work, 'server.conf')], serverLog, nsPath);
    const up = await waitFor(() => server.done || readText(serverLog).includes('Initialization Sequence Completed'), 20);
    if (!up || server.done) {
      result.problem = `server did not come up; tail of ${serverLog}:\n${readText(serverLog).split('\n').slice(-15).join('\n')}`;
      return result;
    }

    // 3. the clients, all at once, until each is connected or failed
    const tc = now();
    const procsOf = clients.map((_, i) => start(`client ${i + 1}`, [openvpn, '--config', clientFiles(work, i).conf], results[i]!.clientLog, nsPath));
    const settled = results.map(() => false);
    await waitFor(() => {
      results.forEach((r, i) => {
        if (settled[i]) return;
        const text = readText(r.clientLog);
        let state: RealState | undefined;
        if (text.includes('Initialization Sequence Completed')) state = 'connected';
        else if (text.includes('AUTH_FAILED')) state = 'auth_failed';
        else if (clients.length === 1 && readText(serverLog).includes('TLS Error: TLS handshake failed')) state = 'tls_failed';
        else if (procsOf[i]!.done) state = 'exited';
        if (state) {
          r.state = state;
          r.settleS = now() - tc;
          settled[i] = true;
        }
      });
      return settled.every(Boolean);
    }, settleTimeoutS);
    results.forEach((r, i) => {
      if (!settled[i]) {
        r.state = 'timeout';
        r.settleS = now() - tc;
      }
    });
    const echoes: string[][] = await Promise.all(
      results.map(async (r, i) => {
        if (r.state !== 'connected') return [];
        try {
          return await managementEchoes(clientFiles(work, i).mgmt);
        } catch (e) {
          result.problem = `${result.problem ? `${result.problem}; ` : ''}client ${i + 1}: ${(e as Error).message}`;
          return [];
        }
      }),
    );

    // 3b. a server restart by signal; the clients reconnect by themselves
    if (opts.restart) {
      const openvpnPid = childPid(server.pid);
      if (openvpnPid === undefined) throw new Error('cannot find the openvpn server process to signal');
      const before = results.map((r) => completions(readText(r.clientLog)));
      process.kill(openvpnPid, opts.restart.signal);
      result.reconnected = await waitFor(() => results.every((r, i) => completions(readText(r.clientLog)) > before[i]!), opts.restart.waitS, 100);
    }
    // (the server renegotiates meanwhile when its reneg-sec is shorter than the hold)
    if (opts.holdS) await sleep(opts.holdS * 1000);

    // 4. stop the clients (UDP: each sends the exit notification; TCP: the connection closes), let the server close
    //    every client instance by itself
    await Promise.all(procsOf.map((p) => p.stop(5)));
    const closed = () => (readText(serverLog).match(/client-instance (exiting|restarting)/g) ?? []).length >= clients.length;
    result.instanceClosed = (await waitFor(() => closed() || server.done, disconnectWaitS, 100)) && closed();
    await server.stop(10);
    result.authPending = [...readText(serverLog).matchAll(/SENT CONTROL \[[^\]]*\]: '((?:AUTH_PENDING|INFO_PRE)[^']*)'/g)].map((m) => m[1]!);

    results.forEach((r, i) => {
      const parsed = parseClientLog(readText(r.clientLog));
      r.pushed = restoreEchoes(parsed.pushed, echoes[i]!);
      r.ifconfig = parsed.ifconfig;
      r.authFailed = parsed.authFailed;
    });
    mirror();
    return result;
  } catch (e) {
    result.problem = (e as Error).message;
    mirror();
    return result;
  } finally {
    for (const p of [...procs].reverse()) await p.stop(5);
    result.totalS = now() - t0;
  }
}
