// The real Debian OpenVPN 2.6 plugins: down-root (v1 only, forks a root helper) and auth-pam (open v3 + func v1, PAM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PluginHost, isFailure, type HookCallResult } from '../../src/host/host.js';
import { inspectPlugin } from '../../src/host/inspect.js';
import { RawCall } from '../../src/host/raw-call.js';
import { envForHook } from '../../src/openvpn/server-env.js';
import { CLI, ROOT, findLog, messages } from '../helpers.js';
import { PLUGIN_LIBDIR } from '../../src/openvpn/constants.js';

const DOWN_ROOT = join(PLUGIN_LIBDIR, 'openvpn-plugin-down-root.so');
const AUTH_PAM = join(PLUGIN_LIBDIR, 'openvpn-plugin-auth-pam.so');

for (const file of [DOWN_ROOT, AUTH_PAM]) {
  if (!existsSync(file)) throw new Error(`${file} is missing: install the Debian 'openvpn' package (make test does so as root)`);
}

/** Live (non-zombie) descendants of PID. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number): void => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let text = '';
      try {
        text = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
      } catch {
        continue;
      }
      for (const c of text ? text.split(/\s+/).map(Number) : []) {
        if (running(c)) out.push(c);
        walk(c);
      }
    }
  };
  walk(pid);
  return out;
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function returnName(r: HookCallResult): string {
  if (r.outcome !== 'returned') assert.fail(`the call did not return: ${JSON.stringify(r)}`);
  return r.returnName;
}

// ---- down-root -------------------------------------------------------------------------------------------------

test('down-root: inspect with a command argument: v1 open/func, hooks UP and DOWN, closes cleanly', async () => {
  const r = await inspectPlugin({ plugin: { path: 'openvpn-plugin-down-root.so', args: ['/bin/true'] } });
  assert.equal(r.outcome, 'ok', JSON.stringify(r));
  if (r.outcome !== 'ok') return;
  assert.equal(r.plugin.file, DOWN_ROOT, 'a bare name is loaded from PLUGIN_LIBDIR, as OpenVPN does');
  assert.equal(r.plugin.path, 'openvpn-plugin-down-root.so', 'argv[0] stays as given');
  assert.deepEqual(r.plugin.exported, ['openvpn_plugin_open_v1', 'openvpn_plugin_func_v1', 'openvpn_plugin_close_v1', 'openvpn_plugin_abort_v1']);
  assert.equal(r.plugin.openVersion, 1);
  assert.equal(r.plugin.funcVersion, 1);
  assert.deepEqual(r.plugin.hooks, ['UP', 'DOWN']);
});

for (const [command, expected] of [
  ['/bin/true', 'SUCCESS'],
  ['/bin/false', 'ERROR'],
] as const) {
  test(`down-root ${command}: UP forks the root helper, DOWN runs the command in it (${expected}), close ends the helper`, async () => {
    const host = await PluginHost.open({ plugins: [{ path: DOWN_ROOT, args: [command] }] });
    if (isFailure(host)) assert.fail(JSON.stringify(host));
    const worker = host.workerPid!;
    const before = descendants(worker);
    const up = envForHook('UP');
    assert.equal(returnName(await host.call('UP', { argv: up.argv, env: up.env.toEnvp(), perClient: false })), 'SUCCESS');
    const helpers = descendants(worker).filter((p) => !before.includes(p));
    assert.ok(helpers.length >= 1, 'UP did not fork the helper');
    const down = envForHook('DOWN');
    // The helper execs the command from the argv strings down-root kept since open (they must still be valid).
    assert.equal(returnName(await host.call('DOWN', { argv: down.argv, env: down.env.toEnvp(), perClient: false })), expected);
    assert.equal(await host.close(), undefined, 'close failed');
    for (let i = 0; i < 40 && helpers.some(running); i++) await sleep(50);
    assert.deepEqual(helpers.filter(running), [], 'the helper is still running after close');
    if (expected === 'ERROR') findLog(host.logs, /DOWN-ROOT: BACKGROUND: \/bin\/false exited/);
  });
}

// ---- auth-pam --------------------------------------------------------------------------------------------------

test('auth-pam: inspect: open v3 with func v1, AUTH_USER_PASS_VERIFY, its background process starts and ends', async () => {
  const r = await inspectPlugin({ plugin: { path: AUTH_PAM, args: ['login'] } });
  assert.equal(r.outcome, 'ok', JSON.stringify(r));
  if (r.outcome !== 'ok') return;
  assert.equal(r.plugin.openVersion, 3);
  assert.equal(r.plugin.funcVersion, 1);
  assert.deepEqual(r.plugin.hooks, ['AUTH_USER_PASS_VERIFY']);
  const init = findLog(r.logs, /^BACKGROUND: INIT service='login'$/);
  assert.equal(init.plugin, 'AUTH-PAM');
  const fg = findLog(r.logs, /^initialization succeeded \(fg\)$/);
  assert.notEqual(init.pid, fg.pid, 'the background process is a forked child');
  findLog(r.logs, /^BACKGROUND: EXIT$/);
});

const PAM_DIR = '/etc/pam.d';
const SERVICES = {
  permit: `ovpn-plugin-host-test-permit-${process.pid}`,
  deny: `ovpn-plugin-host-test-deny-${process.pid}`,
};

/** Write the two PAM services; a clear failure (not a skip) when that is impossible. */
function writePamServices(): void {
  if (process.getuid?.() !== 0) {
    assert.fail(`the PAM tests write service files to ${PAM_DIR} and need root (uid ${process.getuid?.()}): run them as root`);
  }
  try {
    writeFileSync(join(PAM_DIR, SERVICES.permit), 'auth required pam_permit.so\naccount required pam_permit.so\n', { mode: 0o644 });
    writeFileSync(join(PAM_DIR, SERVICES.deny), 'auth required pam_deny.so\naccount required pam_deny.so\n', { mode: 0o644 });
  } catch (err) {
    assert.fail(`cannot write PAM service files in ${PAM_DIR}: ${(err as Error).message}`);
  }
}

function removePamServices(): void {
  for (const s of Object.values(SERVICES)) rmSync(join(PAM_DIR, s), { force: true });
}

async function pamCall(service: string): Promise<{ returnName: string; logs: string[] }> {
  const r = await new RawCall({
    plugin: { path: AUTH_PAM, args: [service] },
    hook: 'AUTH_USER_PASS_VERIFY',
    env: [
      ['username', 'alice'],
      ['password', 'alice-secret'],
    ],
  }).run();
  if (r.outcome !== 'returned') assert.fail(JSON.stringify(r));
  return { returnName: r.returnName, logs: messages(r.logs) };
}

function cli(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, timeout: 60_000 }, (err) => {
      const code = (err as { code?: unknown } | null)?.code;
      resolve(err ? (typeof code === 'number' ? code : null) : 0);
    });
  });
}

test('auth-pam AUTH_USER_PASS_VERIFY through PAM: pam_permit -> SUCCESS, pam_deny -> ERROR (library and CLI)', async () => {
  writePamServices();
  try {
    const permit = await pamCall(SERVICES.permit);
    assert.equal(permit.returnName, 'SUCCESS', permit.logs.join('\n'));
    const deny = await pamCall(SERVICES.deny);
    assert.equal(deny.returnName, 'ERROR', deny.logs.join('\n'));
    assert.ok(deny.logs.includes("BACKGROUND: user 'alice' failed to authenticate: Authentication failure"), deny.logs.join('\n'));
    const base = ['call', AUTH_PAM, '--hook', 'AUTH_USER_PASS_VERIFY', '--env', 'username=alice', '--env', 'password=alice-secret'];
    assert.equal(await cli([...base.slice(0, 2), SERVICES.permit, ...base.slice(2)]), 0);
    assert.equal(await cli([...base.slice(0, 2), SERVICES.deny, ...base.slice(2)]), 1);
  } finally {
    removePamServices();
  }
});

test('auth-pam through the whole client life (library openHost + connect CLI): permit connects, deny is AUTH_FAILED', async () => {
  writePamServices();
  try {
    const { openHost } = await import('../../src/index.js');
    for (const [service, expected] of [
      [SERVICES.permit, 'connected'],
      [SERVICES.deny, 'rejected'],
    ] as const) {
      const host = await openHost({ plugins: [{ path: AUTH_PAM, args: [service] }], callTimeoutMs: 20_000 });
      try {
        const r = await host.client({ username: 'alice', password: 'alice-secret' }).connect();
        assert.equal(r.outcome, expected, JSON.stringify(r));
        if (r.outcome === 'rejected') assert.equal(r.clientSees, 'AUTH_FAILED');
      } finally {
        await host.close();
      }
    }
    assert.equal(await cli(['connect', AUTH_PAM, SERVICES.permit, '--username', 'alice', '--password', 'x']), 0);
    assert.equal(await cli(['connect', AUTH_PAM, SERVICES.deny, '--username', 'alice', '--password', 'x']), 1);
  } finally {
    removePamServices();
  }
});
