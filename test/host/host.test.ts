// The library (src/host/host.ts) against the C fixtures: ABI selection, hooks, return lists, logs from threads and forks,
// crashes, hangs, load and open failures; the caller's process survives all of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PluginHost, isFailure, type HookCallResult, type HookReturnedOutcome } from '../../src/host/host.js';
import type { FailureOutcome, LoadErrorOutcome } from '../../src/protocol/failures.js';
import { fixture, findLog, messages } from '../helpers.js';
import type { PluginLogEntry } from '../../src/protocol/logs.js';

/** Open plugins or fail the test with the failure outcome. */
async function open(path: string, args: string[] = [], callTimeoutMs?: number): Promise<PluginHost> {
  const host = await PluginHost.open({ plugins: [{ path, args }], callTimeoutMs });
  if (isFailure(host)) assert.fail(`open failed: ${JSON.stringify(host)}`);
  return host;
}

function returned(r: HookCallResult): HookReturnedOutcome {
  if (r.outcome !== 'returned') assert.fail(`the call did not return: ${JSON.stringify(r)}`);
  return r;
}

function loadError(r: PluginHost | FailureOutcome): LoadErrorOutcome {
  if (!isFailure(r)) assert.fail('expected a load error, but the plugin opened');
  if (r.outcome !== 'load-error') assert.fail(`expected a load error, got ${JSON.stringify(r)}`);
  return r;
}

/** Run BODY with an open host and always close it. */
async function withHost<T>(path: string, args: string[], body: (h: PluginHost) => Promise<T>): Promise<T> {
  const host = await open(path, args);
  try {
    return await body(host);
  } finally {
    await host.close();
  }
}

const AUTH_ENV = (user: string, pass: string) => [`username=${user}`, `password=${pass}`, 'common_name=Test-Client'];

// ---- v3-basic --------------------------------------------------------------------------------------------------

test('v3-basic: entry points, open v3 / func v3, min_version 3, hooks by name and mask', async () => {
  await withHost(fixture('v3-basic'), [], async (host) => {
    const info = host.plugins[0]!;
    assert.deepEqual(info.exported, [
      'openvpn_plugin_open_v3',
      'openvpn_plugin_func_v3',
      'openvpn_plugin_close_v1',
      'openvpn_plugin_abort_v1',
      'openvpn_plugin_client_constructor_v1',
      'openvpn_plugin_client_destructor_v1',
      'openvpn_plugin_min_version_required_v1',
    ]);
    assert.equal(info.openVersion, 3);
    assert.equal(info.funcVersion, 3);
    assert.equal(info.minVersionRequired, 3);
    assert.equal(info.initPoint, 2);
    assert.deepEqual(info.hooks, ['UP', 'DOWN', 'TLS_VERIFY', 'AUTH_USER_PASS_VERIFY', 'CLIENT_DISCONNECT', 'LEARN_ADDRESS', 'CLIENT_CONNECT_V2', 'TLS_FINAL']);
    assert.equal(info.typeMask, 0x7b3);
  });
});

test('v3-basic: argv[0] is the path exactly as given, then the arguments (open log line)', async () => {
  const given = `./${relative(process.cwd(), fixture('v3-basic'))}`;
  const host = await open(given, ['alpha', 'beta gamma']);
  try {
    assert.equal(host.plugins[0]!.path, given);
    assert.deepEqual(host.plugins[0]!.args, ['alpha', 'beta gamma']);
    const line = findLog(host.logs, /^open:/).message;
    assert.match(line, /^open: argc=3 argv\[1\.\.\]=alpha beta gamma ovpn_version=2\.6\.14 envc=10 argv\[0\]=(.*)$/);
    assert.equal(line.slice(line.indexOf('argv[0]=') + 8), given);
  } finally {
    await host.close();
  }
});

test('v3-basic: a fresh per-client context per client call (constructor before, destructor after)', async () => {
  await withHost(fixture('v3-basic'), [], async (host) => {
    // open made the generic context #1
    const first = returned(await host.call('AUTH_USER_PASS_VERIFY', { env: AUTH_ENV('foo', 'bar') }));
    assert.deepEqual(messages(first.logs), [
      'constructor: context #2',
      'hook 5 context #2 argc=1 depth=-1',
      "auth succeeded for user 'foo'",
      'destructor: context #2 after 1 calls',
    ]);
    const second = returned(await host.call('AUTH_USER_PASS_VERIFY', { env: AUTH_ENV('foo', 'bar') }));
    assert.equal(messages(second.logs)[0], 'constructor: context #3');
    assert.equal(messages(second.logs).at(-1), 'destructor: context #3 after 1 calls');
  });
});

test('v3-basic: AUTH_USER_PASS_VERIFY foo/bar -> SUCCESS, anything else -> ERROR', async () => {
  await withHost(fixture('v3-basic'), [], async (host) => {
    const ok = returned(await host.call('AUTH_USER_PASS_VERIFY', { env: AUTH_ENV('foo', 'bar') }));
    assert.equal(ok.returnCode, 0);
    assert.equal(ok.returnName, 'SUCCESS');
    assert.equal(ok.notRegistered, false);
    const bad = returned(await host.call('AUTH_USER_PASS_VERIFY', { env: AUTH_ENV('foo', 'wrong') }));
    assert.equal(bad.returnCode, 1);
    assert.equal(bad.returnName, 'ERROR');
    assert.equal(bad.calls[0]!.returnName, 'ERROR');
    const none = returned(await host.call('AUTH_USER_PASS_VERIFY', { env: [] }));
    assert.equal(none.returnName, 'ERROR');
  });
});

test('v3-basic: a hook it did not register is not called (SUCCESS, notRegistered)', async () => {
  await withHost(fixture('v3-basic'), [], async (host) => {
    const r = returned(await host.call('CLIENT_CONNECT', { argv: ['/nonexistent'] }));
    assert.equal(r.notRegistered, true);
    assert.equal(r.returnName, 'SUCCESS');
    assert.ok(!messages(r.logs).some((m) => m.startsWith('hook ')), 'func was called');
  });
});

// ---- v1, v2, mixed ---------------------------------------------------------------------------------------------

test('v1-only: open v1 / func v1; CLIENT_CONNECT writes the config file given in argv[1]', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ovph-test-'));
  try {
    const cc = join(dir, 'cc.tmp');
    writeFileSync(cc, '', { mode: 0o600 });
    const host = await open(fixture('v1-only'), ['first-arg']);
    const info = host.plugins[0]!;
    assert.equal(info.openVersion, 1);
    assert.equal(info.funcVersion, 1);
    assert.deepEqual(info.exported, ['openvpn_plugin_open_v1', 'openvpn_plugin_func_v1', 'openvpn_plugin_close_v1']);
    assert.equal(info.minVersionRequired, null);
    assert.deepEqual(info.hooks, ['AUTH_USER_PASS_VERIFY', 'CLIENT_CONNECT']);
    const r = returned(await host.call('CLIENT_CONNECT', { argv: [cc] }));
    assert.equal(r.returnName, 'SUCCESS');
    assert.equal(readFileSync(cc, 'utf8'), 'push "echo v1-only"\n');
    assert.equal(returned(await host.call('AUTH_USER_PASS_VERIFY', { env: AUTH_ENV('foo', 'bar') })).returnName, 'SUCCESS');
    assert.equal(await host.close(), undefined);
    // stdout lines (printf in the plugin) are log entries too
    const out = host.logs.filter((l) => l.source === 'stdout').map((l) => l.message);
    assert.deepEqual(out, ['v1-only: open argv[1]=first-arg', 'v1-only: func type=6', 'v1-only: func type=5', 'v1-only: close']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('v2-basic: open v2 / func v2; CLIENT_CONNECT_V2 returns config through the return list', async () => {
  const host = await open(fixture('v2-basic'));
  const info = host.plugins[0]!;
  assert.equal(info.openVersion, 2);
  assert.equal(info.funcVersion, 2);
  const r = returned(await host.call('CLIENT_CONNECT_V2', { env: ['common_name=Test-Client'] }));
  assert.equal(r.returnName, 'SUCCESS');
  assert.deepEqual(r.calls[0]!.returnList, [{ name: 'config', value: 'ifconfig-push 10.8.0.2 255.255.255.0\n' }]);
  assert.equal(r.config, 'ifconfig-push 10.8.0.2 255.255.255.0\n');
  await host.close();
  const out = host.logs.filter((l) => l.source === 'stdout').map((l) => l.message);
  assert.ok(out.includes('v2-basic: type=9 pcc=set'), out.join('\n'));
  assert.ok(out.includes('v2-basic: destructor connect_seen=1'), out.join('\n'));
});

test('v3-open-v1-func: open v3 with func v1 (chosen independently)', async () => {
  await withHost(fixture('v3-open-v1-func'), [], async (host) => {
    const info = host.plugins[0]!;
    assert.equal(info.openVersion, 3);
    assert.equal(info.funcVersion, 1);
    assert.deepEqual(info.hooks, ['TLS_VERIFY', 'AUTH_USER_PASS_VERIFY']);
    const r = returned(await host.call('AUTH_USER_PASS_VERIFY', { env: AUTH_ENV('foo', 'bar') }));
    assert.equal(r.returnName, 'SUCCESS');
    findLog(r.logs, /^func_v1 type=5$/);
  });
});

// ---- return lists ----------------------------------------------------------------------------------------------

test('return-list: 3 nodes decoded; config is the FIRST "config" node', async () => {
  await withHost(fixture('return-list'), [], async (host) => {
    const r = returned(await host.call('CLIENT_CONNECT_V2', {}));
    assert.deepEqual(r.calls[0]!.returnList, [
      { name: 'foo', value: 'bar' },
      { name: 'config', value: 'ifconfig-push 10.8.0.5 255.255.255.0\npush "route 10.0.0.0 255.0.0.0"\n' },
      { name: 'config', value: 'push "echo second config node is ignored"\n' },
    ]);
    assert.equal(r.config, 'ifconfig-push 10.8.0.5 255.255.255.0\npush "route 10.0.0.0 255.0.0.0"\n');
    // OpenVPN passes no return-list slot to other hooks
    const defer = returned(await host.call('CLIENT_CONNECT_DEFER_V2', {}));
    assert.equal(defer.calls[0]!.returnList, null);
  });
});

test('bad-return: code 7 is named "7" and makes the chain ERROR; NULL name/value nodes decode as null', async () => {
  await withHost(fixture('bad-return'), [], async (host) => {
    const r = returned(await host.call('CLIENT_CONNECT_V2', {}));
    assert.equal(r.calls[0]!.returnCode, 7);
    assert.equal(r.calls[0]!.returnName, '7');
    assert.equal(r.returnCode, 1);
    assert.equal(r.returnName, 'ERROR');
    assert.deepEqual(r.calls[0]!.returnList, [
      { name: null, value: 'value of a nameless node' },
      { name: 'nullvalue', value: null },
      { name: 'config', value: 'push "echo ok"\n' },
    ]);
    assert.equal(r.config, 'push "echo ok"\n');
    const again = returned(await host.call('AUTH_USER_PASS_VERIFY', { env: AUTH_ENV('a', 'b') }));
    assert.equal(again.calls[0]!.returnName, '7');
  });
});

// ---- logs from threads and forked children ---------------------------------------------------------------------

/** Direct children of PID, from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (text) out.push(...text.split(/\s+/).map(Number));
  }
  return out;
}

test('log-threads: every thread and forked-child line, exit() in the child is safe, levels, PLOG_ERRNO', async () => {
  await withHost(fixture('log-threads'), ['7'], async (host) => {
    const workerPid = host.workerPid!;
    const r = returned(await host.call('CLIENT_CONNECT_V2', {}));
    assert.equal(r.returnName, 'SUCCESS');
    const logs = r.logs;
    for (let i = 1; i <= 7; i++) {
      const t = findLog(logs, new RegExp(`^thread line ${i}$`));
      assert.equal(t.pid, workerPid, 'thread lines come from the worker');
      assert.equal(t.level, 'note');
      const c = findLog(logs, new RegExp(`^child line ${i}$`));
      assert.notEqual(c.pid, workerPid, 'child lines come from the forked child');
      assert.equal(c.level, 'warn');
    }
    assert.equal(findLog(logs, /^child vlog/).message, 'child vlog via va_list 42');
    assert.equal(findLog(logs, /^child base64/).message, "child base64 'Y2hpbGQ=' (8) -> 'child' (5), memzero ok");
    assert.equal(findLog(logs, /^child exited/).message, 'child exited status=0', 'exit() in a forked child must exit cleanly with its status');
    const level = (m: string): PluginLogEntry => findLog(logs, new RegExp(`^${m}$`));
    assert.equal(level('level err').level, 'error');
    assert.equal(level('level warn').level, 'warn');
    assert.equal(level('level note').level, 'note');
    assert.equal(level('level debug').level, 'debug');
    assert.equal(level('level none').level, 'info');
    assert.equal(level('level none').flags, 0);
    const errno = findLog(logs, /^with errno/);
    assert.equal(errno.message, 'with errno: No such file or directory (errno=2)');
    assert.equal(errno.level, 'error');
    assert.equal(errno.flags, 1 | 256);
  });
});

test('log-threads: the unwaited child forked in TLS_FINAL is logged and reaped (no zombie remains)', async () => {
  await withHost(fixture('log-threads'), ['3'], async (host) => {
    const workerPid = host.workerPid!;
    const r = returned(await host.call('TLS_FINAL', {}));
    const forked = Number(/pid=(\d+)/.exec(findLog(r.logs, /^forked unwaited child pid=/).message)![1]);
    assert.ok(forked > 0);
    await sleep(1500);
    const lines = messages(host.logs);
    for (let i = 1; i <= 3; i++) assert.ok(lines.includes(`orphan line ${i}`), `orphan line ${i} missing:\n${lines.join('\n')}`);
    const kids = childrenOf(workerPid);
    assert.ok(!kids.includes(forked), `the plugin's child ${forked} is still a child of the worker (zombie not reaped): ${kids.join(' ')}`);
    // the worker is healthy afterwards
    assert.equal(returned(await host.call('TLS_FINAL', {})).returnName, 'SUCCESS');
  });
});

// ---- crashes and hangs -----------------------------------------------------------------------------------------

test('crash: a SIGSEGV in a hook is reported as crashed during that hook', async () => {
  const host = await open(fixture('fault-signal'), ['where=hook', 'how=crash', 'auth=1', 'tls=1']);
  const r = await host.call('CLIENT_CONNECT_V2', {});
  assert.equal(r.outcome, 'crashed');
  if (r.outcome !== 'crashed') return;
  assert.equal(r.signal, 'SIGSEGV');
  assert.equal(r.during?.call, 'CLIENT_CONNECT_V2');
  assert.equal(r.during?.plugin, 0);
  assert.match(r.message, /SIGSEGV.*CLIENT_CONNECT_V2/);
  findLog(r.logs, /^about to crash in hook$/);
  assert.equal(await host.close(), undefined, 'closing a dead host is a no-op');
});

test('crash: a crash in open is reported as crashed during open', async () => {
  const r = await PluginHost.open({ plugins: [{ path: fixture('fault-signal'), args: ['where=open', 'how=crash'] }] });
  assert.ok(isFailure(r));
  assert.equal(r.outcome, 'crashed');
  if (r.outcome !== 'crashed') return;
  assert.equal(r.signal, 'SIGSEGV');
  assert.equal(r.during?.call, 'open');
  findLog(r.logs, /^about to crash in open$/);
});

test('crash: a crash in close is reported by close()', async () => {
  const host = await open(fixture('fault-signal'), ['where=close', 'how=crash', 'auth=1', 'tls=1']);
  assert.equal(returned(await host.call('CLIENT_CONNECT_V2', {})).returnName, 'SUCCESS');
  const r = await host.close();
  assert.ok(r, 'close() reported nothing');
  assert.equal(r.outcome, 'crashed');
  if (r.outcome !== 'crashed') return;
  assert.equal(r.signal, 'SIGSEGV');
  assert.equal(r.during?.call, 'close');
});

test('crash: abort() in a hook is reported as SIGABRT', async () => {
  const host = await open(fixture('fault-signal'), ['where=hook', 'how=abort', 'auth=1', 'tls=1']);
  const r = await host.call('AUTH_USER_PASS_VERIFY', { env: AUTH_ENV('a', 'b') });
  assert.equal(r.outcome, 'crashed');
  if (r.outcome !== 'crashed') return;
  assert.equal(r.signal, 'SIGABRT');
  assert.equal(r.during?.call, 'AUTH_USER_PASS_VERIFY');
});

test('hang: a hook that never returns is reported as hung within a few seconds (callTimeoutMs 500)', async () => {
  const host = await open(fixture('fault-hang'), ['where=hook', 'auth=1'], 500);
  const t0 = Date.now();
  const r = await host.call('CLIENT_CONNECT_V2', {});
  const elapsed = Date.now() - t0;
  assert.equal(r.outcome, 'hung');
  if (r.outcome !== 'hung') return;
  assert.equal(r.during?.call, 'CLIENT_CONNECT_V2');
  assert.equal(r.timeoutMs, 500);
  assert.ok(elapsed < 4000, `took ${elapsed} ms`);
  findLog(r.logs, /^hanging in hook$/);
  await host.close();
});

// ---- load and open failures ------------------------------------------------------------------------------------

for (const [mode, kind] of [
  ['error', 'open-failed'],
  ['null-handle', 'open-failed'],
  ['bad-mask', 'bad-mask'],
] as const) {
  test(`open-fails ${mode}: load-error ${kind}, and abort_v1 was called`, async () => {
    const f = loadError(await PluginHost.open({ plugins: [{ path: fixture('open-fails'), args: [mode] }] }));
    assert.equal(f.error.kind, kind);
    assert.match(f.error.message, /open-fails\.so/);
    const abort = findLog(f.logs, /^open-fails: abort handle=/);
    assert.equal(abort.source, 'stdout');
    assert.equal(abort.message, `open-fails: abort handle=${mode === 'bad-mask' ? 'set' : 'null'}`);
    assert.ok(!messages(f.logs).includes('open-fails: close'), 'close_v1 must not be called after a failed open');
  });
}

for (const [name, kind, re] of [
  ['no-close', 'missing-entry-point', /close_v1/],
  ['no-func', 'missing-entry-point', /func/],
  ['no-open', 'missing-entry-point', /open/],
  ['min-version', 'min-version', /interface version 4/],
] as const) {
  test(`${name}: load-error ${kind}`, async () => {
    const f = loadError(await PluginHost.open({ plugins: [{ path: fixture(name) }] }));
    assert.equal(f.error.kind, kind);
    assert.match(f.error.message, re);
    assert.ok(!f.logs.some((l) => /: open/.test(l.message)), 'open must not have been called');
  });
}

test('a missing file: load-error not-found', async () => {
  const f = loadError(await PluginHost.open({ plugins: [{ path: '/nonexistent/dir/plugin.so' }] }));
  assert.equal(f.error.kind, 'not-found');
  assert.match(f.error.message, /\/nonexistent\/dir\/plugin\.so/);
});

test('a non-ELF file: load-error not-shared-object', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ovph-test-'));
  try {
    const file = join(dir, 'text.so');
    writeFileSync(file, 'this is not a shared object\n'.repeat(10));
    const f = loadError(await PluginHost.open({ plugins: [{ path: file }] }));
    assert.equal(f.error.kind, 'not-shared-object');
    assert.match(f.error.message, /text\.so/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [what, offset, value] of [
  ['a 32-bit ELF (EI_CLASS 1)', 4, 1],
  ['an aarch64 ELF (e_machine 183)', 18, 183],
] as const) {
  test(`${what}: load-error wrong-architecture`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ovph-test-'));
    try {
      const file = join(dir, 'foreign.so');
      copyFileSync(fixture('v1-only'), file);
      const bytes = readFileSync(file);
      bytes[offset] = value;
      writeFileSync(file, bytes);
      const f = loadError(await PluginHost.open({ plugins: [{ path: file }] }));
      assert.equal(f.error.kind, 'wrong-architecture');
      assert.match(f.error.message, /foreign\.so/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("the caller's process survived every crash, hang and failure above, and can still host a plugin", async () => {
  assert.ok(process.pid > 0);
  await withHost(fixture('v3-basic'), [], async (host) => {
    assert.equal(returned(await host.call('AUTH_USER_PASS_VERIFY', { env: AUTH_ENV('foo', 'bar') })).returnName, 'SUCCESS');
  });
});

test('a single plugin argument is split as OpenVPN splits it; two or more are passed as given', async () => {
  const argvOf = async (args: string[]) => {
    const host = await PluginHost.open({ plugins: [{ path: fixture('v3-basic'), args }] });
    if (isFailure(host)) throw new Error(JSON.stringify(host));
    await host.close();
    return { args: host.plugins[0]!.args, log: findLog(host.logs, /open: argc=/).message };
  };
  const one = await argvOf(["a 'b c' d"]);
  assert.deepEqual(one.args, ['a', 'b c', 'd']);
  assert.match(one.log, /argc=4 /);
  const two = await argvOf(['a b', 'c']);
  assert.deepEqual(two.args, ['a b', 'c']);
  assert.match(two.log, /argc=3 /);
});

test('bad library input is a clear error, not a late or silent failure (#13: numbers, unknown hooks, no options)', async () => {
  await assert.rejects(PluginHost.open(undefined as never), /openHost needs options with a plugins list/);
  await assert.rejects(
    PluginHost.open({ plugins: [], callTimeoutMs: 2 ** 31 }),
    /callTimeoutMs must be a number of milliseconds from 1 to 86400000, got 2147483648/,
  );
  await assert.rejects(PluginHost.open({ plugins: [], callTimeoutMs: -1 }), RangeError);
  const host = await PluginHost.open({ plugins: [{ path: fixture('v3-basic') }] });
  if (isFailure(host)) throw new Error(JSON.stringify(host));
  try {
    await assert.rejects(host.call('BOGUS' as never), /unknown hook BOGUS; one of UP, DOWN/);
    await assert.rejects(host.client().connect({ timeoutMs: -5 }), /timeoutMs must be a number of milliseconds from 1 to 2147483647, got -5/);
    await assert.rejects(host.clientConnect({ pollIntervalMs: Number.NaN }), /pollIntervalMs must be/);
  } finally {
    await host.close();
  }
});
