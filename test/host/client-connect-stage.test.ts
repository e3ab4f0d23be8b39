// The client-connect stage on real fixture plugins: every deferral path, as OpenVPN 2.6.14 resolves it; CLI exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { PluginHost, isFailure } from '../../src/host/host.js';
import type { ClientConnectDone, ClientConnectOptions } from '../../src/host/client-connect-stage.js';
import type { PluginSpec } from '../../src/protocol/messages.js';

const fx = (name: string) => `build/fixtures/${name}.so`;
const run = promisify(execFile);

function ourTempDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('ovpn-plugin-host-'));
}

/** The temp dirs made since BEFORE that are still there (a dir of an earlier test removed meanwhile is not this
 * test's business); allows a moment for a dying process's exit handler. */
async function leftSince(before: readonly string[]): Promise<string[]> {
  for (let i = 0; ; i++) {
    const left = ourTempDirs().filter((d) => !before.includes(d));
    if (left.length === 0 || i >= 20) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function connect(plugins: PluginSpec[], opts: ClientConnectOptions = {}): Promise<ClientConnectDone> {
  const host = await PluginHost.open({ plugins, callTimeoutMs: 5000 });
  if (isFailure(host)) throw new Error(`open failed: ${JSON.stringify(host)}`);
  try {
    const r = await host.clientConnect(opts);
    if (isFailure(r)) throw new Error(`client-connect failed: ${JSON.stringify(r)}`);
    return r;
  } finally {
    await host.close();
  }
}

const messages = (r: ClientConnectDone) => r.logs.map((l) => l.message);

test('v2: deferring 3 polls then SUCCESS: config from DEFER_V2, the deferring round discarded', async () => {
  const r = await connect([{ path: fx('cc-v2-defer'), args: ['polls=3'] }]);
  assert.equal(r.outcome, 'accepted');
  assert.equal(r.deferred, true);
  assert.equal(r.polls, 3);
  assert.equal(r.config, 'ifconfig-push 10.8.0.9 255.255.255.0\npush "route 10.9.0.0 255.255.0.0"\n');
  assert.ok(!r.config.includes('from-deferring-round'));
  assert.deepEqual(
    r.options.map((o) => [o.name, ...o.args]),
    [
      ['ifconfig-push', '10.8.0.9', '255.255.255.0'],
      ['push', 'route 10.9.0.0 255.255.0.0'],
    ],
  );
  assert.deepEqual(
    r.steps.map((s) => s.hook),
    ['CLIENT_CONNECT_V2', 'CLIENT_CONNECT_DEFER_V2', 'CLIENT_CONNECT_DEFER_V2', 'CLIENT_CONNECT_DEFER_V2'],
  );
  assert.ok(
    messages(r).some((m) => m.includes('DESTRUCTOR')),
    'per-client context destroyed at the end',
  );
});

test('v2: deferring then ERROR rejects, and CLIENT_DISCONNECT-less plugins are not called', async () => {
  const r = await connect([{ path: fx('cc-v2-defer'), args: ['polls=2', 'result=fail'] }]);
  assert.equal(r.outcome, 'rejected');
  assert.match(r.reason ?? '', /client-connect-v2 plugin call failed/);
});

test("v2: DEFERRED without DEFER_V2 registered fails with OpenVPN's warning", async () => {
  const r = await connect([{ path: fx('cc-v2-noreg') }]);
  assert.equal(r.outcome, 'rejected');
  assert.equal(r.deferred, false);
  assert.match(r.reason ?? '', /must also declare support for OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2/);
});

test('v2: disable in the config rejects the client', async () => {
  const r = await connect([{ path: fx('cc-v2-defer'), args: ['polls=1', 'result=disable'] }]);
  assert.equal(r.outcome, 'rejected');
  assert.match(r.reason ?? '', /disable/);
});

test('v1: a forked grandchild writes the config and "1" (exit() in the child is safe); temp files are gone', async () => {
  const before = ourTempDirs();
  const r = await connect([{ path: fx('cc-v1-file'), args: ['delay_ms=150'] }]);
  assert.equal(r.outcome, 'accepted');
  assert.equal(r.deferred, true);
  assert.equal(r.config, 'push "echo cc-v1-file"\nifconfig-push 10.8.0.7 255.255.255.0\n');
  assert.equal(r.steps[0].hook, 'CLIENT_CONNECT');
  assert.equal(r.steps[0].deferredFile, '"2"');
  assert.equal(r.steps.at(-1)!.deferredFile, '"1"');
  assert.ok(messages(r).includes("grandchild wrote '1'"), 'the grandchild logged through plugin_log');
  assert.deepEqual(await leftSince(before), []);
});

test('v1: "0" from the grandchild rejects; an unknown byte rejects', async () => {
  const zero = await connect([{ path: fx('cc-v1-file'), args: ['delay_ms=50', 'byte=0'] }]);
  assert.equal(zero.outcome, 'rejected');
  const x = await connect([{ path: fx('cc-v1-file'), args: ['delay_ms=50', 'byte=x'] }]);
  assert.equal(x.outcome, 'rejected');
  assert.match(x.reason ?? '', /Unknown\/unexpected value/);
});

test('v1: the file verdict and return code combine as in OpenVPN (sync plugin)', async () => {
  const cases: Array<[string[], string]> = [
    [['byte=none', 'return=success'], 'accepted'],
    [['byte=1', 'return=success'], 'accepted'],
    [['byte=0', 'return=success'], 'rejected'],
    [['byte=x', 'return=success'], 'rejected'],
    [['byte=1', 'return=error'], 'rejected'],
  ];
  for (const [args, expected] of cases) {
    const r = await connect([{ path: fx('cc-v1-sync'), args }]);
    assert.equal(r.outcome, expected, args.join(' '));
  }
  // DEFERRED with an empty file and no CLIENT_CONNECT_DEFER: OpenVPN takes it as success at the next check.
  const late = await connect([{ path: fx('cc-v1-sync'), args: ['byte=none', 'return=deferred'] }]);
  assert.equal(late.outcome, 'accepted');
  assert.equal(late.polls, 1);
});

test('v1: CLIENT_CONNECT_DEFER is called when the plugin registers it', async () => {
  const r = await connect([{ path: fx('cc-v1-defer-hook'), args: ['polls=2'] }]);
  assert.equal(r.outcome, 'accepted');
  assert.deepEqual(
    r.steps.map((s) => s.hook),
    ['CLIENT_CONNECT', 'CLIENT_CONNECT_DEFER', 'CLIENT_CONNECT_DEFER'],
  );
  assert.equal(r.config, 'push "echo cc-v1-defer-hook"\n');
});

test('script: defers with "2", resolved by a background process; the script sees script_type and the files', async () => {
  const r = await connect([{ path: fx('v3-basic') }], {
    script: ['native-fixtures/scripts/cc-defer.sh'],
    envOverrides: { CC_SCRIPT_DELAY: '0.2' },
  });
  assert.equal(r.outcome, 'accepted');
  assert.equal(r.deferred, true);
  assert.ok(r.config.endsWith('push "echo cc-script deferred"\n'));
  assert.deepEqual(r.steps.map((s) => s.handler).slice(0, 2), ['plugin-v2', 'script']);
});

test('script: non-zero exit rejects', async () => {
  const r = await connect([{ path: fx('v3-basic') }], { script: ['native-fixtures/scripts/cc-defer.sh'], envOverrides: { CC_SCRIPT_MODE: 'fail' } });
  assert.equal(r.outcome, 'rejected');
});

test('chain: the second plugin defers; config from both, in plugin order, from the resolving round', async () => {
  const r = await connect([{ path: fx('cc-chain-first') }, { path: fx('cc-v2-defer'), args: ['polls=2'] }]);
  assert.equal(r.outcome, 'accepted');
  assert.equal(r.config, 'push "echo chain-first"\nifconfig-push 10.8.0.9 255.255.255.0\npush "route 10.9.0.0 255.255.0.0"\n');
});

test('a deferral that never resolves times out, naming what is pending; files cleaned', async () => {
  const before = ourTempDirs();
  for (const mode of ['v2', 'v1']) {
    const r = await connect([{ path: fx('cc-never'), args: [`mode=${mode}`] }], { timeoutMs: 300 });
    assert.equal(r.outcome, 'timeout');
    assert.match(r.pending ?? '', mode === 'v2' ? /CLIENT_CONNECT_DEFER_V2/ : /client_connect_deferred_file/);
  }
  assert.deepEqual(await leftSince(before), []);
});

test('--timing openvpn re-checks about once per 1.1 s', async () => {
  const r = await connect([{ path: fx('cc-v2-defer'), args: ['polls=1'] }], { timing: 'openvpn' });
  assert.equal(r.outcome, 'accepted');
  assert.ok(r.elapsedMs >= 1000, `resolved after ${r.elapsedMs} ms`);
});

test('the env at CLIENT_CONNECT has the real 2.6.14 keys, the file names and the overrides', async () => {
  const r = await connect([{ path: fx('recorder'), args: [`out=${tmpdir()}/ovph-rec-${process.pid}.txt`] }], {
    commonName: 'bob',
    envOverrides: { EXTRA: 'x' },
  });
  assert.equal(r.outcome, 'accepted');
  const { readFileSync, rmSync } = await import('node:fs');
  const lines = readFileSync(`${tmpdir()}/ovph-rec-${process.pid}.txt`, 'utf8').trim().split('\n');
  rmSync(`${tmpdir()}/ovph-rec-${process.pid}.txt`);
  const cc = lines.find((l) => l.startsWith('CLIENT_CONNECT\t'))!.split('\t');
  const keys = cc[3].split(',');
  assert.deepEqual(keys.slice(0, 2), ['client_connect_deferred_file', 'client_connect_config_file']);
  for (const k of ['time_unix', 'time_ascii', 'ifconfig_pool_remote_ip', 'trusted_ip', 'common_name', 'IV_VER', 'X509_0_CN', 'daemon_pid', 'EXTRA']) {
    assert.ok(keys.includes(k), `CLIENT_CONNECT env has ${k}`);
  }
  const v2 = lines
    .find((l) => l.startsWith('CLIENT_CONNECT_V2\t'))!
    .split('\t')[3]
    .split(',');
  assert.ok(!v2.includes('client_connect_config_file'), 'v2 has no client_connect_* vars');
  assert.deepEqual(v2.slice(0, 2), ['ifconfig_pool_netmask', 'ifconfig_pool_remote_ip']);
});

test('CLI connect: exit codes 0 accepted, 1 rejected, 3 timeout, 4 crashed, 5 load error, 2 usage', async () => {
  const cli = async (...args: string[]) =>
    run('node', ['dist/cli.cjs', 'connect', ...args]).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
  assert.equal(await cli(fx('cc-v2-defer'), 'polls=1'), 0);
  assert.equal(await cli(fx('cc-v2-noreg')), 1);
  assert.equal(await cli(fx('cc-never'), '--timeout', '0.3'), 3);
  assert.equal(await cli(fx('fault-signal'), 'where=hook', 'how=crash', 'auth=1', 'tls=1'), 4);
  assert.equal(await cli(fx('open-fails')), 5);
  assert.equal(await cli(fx('v3-basic'), '--env', 'NOEQUALS'), 2);
  assert.equal(await cli(fx('v3-basic'), '--timing', 'slow'), 2);
});

test('CLI connect --json: the whole life, then the disconnect', async () => {
  const { stdout } = await run('node', [
    'dist/cli.cjs',
    'connect',
    fx('auth-defer'),
    'delay_ms=50',
    '--plugin',
    `${fx('cc-v2-defer')} polls=2`,
    '--username',
    'foo',
    '--password',
    'bar',
    '--json',
  ]);
  const r = JSON.parse(stdout);
  assert.equal(r.outcome, 'connected');
  assert.equal(r.auth.deferred, true);
  assert.equal(r.clientConnect.polls, 2);
  assert.deepEqual(
    r.hooks.map((h: { hook: string }) => h.hook),
    ['AUTH_USER_PASS_VERIFY', 'CLIENT_CONNECT_V2', 'CLIENT_CONNECT_DEFER_V2', 'CLIENT_CONNECT_DEFER_V2'],
  );
  assert.equal(r.disconnect.outcome, 'disconnected');
  assert.ok(r.logs.some((l: { message: string }) => /auth result PASS for foo/.test(l.message)));
});

test('CLI connect: a wrong password is rejected (exit 1) with what the client sees', async () => {
  const err = await run('node', ['dist/cli.cjs', 'connect', fx('auth-reason'), '--username', 'x', '--password', 'y']).then(
    () => undefined,
    (e) => e,
  );
  assert.equal(err?.code, 1);
  assert.match(err.stdout, /^REJECTED at auth .*the client sees AUTH_FAILED,bad credentials for x$/m);
});

test('CLI connect --stage client-connect --json: one object with outcome, config, options, steps, logs', async () => {
  const { stdout } = await run('node', ['dist/cli.cjs', 'connect', fx('cc-v2-defer'), 'polls=2', '--stage', 'client-connect', '--json']);
  const r = JSON.parse(stdout);
  assert.equal(r.outcome, 'accepted');
  assert.equal(r.deferred, true);
  assert.equal(r.polls, 2);
  assert.ok(Array.isArray(r.steps) && Array.isArray(r.logs) && Array.isArray(r.options));
  assert.equal(typeof r.elapsedMs, 'number');
});

test('CLI connect: SIGINT during a deferral ends the worker, cleans the temp dir, exits 130', async () => {
  const { spawn } = await import('node:child_process');
  const before = ourTempDirs();
  const child = spawn('node', ['dist/cli.cjs', 'connect', fx('cc-never'), 'mode=v1', '--timeout', '30'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1500));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 130);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await leftSince(before), []);
  assert.ok(existsSync('dist/cli.cjs'));
});
