// A client's whole life through the library (openHost, host.client, connect, disconnect) against real fixture plugins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostOpenError, openHost, type ConnectResult, type PluginHost } from '../../src/index.js';
import { fixture, messages } from '../helpers.js';

const SAMPLE_KEYS = '/usr/share/doc/openvpn/examples/sample-keys';

function connected(r: ConnectResult) {
  if (r.outcome !== 'connected') assert.fail(`expected connected, got ${JSON.stringify({ ...r, logs: r.logs.map((l) => l.message) }, null, 1)}`);
  return r;
}

function hookNames(r: { hooks?: Array<{ hook: string }> }): string[] {
  return (r.hooks ?? []).map((h) => h.hook);
}

async function withHost<T>(plugins: Array<{ path: string; args?: string[] }>, fn: (h: PluginHost) => Promise<T>, opts = {}): Promise<T> {
  const host = await openHost({ plugins, callTimeoutMs: 5000, ...opts });
  try {
    return await fn(host);
  } finally {
    await host.close();
  }
}

test('life: hooks in OpenVPN 2.6.14 order with the per-client context kept from constructor to destructor', async () => {
  await withHost([{ path: fixture('per-client') }], async (host) => {
    const c = host.client({ username: 'alice', password: 'pw' });
    const r = connected(await c.connect());
    assert.deepEqual(hookNames(r), ['TLS_VERIFY', 'TLS_VERIFY', 'AUTH_USER_PASS_VERIFY', 'TLS_FINAL', 'CLIENT_CONNECT_V2', 'LEARN_ADDRESS']);
    assert.deepEqual(
      r.hooks.slice(0, 2).map((h) => h.argv[0]),
      ['1', '0'],
      'deepest certificate first',
    );
    assert.ok(r.hooks.every((h) => h.context === 'client'));
    // The same context (#2: #1 is the generic one) saw every call: the v2 config pushes "context-2-calls-5".
    assert.equal(r.config, 'push "echo context-2-calls-5"\n');
    assert.deepEqual(
      r.options.map((o) => [o.name, ...o.args]),
      [['push', 'echo context-2-calls-5']],
    );
    const auth = r.hooks[2]!;
    assert.ok(auth.envKeys.includes('password') && auth.envKeys.includes('auth_control_file'));
    assert.ok(!r.hooks[3]!.envKeys.includes('password'), 'password only during AUTH_USER_PASS_VERIFY');
    const d = await c.disconnect();
    assert.equal(d.outcome, 'disconnected');
    assert.deepEqual(hookNames(d), ['CLIENT_DISCONNECT', 'LEARN_ADDRESS']);
    if (d.outcome === 'disconnected') {
      assert.deepEqual(d.hooks[1]!.argv, ['delete', r.address]);
      assert.deepEqual(d.hooks[1]!.envKeys, [], 'the route delete gets an empty env');
      assert.equal(d.hooks[1]!.context, 'server');
      assert.ok(d.hooks[0]!.envKeys.includes('bytes_received') && d.hooks[0]!.envKeys.includes('time_duration'));
      assert.ok(
        messages(d.logs).some((m) => /DESTRUCTOR destroy context #2 after 7 calls/.test(m)),
        messages(d.logs).join('\n'),
      );
    }
  });
});

test('life: deferred auth through auth_control_file written by a forked grandchild', async () => {
  await withHost([{ path: fixture('auth-defer'), args: ['delay_ms=150'] }], async (host) => {
    const ok = connected(await host.client({ username: 'foo', password: 'bar' }).connect());
    assert.equal(ok.auth.deferred, true);
    assert.equal(ok.auth.controlByte, '1');
    assert.ok(ok.auth.polls >= 1);
    const bad = await host.client({ username: 'foo', password: 'wrong' }).connect();
    assert.equal(bad.outcome, 'rejected');
    if (bad.outcome === 'rejected') {
      assert.equal(bad.stage, 'auth');
      assert.equal(bad.clientSees, 'AUTH_FAILED');
      assert.equal(bad.auth.controlByte, '0');
    }
  });
});

test('life: a failed deferred auth gives the auth_failed_reason_file text to the client', async () => {
  await withHost([{ path: fixture('auth-defer'), args: ['delay_ms=50', 'reason=go away now'] }], async (host) => {
    const r = await host.client({ username: 'foo', password: 'nope' }).connect();
    assert.equal(r.outcome, 'rejected');
    if (r.outcome === 'rejected') assert.equal(r.clientSees, 'AUTH_FAILED,go away now');
  });
});

test('life: auth_pending_file is read right after DEFERRED; its method must be in IV_SSO', async () => {
  await withHost([{ path: fixture('auth-defer'), args: ['delay_ms=50', 'pending=1'] }], async (host) => {
    const r = connected(await host.client({ username: 'foo', password: 'bar', peerInfo: { IV_SSO: 'openurl,webauth' } }).connect());
    assert.deepEqual(r.auth.pending, {
      timeout: 60,
      method: 'webauth',
      extra: 'OPEN_URL:https://example.invalid/login',
      clientSees: ['AUTH_PENDING,timeout 60', 'INFO_PRE,OPEN_URL:https://example.invalid/login'],
    });
    const refused = await host.client({ username: 'foo', password: 'bar' }).connect();
    assert.equal(refused.outcome, 'rejected');
    if (refused.outcome === 'rejected')
      assert.equal(refused.clientSees, "AUTH_FAILED,Authentication failed, required pending auth method 'webauth' not supported");
  });
});

test('life: an auth_pending_file timeout outlives hand-window, up to max(hand-window, reneg-sec / 2)', async () => {
  await withHost([{ path: fixture('auth-defer'), args: ['delay_ms=600', 'pending=1'] }], async (host) => {
    const sso = { username: 'foo', password: 'bar', peerInfo: { IV_SSO: 'webauth' } };
    const r = await host.client(sso).connect({ handWindowMs: 200 });
    assert.equal(r.outcome, 'connected', JSON.stringify(r).slice(0, 400));
    const capped = await host.client(sso).connect({ handWindowMs: 200, authPendingCapMs: 300 });
    assert.equal(capped.outcome, 'rejected');
    if (capped.outcome === 'rejected') assert.match(capped.reason ?? '', /auth_pending_file timeout/);
  });
});

test('life: a synchronous auth failure with a reason; TLS_FINAL is not called for a failed key', async () => {
  await withHost([{ path: fixture('auth-reason') }, { path: fixture('per-client') }], async (host) => {
    const r = await host.client({ username: 'x', password: 'y' }).connect();
    assert.equal(r.outcome, 'rejected');
    if (r.outcome === 'rejected') {
      assert.equal(r.clientSees, 'AUTH_FAILED,bad credentials for x');
      assert.ok(!hookNames(r).includes('TLS_FINAL'));
    }
  });
});

test('life: a blank username is refused before any plugin is called, unless auth-user-pass-optional (§5.1)', async () => {
  const plugins = [{ path: fixture('auth-reason') }, { path: fixture('per-client') }];
  await withHost(plugins, async (host) => {
    const r = await host.client({ username: '', password: 'y' }).connect();
    assert.equal(r.outcome, 'rejected');
    if (r.outcome !== 'rejected') return;
    assert.equal(r.stage, 'auth');
    assert.equal(r.clientSees, 'AUTH_FAILED');
    assert.match(r.reason ?? '', /blank username/);
    assert.equal(r.auth.called, false);
    assert.ok(!hookNames(r).includes('AUTH_USER_PASS_VERIFY') && !hookNames(r).includes('TLS_FINAL'), hookNames(r).join(' '));
  });
  await withHost(
    plugins,
    async (host) => {
      const r = await host.client({ username: '', password: 'y' }).connect();
      assert.ok('hooks' in r, r.outcome);
      assert.ok(hookNames(r).includes('AUTH_USER_PASS_VERIFY'), 'with the option the plugins check empty strings');
    },
    { serverOptions: ['auth-user-pass-optional'] },
  );
});

test('life: a deferred auth still undecided at the hand-window is rejected at auth with AUTH_FAILED, as OpenVPN does', async () => {
  await withHost([{ path: fixture('auth-defer'), args: ['delay_ms=5000'] }], async (host) => {
    const r = await host.client({ username: 'foo', password: 'bar' }).connect({ handWindowMs: 300 });
    assert.equal(r.outcome, 'rejected');
    if (r.outcome === 'rejected') {
      assert.equal(r.stage, 'auth');
      assert.equal(r.clientSees, 'AUTH_FAILED');
      assert.match(r.reason ?? '', /^deferred auth not decided within hand-window/);
    }
  });
});

test('life: chain rules: ERROR beats DEFERRED, a second deferring auth plugin is fatal', async () => {
  await withHost([{ path: fixture('auth-defer'), args: ['delay_ms=50'] }, { path: fixture('auth-reason') }], async (host) => {
    const r = await host.client({ username: 'foo', password: 'bar2' }).connect();
    assert.equal(r.outcome, 'rejected');
    if (r.outcome === 'rejected')
      assert.deepEqual(
        r.hooks[0]!.calls.map((c) => c.returnName),
        ['DEFERRED', 'ERROR'],
      );
  });
  await withHost(
    [
      { path: fixture('auth-defer'), args: ['delay_ms=50'] },
      { path: fixture('auth-defer'), args: ['delay_ms=50'] },
    ],
    async (host) => {
      const r = await host.client({ username: 'foo', password: 'bar' }).connect();
      assert.equal(r.outcome, 'fatal');
      if (r.outcome === 'fatal') assert.match(r.reason, /multiple authentication plug-ins/);
    },
  );
});

test('life: learn-address keeps per-address state; a refused address is reported', async () => {
  await withHost([{ path: fixture('learn-address'), args: ['reject=10.29.41.2'] }], async (host) => {
    const a = connected(await host.client({ name: 'a' }).connect());
    const b = connected(await host.client({ name: 'b' }).connect());
    assert.equal(a.address, '10.29.41.2');
    assert.equal(a.addressLearned, false);
    assert.match(a.warnings.join('\n'), /LEARN_ADDRESS for 10\.29\.41\.2 failed/);
    assert.equal(b.address, '10.29.41.3');
    assert.equal(b.addressLearned, true);
    assert.ok(messages(b.logs).some((m) => /learn add 10\.29\.41\.3 Test-Client \(table size 1\)/.test(m)));
  });
});

test('life: a VPN address another client has is learned with update; only its last owner deletes it', async () => {
  await withHost([{ path: fixture('learn-address') }], async (host) => {
    const learnOps = (hooks: Array<{ hook: string; argv: string[] }>) =>
      hooks.filter((h) => h.hook === 'LEARN_ADDRESS').map((h) => h.argv.slice(0, 2).join(' '));
    const [a, b] = [host.client({ name: 'a', poolIp: '10.29.41.9' }), host.client({ name: 'b', poolIp: '10.29.41.9' })];
    assert.deepEqual(learnOps(connected(await a.connect()).hooks), ['add 10.29.41.9']);
    assert.deepEqual(learnOps(connected(await b.connect()).hooks), ['update 10.29.41.9']);
    const endA = await a.disconnect();
    const endB = await b.disconnect();
    assert.ok(endA.outcome === 'disconnected' && endB.outcome === 'disconnected');
    assert.deepEqual(learnOps(endA.hooks), [], 'the route went to b: a deletes nothing');
    assert.deepEqual(learnOps(endB.hooks), ['delete 10.29.41.9']);
  });
});

test("life: current_cert is a real X509* (CN read with OpenSSL), from the bundled chain or the user's", async () => {
  await withHost([{ path: fixture('cert-cn') }], async (host) => {
    const def = connected(await host.client().connect());
    assert.equal(def.config, 'push "echo cert-cn Test-Client"\n');
    if (existsSync(SAMPLE_KEYS)) {
      const pem = readFileSync(join(SAMPLE_KEYS, 'server.crt'), 'utf8') + readFileSync(join(SAMPLE_KEYS, 'ca.crt'), 'utf8');
      const other = connected(await host.client({ cert: pem }).connect());
      assert.equal(other.config, 'push "echo cert-cn Test-Server"\n');
    }
  });
});

test("life: clients interleave; one client's deferral does not hold up another; a blocking hook is reported", async () => {
  await withHost([{ path: fixture('auth-defer'), args: ['delay_ms=50'] }, { path: fixture('per-client') }], async (host) => {
    const order: string[] = [];
    const slow = host.client({ name: 'slow', username: 'foo', password: 'bar', env: { AUTH_DELAY_MS: '1500' } });
    const fast = host.client({ name: 'fast', username: 'foo', password: 'bar', env: { AUTH_DELAY_MS: '10' } });
    const [s, f] = await Promise.all([
      slow.connect().then((r) => {
        order.push('slow');
        return r;
      }),
      fast.connect().then((r) => {
        order.push('fast');
        return r;
      }),
    ]);
    assert.deepEqual(order, ['fast', 'slow']);
    connected(s);
    connected(f);
    // Each client has its own context: #2 and #3 (both after 5 calls).
    assert.notEqual(connected(s).config, connected(f).config);
    const blocker = connected(await host.client({ username: 'foo', password: 'bar', env: { AUTH_BLOCK_MS: '150', AUTH_DELAY_MS: '1' } }).connect());
    assert.equal(blocker.blockingCalls[0]?.hook, 'AUTH_USER_PASS_VERIFY');
    assert.ok(blocker.blockingCalls[0]!.ms >= 150);
  });
});

test('life: the deferred client-connect stage runs inside the life (v2 config, v1 file)', async () => {
  await withHost(
    [
      { path: fixture('cc-v2-defer'), args: ['polls=2'] },
      { path: fixture('cc-v1-file'), args: ['delay_ms=50'] },
    ],
    async (host) => {
      const r = connected(await host.client().connect());
      assert.equal(r.clientConnect.deferred, true);
      assert.ok(hookNames(r).includes('CLIENT_CONNECT') && hookNames(r).includes('CLIENT_CONNECT_DEFER_V2'));
      const cc = r.hooks.find((h) => h.hook === 'CLIENT_CONNECT')!;
      assert.equal(cc.argv.length, 1, 'CLIENT_CONNECT gets the config file path');
      assert.deepEqual(cc.envKeys.slice(0, 2), ['client_connect_deferred_file', 'client_connect_config_file']);
      assert.ok(r.options.some((o) => o.name === 'push'));
    },
  );
});

test('life: open failure throws HostOpenError with a one-line message; temp dirs are gone after close', async () => {
  await assert.rejects(
    openHost({ plugins: [{ path: '/nonexistent/x.so' }] }),
    (e: unknown) => e instanceof HostOpenError && /no such file/.test(e.message) && !e.message.includes('\n'),
  );
  const before = readdirSync(tmpdir()).filter((n) => n.startsWith('ovpn-plugin-host-')).length;
  const host = await openHost({ plugins: [{ path: fixture('auth-defer'), args: ['delay_ms=5000'] }] });
  const pending = host.client({ username: 'foo', password: 'bar' }).connect({ handWindowMs: 60_000 });
  await new Promise((r) => setTimeout(r, 200));
  await host.kill();
  const r = await pending;
  assert.equal(r.outcome, 'crashed');
  assert.equal(readdirSync(tmpdir()).filter((n) => n.startsWith('ovpn-plugin-host-')).length, before);
});

test('life: IPCHANGE gets the server context over UDP and the client context with proto tcp-server', async () => {
  const out = join(tmpdir(), `rec-${process.pid}-${Date.now()}`);
  for (const [proto, context] of [
    ['udp', 'server'],
    ['tcp-server', 'client'],
  ] as const) {
    await withHost(
      [{ path: fixture('recorder'), args: [`out=${out}`] }],
      async (host) => {
        const r = connected(await host.client({ username: 'u', password: 'p' }).connect());
        const ip = r.hooks.find((h) => h.hook === 'IPCHANGE')!;
        assert.equal(ip.context, context);
        assert.match(ip.argv[0]!, /^\[AF_INET\]127\.0\.0\.1 \d+$/);
        assert.ok(ip.envKeys.includes('proto_1'));
      },
      { server: { proto } },
    );
  }
  rmSync(out, { force: true });
});

test("life: each client's logs are its own, also lines from the helpers its calls forked", async () => {
  await withHost([{ path: fixture('auth-defer'), args: ['delay_ms=100'] }], async (host) => {
    const a = host.client({ name: 'a', username: 'foo', password: 'bar' });
    const m = host.client({ name: 'm', username: 'mallory', password: 'x', env: { AUTH_DELAY_MS: '60' } });
    const [ra, rm] = await Promise.all([a.connect(), m.connect()]);
    assert.equal(ra.outcome, 'connected');
    assert.equal(rm.outcome, 'rejected');
    const la = messages(ra.logs).join('\n');
    const lm = messages(rm.logs).join('\n');
    assert.match(la, /user=foo deferring/);
    assert.doesNotMatch(la, /mallory/, la);
    assert.match(lm, /user=mallory deferring/);
    assert.doesNotMatch(lm, /user=foo/, lm);
    // The grandchild that decided mallory's auth logged as mallory's (its pid is not the worker's).
    const decided = rm.logs.find((l) => /auth result FAIL for mallory/.test(l.message));
    if (decided) assert.equal(decided.client, m.id);
    assert.ok(host.logs.some((l) => l.client === a.id) && host.logs.some((l) => l.client === m.id));
  });
});

test('life: after a fatal error the host emulates OpenVPN exiting: abort_v1, no destructor or close, no more clients', async () => {
  await withHost(
    [
      { path: fixture('auth-defer'), args: ['delay_ms=50'] },
      { path: fixture('auth-defer'), args: ['delay_ms=50'] },
      { path: fixture('cc-v2-defer'), args: ['polls=1'] },
    ],
    async (host) => {
      const c = host.client({ username: 'foo', password: 'bar' });
      const r = await c.connect();
      assert.equal(r.outcome, 'fatal');
      if (r.outcome === 'fatal') assert.match(r.reason, /abort_v1 on each plugin, no destructor, no close, and no more clients/);
      const d = await c.disconnect();
      assert.equal(d.outcome, 'disconnected');
      if (d.outcome === 'disconnected') assert.deepEqual(d.hooks, [], 'the server is gone: no CLIENT_DISCONNECT');
      const next = await host.client({ username: 'foo', password: 'bar' }).connect();
      assert.equal(next.outcome, 'load-error');
      if (next.outcome === 'load-error') assert.match(next.error.message, /OpenVPN exited .*serves no more clients/);
      assert.equal(await host.close(), undefined);
      const lines = messages(host.logs);
      assert.ok(!lines.some((m) => /DESTRUCTOR|CLOSE/.test(m)), lines.join('\n'));
    },
  );
});

test('close() or kill() during a deferral, and calls after close, say so (not a plugin crash) (#13)', async () => {
  for (const how of ['close', 'kill'] as const) {
    const host = await openHost({ plugins: [{ path: fixture('cc-never'), args: ['mode=v2'] }] });
    const pending = host.client().connect();
    await new Promise((r) => setTimeout(r, 300));
    if (how === 'close') await host.close();
    else await host.kill();
    const r = await pending;
    assert.equal(r.outcome, 'crashed');
    if (r.outcome === 'crashed') assert.equal(r.message, `the host was ${how === 'close' ? 'closed' : 'killed'} while this was in progress`);
    const after = await host.client().connect();
    assert.equal(after.outcome, 'crashed');
    if (after.outcome === 'crashed') assert.match(after.message, /^the host is (closed|killed): open a new one$/);
    assert.equal(await host.close(), undefined, 'closing again is a no-op');
  }
});

test('close() with a client still connected: its CLIENT_DISCONNECT, destructor and LEARN_ADDRESS delete run, as at a shutdown', async () => {
  const host = await openHost({ plugins: [{ path: fixture('learn-address') }] });
  assert.equal((await host.client().connect()).outcome, 'connected');
  assert.equal(await host.close(), undefined);
  const lines = messages(host.logs);
  assert.ok(
    lines.some((m) => /CLIENT_DISCONNECT disconnect Test-Client/.test(m)),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((m) => /learn delete /.test(m)),
    lines.join('\n'),
  );
});

test('connect() after disconnect() rejects with one line: the client has ended (not a load-error)', async () => {
  await withHost([{ path: fixture('v3-basic') }], async (host) => {
    const c = host.client({ username: 'foo', password: 'bar' });
    assert.equal((await c.disconnect()).outcome, 'disconnected');
    await assert.rejects(c.connect(), {
      message: 'client-1 has ended (disconnect() came before connect()): a Client connects once; make a new one with host.client()',
    });
    // a client that connected first keeps its one connect result
    const d = host.client({ username: 'foo', password: 'bar' });
    const first = connected(await d.connect());
    await d.disconnect();
    assert.equal(await d.connect(), first);
  });
});
