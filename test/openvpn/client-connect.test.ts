// The client-connect state machine against a scripted fake I/O: OpenVPN 2.6's rules, without plugins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOOKS } from '../../src/openvpn/constants.js';
import { ClientConnectRun, envSet, type ChainOutcome, type ClientConnectIO, type FileByte } from '../../src/openvpn/client-connect.js';

interface FakeOptions {
  defined: number[];
  /** Per hook type, the successive chain results; the last one repeats. */
  results: Partial<Record<number, Array<{ status: number; config?: string; byte?: string | null }>>>;
  script?: { exitCode: number; byte?: string };
}

function fake(o: FakeOptions) {
  const files = new Map<string, string>();
  const calls: Array<{ type: number; argv: string[]; env: string[] }> = [];
  let n = 0;
  const counters = new Map<number, number>();
  const io: ClientConnectIO = {
    defines: (t) => o.defined.includes(t),
    callChain: (type, argv, env): ChainOutcome => {
      calls.push({ type, argv, env });
      if (!o.defined.includes(type)) return { status: 0, undefinedHook: true, calls: [] };
      const list = o.results[type] ?? [{ status: 0 }];
      const k = counters.get(type) ?? 0;
      counters.set(type, k + 1);
      const r = list[Math.min(k, list.length - 1)];
      const ccr = env.find((e) => e.startsWith('client_connect_deferred_file='))?.split('=')[1];
      if (ccr && r.byte !== undefined && r.byte !== null) files.set(ccr, r.byte);
      if (ccr && r.byte === null) files.delete(ccr);
      return { status: r.status, undefinedHook: false, calls: [{ plugin: 'p.so', called: true, returnCode: r.status, config: r.config, ms: 0 }] };
    },
    runScript: (argv, env) => {
      const ccr = env.find((e) => e.startsWith('client_connect_deferred_file='))!.split('=')[1];
      if (o.script?.byte !== undefined) files.set(ccr, o.script.byte);
      files.set(argv[argv.length - 1], 'push "echo script"\n');
      return { exitCode: o.script?.exitCode ?? 0, signal: null };
    },
    createFile: (prefix) => {
      const p = `/tmp/openvpn_${prefix}_${n++}.tmp`;
      files.set(p, '');
      return p;
    },
    firstByte: (p): FileByte => {
      const c = files.get(p);
      return c === undefined ? { kind: 'missing' } : c === '' ? { kind: 'empty' } : { kind: 'byte', byte: c[0] };
    },
    readText: (p) => files.get(p),
    remove: (p) => void files.delete(p),
  };
  return { io, files, calls };
}

function run(o: FakeOptions) {
  const f = fake(o);
  const r = new ClientConnectRun(f.io, {
    env: ['common_name=alice'],
    script: o.script ? ['/bin/cc-script'] : undefined,
    now: () => 0,
  });
  return { run: r, ...f };
}

test('env_set semantics: a re-set variable moves to the front', () => {
  assert.deepEqual(envSet(['a=1', 'b=2'], 'b', '3'), ['b=3', 'a=1']);
});

test('v2: DEFERRED then DEFER_V2 polled until SUCCESS; config from the resolving round only', async () => {
  const { run: r, calls } = run({
    defined: [HOOKS.CLIENT_CONNECT_V2, HOOKS.CLIENT_CONNECT_DEFER_V2],
    results: {
      [HOOKS.CLIENT_CONNECT_V2]: [{ status: 2, config: 'push "echo discarded"\n' }],
      [HOOKS.CLIENT_CONNECT_DEFER_V2]: [{ status: 2 }, { status: 2 }, { status: 0, config: 'ifconfig-push 10.8.0.9 255.255.255.0\n' }],
    },
  });
  assert.equal((await r.advance()).state, 'deferred');
  assert.equal((await r.advance()).state, 'deferred');
  assert.equal((await r.advance()).state, 'deferred');
  const s = await r.advance();
  assert.equal(s.state, 'accepted');
  assert.deepEqual(s.state === 'accepted' && s.config, [{ source: 'p.so', text: 'ifconfig-push 10.8.0.9 255.255.255.0\n', kind: 'string' }]);
  assert.equal(r.polls, 3);
  assert.deepEqual(
    calls.map((c) => c.type),
    [9, 14, 14, 14],
  );
  assert.ok(!calls[0].env.some((e) => e.startsWith('client_connect_')), 'v2 sees no client_connect_* vars');
});

test("v2: DEFERRED without DEFER_V2 registered fails with OpenVPN's warning", async () => {
  const { run: r } = run({ defined: [HOOKS.CLIENT_CONNECT_V2], results: { [HOOKS.CLIENT_CONNECT_V2]: [{ status: 2 }] } });
  const s = await r.advance();
  assert.equal(s.state, 'rejected');
  assert.match(s.state === 'rejected' ? s.reason : '', /must also declare support for OPENVPN_PLUGIN_CLIENT_CONNECT_DEFER_V2/);
});

test('v2: a config with disable rejects the client', async () => {
  const { run: r } = run({ defined: [HOOKS.CLIENT_CONNECT_V2], results: { [HOOKS.CLIENT_CONNECT_V2]: [{ status: 0, config: 'disable\n' }] } });
  const s = await r.advance();
  assert.equal(s.state, 'rejected');
  assert.match(s.state === 'rejected' ? s.reason : '', /disable/);
});

// OpenVPN's table for plugin v1: (chain status x first byte of the ccr file) -> result.
const v1Table: Array<[number, string | undefined | null, string]> = [
  [1, '1', 'rejected'],
  [0, '0', 'rejected'],
  [0, 'x', 'rejected'],
  [0, '\n', 'rejected'],
  [0, undefined, 'accepted'], // empty file
  [0, null, 'accepted'], // missing file
  [0, '1', 'accepted'],
  [0, '2', 'deferred'],
  [2, undefined, 'deferred'],
  [2, '1', 'deferred'],
  [2, '2', 'deferred'],
  [2, '0', 'rejected'],
];
for (const [status, byte, expected] of v1Table) {
  test(`v1: status ${status} with deferred file ${JSON.stringify(byte)} -> ${expected}`, async () => {
    const { run: r, files } = run({ defined: [HOOKS.CLIENT_CONNECT], results: { [HOOKS.CLIENT_CONNECT]: [{ status, byte }] } });
    const s = await r.advance();
    assert.equal(s.state, expected);
    if (expected !== 'deferred') assert.equal(files.size, 0, 'files deleted once final');
    else assert.equal(files.size, byte === null ? 1 : 2, 'files kept while deferred');
  });
}

test('v1: late writer pitfall — DEFERRED, no CLIENT_CONNECT_DEFER, file still empty: succeeds at the next check', async () => {
  const { run: r, calls } = run({ defined: [HOOKS.CLIENT_CONNECT], results: { [HOOKS.CLIENT_CONNECT]: [{ status: 2 }] } });
  assert.equal((await r.advance()).state, 'deferred');
  assert.equal((await r.advance()).state, 'accepted');
  assert.deepEqual(
    calls.map((c) => c.type),
    [6, 13],
    'CLIENT_CONNECT_DEFER is asked for but nothing registered it',
  );
});

test('v1: CLIENT_CONNECT_DEFER that keeps returning DEFERRED never finishes, even with the file at 1', async () => {
  const { run: r } = run({
    defined: [HOOKS.CLIENT_CONNECT, HOOKS.CLIENT_CONNECT_DEFER],
    results: { [HOOKS.CLIENT_CONNECT]: [{ status: 2, byte: '2' }], [HOOKS.CLIENT_CONNECT_DEFER]: [{ status: 2, byte: '1' }] },
  });
  for (let i = 0; i < 5; i++) assert.equal((await r.advance()).state, 'deferred');
});

test('v1 passes the config file as argv[1] and exports both file names, newest first', async () => {
  const { run: r, calls } = run({ defined: [HOOKS.CLIENT_CONNECT], results: {} });
  await r.advance();
  const env = calls[0].env;
  assert.match(env[0], /^client_connect_deferred_file=\/tmp\/openvpn_ccr_/);
  assert.match(env[1], /^client_connect_config_file=\/tmp\/openvpn_cc_/);
  assert.equal(calls[0].argv[0], env[1].split('=')[1]);
});

test('chain order: v1, then v2, then script; v1 config first', async () => {
  const {
    run: r,
    calls,
    files,
  } = run({
    defined: [HOOKS.CLIENT_CONNECT, HOOKS.CLIENT_CONNECT_V2],
    results: { [HOOKS.CLIENT_CONNECT_V2]: [{ status: 0, config: 'push "echo v2"\n' }] },
    script: { exitCode: 0 },
  });
  // v1 writes its config file through the fake: emulate by pre-setting after the call
  const s = await r.advance();
  assert.equal(s.state, 'accepted');
  assert.deepEqual(
    calls.map((c) => c.type),
    [6, 9],
  );
  assert.deepEqual(s.state === 'accepted' && s.config.map((c) => c.source), ['p.so', 'script']);
  assert.equal(files.size, 0);
});

test('script: exit 0 with "2" defers; empty file stays deferred; "1" accepts; "0" rejects', async () => {
  const { run: r, files } = run({ defined: [], results: {}, script: { exitCode: 0, byte: '2' } });
  assert.equal((await r.advance()).state, 'deferred');
  const ccr = [...files.keys()].find((k) => k.includes('ccr'))!;
  files.set(ccr, '');
  assert.equal((await r.advance()).state, 'deferred', 'empty = still pending for scripts (unlike plugin v1)');
  files.set(ccr, '1');
  assert.equal((await r.advance()).state, 'accepted');
  assert.equal(files.size, 0);

  const second = run({ defined: [], results: {}, script: { exitCode: 0, byte: '2' } });
  await second.run.advance();
  second.files.set([...second.files.keys()].find((k) => k.includes('ccr'))!, '0');
  assert.equal((await second.run.advance()).state, 'rejected');
});

test('script: non-zero exit fails; script gets script_type=client-connect', async () => {
  const { run: r } = run({ defined: [], results: {}, script: { exitCode: 3 } });
  const s = await r.advance();
  assert.equal(s.state, 'rejected');
  assert.match(s.state === 'rejected' ? s.reason : '', /exit status 3/);
});

test('cleanup deletes the files of an unfinished run', async () => {
  const { run: r, files } = run({ defined: [HOOKS.CLIENT_CONNECT], results: { [HOOKS.CLIENT_CONNECT]: [{ status: 2, byte: '2' }] } });
  await r.advance();
  assert.equal(files.size, 2);
  r.cleanup();
  assert.equal(files.size, 0);
});

test('after a successful handler the ifconfig_pool_* vars are set again (newest first), ifconfig-push changes them', async () => {
  const f = fake({
    defined: [HOOKS.CLIENT_CONNECT, HOOKS.CLIENT_CONNECT_V2],
    results: { [HOOKS.CLIENT_CONNECT_V2]: [{ status: 0 }] },
  });
  const r = new ClientConnectRun(f.io, {
    env: ['ifconfig_pool_netmask=255.255.255.0', 'ifconfig_pool_remote_ip=10.29.41.2', 'time_unix=1', 'common_name=a'],
    now: () => 0,
  });
  // v1 writes an ifconfig-push into its config file
  const orig = f.io.callChain;
  f.io.callChain = (type, argv, env, c) => {
    if (type === HOOKS.CLIENT_CONNECT) f.files.set(argv[0], 'ifconfig-push 10.8.0.7 255.255.255.0\n');
    return orig(type, argv, env, c);
  };
  await r.advance();
  const v2env = f.calls.find((c) => c.type === HOOKS.CLIENT_CONNECT_V2)!.env;
  assert.deepEqual(v2env.slice(0, 3), ['ifconfig_pool_netmask=255.255.255.0', 'ifconfig_pool_remote_ip=10.8.0.7', 'time_unix=1']);
});

test("client-config-dir comes first: the CN's file (else DEFAULT), then the plugins; it sets the client-connect env again", async () => {
  const f = fake({ defined: [HOOKS.CLIENT_CONNECT_V2], results: { [HOOKS.CLIENT_CONNECT_V2]: [{ status: 0, config: 'push "echo v2"\n' }] } });
  f.files.set('/ccd/alice', 'ifconfig-push 10.29.41.33 255.255.255.0\n');
  f.files.set('/ccd/DEFAULT', 'push "echo default"\n');
  const env = [
    'time_unix=1',
    'time_ascii=x',
    'ifconfig_pool_netmask=255.255.255.0',
    'ifconfig_pool_remote_ip=10.29.41.2',
    'trusted_port=1',
    'trusted_ip=127.0.0.1',
    'common_name=alice',
  ];
  const r = new ClientConnectRun(f.io, { env, clientConfigDir: '/ccd', now: () => 0 });
  const s = await r.advance();
  assert.equal(s.state, 'accepted');
  assert.deepEqual(
    r.config.map((c) => c.source),
    ['ccd/alice', 'p.so'],
  );
  const v2env = f.calls.find((c) => c.type === HOOKS.CLIENT_CONNECT_V2)!.env;
  assert.deepEqual(v2env.slice(0, 7), [
    'time_unix=1',
    'time_ascii=x',
    'ifconfig_pool_netmask=255.255.255.0',
    'ifconfig_pool_remote_ip=10.29.41.33',
    'trusted_port=1',
    'trusted_ip=127.0.0.1',
    'common_name=alice',
  ]);

  const other = new ClientConnectRun(fake({ defined: [], results: {} }).io, { env: ['common_name=bob'], clientConfigDir: '/nothing', now: () => 0 });
  assert.equal((await other.advance()).state, 'accepted', 'no ccd file: nothing happens');
  const g = fake({ defined: [], results: {} });
  g.files.set('/ccd/DEFAULT', 'push "echo default"\n');
  const bob = new ClientConnectRun(g.io, { env: ['common_name=bob'], clientConfigDir: '/ccd', now: () => 0 });
  await bob.advance();
  assert.deepEqual(
    bob.config.map((c) => c.source),
    ['ccd/DEFAULT'],
  );
});

test('below script-security 2 the client-connect script is not run and its handler fails, as in OpenVPN', async () => {
  const f = fake({ defined: [], results: {}, script: { exitCode: 0 } });
  const r = new ClientConnectRun(f.io, { env: ['common_name=alice'], script: ['/bin/cc-script'], scriptsForbidden: true, now: () => 0 });
  const s = await r.advance();
  assert.equal(s.state, 'rejected');
  if (s.state === 'rejected') assert.match(s.reason, /not run: OpenVPN runs external programs only with '--script-security 2' or higher/);
  assert.equal(f.files.size, 0, 'no temp file made');
});
