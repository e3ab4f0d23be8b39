// The real side of the differential suite: a REAL OpenVPN 2.6 server (the Debian `openvpn` binary) with a plugin
// chain, and one real OpenVPN client, on 127.0.0.1 inside a private, throw-away network namespace.
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
export const SERVER_PUSH_ROUTE = '192.0.2.0 255.255.255.0';

export interface ChainPlugin {
  path: string;
  args?: string[];
}

export interface RealRunOptions {
  /** The plugin chain, in --plugin order (the recorder included, wherever the caller wants it). */
  plugins: ChainPlugin[];
  /** --auth-user-pass of the client; null = the client sends none. */
  username?: string | null;
  password?: string;
  /** Max seconds from the client's start until it is connected or failed (default 30). */
  settleTimeoutS?: number;
  /** After the client stopped: max seconds to wait for the server to close the client instance (default 12). */
  disconnectWaitS?: number;
  /** Parent of the run dir (default: the OS temp dir). */
  tmpParent?: string;
  openvpn?: string;
  keys?: string;
}

export type RealState = 'connected' | 'auth_failed' | 'timeout' | 'exited' | 'server_failed';

export interface RealRun {
  workdir: string;
  state: RealState;
  /** "AUTH_FAILED" or "AUTH_FAILED,<reason>" as the client received it. */
  authFailed?: string;
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
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now() / 1000;

/** Every process started and not yet seen to exit: sent SIGTERM by pid if this process exits first (e.g. a test
 * timeout); `timeout` forwards it to openvpn (a SIGKILL would orphan openvpn), and still bounds it otherwise. */
const live = new Set<Proc>();
process.on('exit', () => {
  for (const p of live) if (p.pid !== undefined) try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ }
});

/** One process we started, with the promise of its end. */
class Proc {
  readonly exited: Promise<number | null>;
  done = false;
  constructor(readonly name: string, readonly child: ChildProcess) {
    live.add(this);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => { this.done = true; live.delete(this); resolve(code ?? (signal ? -1 : null)); });
      child.on('error', () => { this.done = true; live.delete(this); resolve(null); });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM by pid, SIGKILL after graceS; resolves when the process is gone. */
  async stop(graceS: number): Promise<void> {
    if (this.done || this.child.pid === undefined) return;
    try { process.kill(this.child.pid, 'SIGTERM'); } catch { /* already gone */ }
    const t = setTimeout(() => { if (!this.done && this.child.pid) try { process.kill(this.child.pid, 'SIGKILL'); } catch { /* gone */ } }, graceS * 1000);
    await this.exited;
    clearTimeout(t);
  }
}

function readText(path: string): string {
  try { return readFileSync(path, 'latin1'); } catch { return ''; }
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
export function splitPush(body: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let esc = false;
  for (const ch of body) {
    if (esc) { cur += ch; esc = false; } else if (ch === '\\') { cur += ch; esc = true; } else if (ch === ',') { parts.push(cur); cur = ''; } else cur += ch;
  }
  parts.push(cur);
  return parts.filter((p) => p !== '');
}

/** What the client log says: the last PUSH_REPLY's options and the AUTH_FAILED message. */
export function parseClientLog(text: string): { connected: boolean; pushed: string[]; ifconfig?: string; authFailed?: string } {
  const lines = text.split('\n');
  let pushed: string[] = [];
  let authFailed: string | undefined;
  let continued = false;
  for (const line of lines) {
    const m = /PUSH: Received control message: 'PUSH_REPLY,?(.*)'\s*$/.exec(line);
    if (m) {
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
    pushed, ifconfig: ifc?.slice('ifconfig '.length), authFailed,
  };
}

/** Ask an OpenVPN management interface (unix socket) for its echo buffer: the texts of the `echo` options, in order. */
export function managementEchoes(socketPath: string, limitMs = 5000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    let buf = '';
    let sent = false;
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`management ${socketPath}: no answer to "echo all" in ${limitMs} ms`)); }, limitMs);
    sock.setEncoding('utf8');
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
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
        const texts = buf.split(/\r?\n/).filter((l) => l !== '' && l !== 'END' && !l.startsWith('>'))
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

/** A config-file line: `plugin <path> <args...>` (each token quoted when it needs it). */
function pluginLine(p: ChainPlugin): string {
  const q = (s: string) => (/^[^\s"'\\#;]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, '\\$1')}"`);
  return ['plugin', q(p.path), ...(p.args ?? []).map(q)].join(' ');
}

export function serverConfig(work: string, keys: string, plugins: ChainPlugin[]): string {
  return [
    '# generated by ovpn-plugin-host test/parity (real side)',
    'mode server', 'tls-server', 'dev tun', 'topology subnet', 'server 10.29.41.0 255.255.255.0',
    'proto udp', 'local 127.0.0.1', 'lport 1194',
    `ca ${keys}/ca.crt`, `cert ${keys}/server.crt`, `key ${keys}/server.key`, 'dh none', `tls-auth ${keys}/ta.key 0`,
    'duplicate-cn', 'max-clients 10', 'verb 4', `tmp-dir ${work}/tmp`, `status ${work}/server.status 1`, 'status-version 2',
    'explicit-exit-notify 1', `push "route ${SERVER_PUSH_ROUTE}"`,
    ...plugins.map(pluginLine), '',
  ].join('\n');
}

export function clientConfig(work: string, keys: string, withAuth: boolean): string {
  return [
    '# generated by ovpn-plugin-host test/parity (real side)',
    'client', 'dev null', 'ifconfig-noexec', 'route-noexec', 'nobind', 'remote 127.0.0.1 1194', 'proto udp',
    `ca ${keys}/ca.crt`, `cert ${keys}/client.crt`, `key ${keys}/client.key`, `tls-auth ${keys}/ta.key 1`,
    'remote-cert-tls server', 'verb 4', 'explicit-exit-notify 1',
    // the client log redacts pushed `echo` parameters; its management interface keeps them ("echo all")
    `management ${work}/client-mgmt.sock unix`,
    ...(withAuth ? [`auth-user-pass ${work}/auth-user-pass.txt`] : []), '',
  ].join('\n');
}

/** Why the real side cannot run here, or null when it can (root, /dev/net/tun, unshare --net, openvpn, sample keys). */
export async function realServerUnavailable(openvpn = 'openvpn', keys = SAMPLE_KEYS): Promise<string | null> {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (the real OpenVPN server creates a tun device in a private network namespace)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing (no tun support in this container)';
  try { await run(openvpn, ['--version']); } catch (e) {
    const err = e as { code?: string; stdout?: string };
    // `openvpn --version` exits 1 after printing the version
    if (err.code === 'ENOENT' || !/OpenVPN 2\./.test(err.stdout ?? '')) return `no '${openvpn}' binary (apt-get install openvpn)`;
  }
  for (const f of ['ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key', 'ta.key']) {
    if (!existsSync(join(keys, f))) return `missing ${keys}/${f} (the Debian openvpn package's sample keys)`;
  }
  try { await run('unshare', ['--net', '--', 'ip', 'link', 'set', 'lo', 'up'], { timeout: 10_000 }); } catch (e) {
    return `'unshare --net' + 'ip link set lo up' does not work here: ${String((e as Error).message).split('\n')[0]}`;
  }
  return null;
}

/** The installed openvpn's version line ("OpenVPN 2.6.14 x86_64-pc-linux-gnu ..."). */
export async function openvpnVersion(openvpn = 'openvpn'): Promise<string> {
  try { const r = await run(openvpn, ['--version']); return r.stdout.split('\n')[0] ?? ''; } catch (e) {
    return ((e as { stdout?: string }).stdout ?? '').split('\n')[0] ?? '';
  }
}

/** Run the lab once: server up, client connects (or fails), client stops, server closes the instance, server stops. */
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
  const withAuth = opts.username !== null && opts.username !== undefined;
  writeFileSync(join(work, 'server.conf'), serverConfig(work, keys, opts.plugins));
  writeFileSync(join(work, 'client.conf'), clientConfig(work, keys, withAuth));
  if (withAuth) writeFileSync(join(work, 'auth-user-pass.txt'), `${opts.username}\n${opts.password ?? ''}\n`, { mode: 0o600 });
  const serverLog = join(work, 'server.log');
  const clientLog = join(work, 'client.log');
  // every process bound: settle + disconnect wait + start/stop slack
  const boundS = Math.ceil(settleTimeoutS + disconnectWaitS + 60);
  const procs: Proc[] = [];
  const result: RealRun = {
    workdir: work, state: 'server_failed', pushed: [], serverLog, clientLog, settleS: 0, totalS: 0, instanceClosed: false,
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
    const inNs = await waitFor(() => {
      try { return readlinkSync(nsPath) !== self && readText(`/proc/${holder.pid}/comm`).trim() === 'sleep'; } catch { return false; }
    }, 10, 10);
    if (!inNs) throw new Error('unshare --net did not create a network namespace');
    await run('nsenter', [`--net=${nsPath}`, '--', 'ip', 'link', 'set', 'lo', 'up'], { timeout: 10_000 });

    // 2. the server
    const server = start('server', [openvpn, '--config', join(work, 'server.conf')], serverLog, nsPath);
    const up = await waitFor(() => server.done || readText(serverLog).includes('Initialization Sequence Completed'), 20);
    if (!up || server.done) {
      result.problem = `server did not come up; tail of ${serverLog}:\n${readText(serverLog).split('\n').slice(-15).join('\n')}`;
      return result;
    }

    // 3. the client, until connected or failed
    const tc = now();
    const client = start('client', [openvpn, '--config', join(work, 'client.conf')], clientLog, nsPath);
    let state = 'timeout' as RealState;
    await waitFor(() => {
      const text = readText(clientLog);
      if (text.includes('Initialization Sequence Completed')) state = 'connected';
      else if (text.includes('AUTH_FAILED')) state = 'auth_failed';
      else if (client.done) state = 'exited';
      return state !== 'timeout';
    }, settleTimeoutS);
    result.settleS = now() - tc;
    result.state = state;
    let echoes: string[] = [];
    if (state === 'connected') {
      try { echoes = await managementEchoes(join(work, 'client-mgmt.sock')); } catch (e) { result.problem = (e as Error).message; }
    }

    // 4. stop the client (UDP: it sends the exit notification), let the server close the instance by itself
    await client.stop(5);
    const closed = () => /client-instance (exiting|restarting)/.test(readText(serverLog));
    result.instanceClosed = await waitFor(() => closed() || server.done, disconnectWaitS, 100) && closed();
    await server.stop(10);

    const parsed = parseClientLog(readText(clientLog));
    result.pushed = restoreEchoes(parsed.pushed, echoes);
    result.ifconfig = parsed.ifconfig;
    result.authFailed = parsed.authFailed;
    return result;
  } catch (e) {
    result.problem = (e as Error).message;
    return result;
  } finally {
    for (const p of [...procs].reverse()) await p.stop(5);
    result.totalS = now() - t0;
  }
}
