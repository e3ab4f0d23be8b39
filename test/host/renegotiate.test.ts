// A connected client's renegotiation through the library (client.renegotiate()) against real fixture plugins: the hooks
// a 2.6.14 server calls, a deferred re-auth, a failed one that kills the tunnel, and auth-gen-token's session_state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHost, type HostOptions, type PluginHost, type RenegotiateResult } from '../../src/index.js';
import { fixture, messages } from '../helpers.js';

function hookNames(r: { hooks?: Array<{ hook: string }> }): string[] {
  return (r.hooks ?? []).map((h) => h.hook);
}

function renewed(r: RenegotiateResult) {
  if (r.outcome !== 'renewed') assert.fail(`expected renewed, got ${JSON.stringify(r, null, 1)}`);
  return r;
}

async function withHost<T>(opts: HostOptions, fn: (h: PluginHost) => Promise<T>): Promise<T> {
  const host = await openHost({ callTimeoutMs: 10_000, ...opts });
  try {
    return await fn(host);
  } finally {
    await host.close();
  }
}

/** A parity-ctx-recorder writing into a temp file, and its lines as { hook, values } (values: the tagged env vars). */
function ctxRecorder(tags: string) {
  const dir = mkdtempSync(join(tmpdir(), 'reneg-rec-'));
  const out = join(dir, 'rec.txt');
  return {
    plugin: { path: fixture('parity-ctx-recorder'), args: [`out=${out}`, `tag=${tags}`] },
    lines: () =>
      readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split('\t'))
        .map((f) => ({
          hook: f[0]!,
          values: Object.fromEntries(
            (f[5] ?? '')
              .split(';')
              .filter(Boolean)
              .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
          ),
        })),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

test('renegotiation: TLS_VERIFY per depth (X509_* cleared first), AUTH_USER_PASS_VERIFY, TLS_FINAL; no IPCHANGE, no client-connect; same context', async () => {
  await withHost(
    { plugins: [{ path: fixture('per-client') }, { path: fixture('recorder'), args: [`out=${join(tmpdir(), 'reneg-recorder.txt')}`] }] },
    async (host) => {
      const c = host.client({ username: 'alice', password: 'pw' });
      assert.equal((await c.connect()).outcome, 'connected');
      for (const n of [1, 2]) {
        const r = renewed(await c.renegotiate());
        assert.equal(r.renegotiation, n);
        assert.deepEqual(hookNames(r), ['TLS_VERIFY', 'TLS_VERIFY', 'AUTH_USER_PASS_VERIFY', 'TLS_FINAL']);
        assert.deepEqual(
          r.hooks.slice(0, 2).map((h) => h.argv[0]),
          ['1', '0'],
        );
        assert.ok(!r.hooks[0]!.envKeys.includes('X509_0_CN'), 'the X509_* vars of the last handshake are gone');
        assert.ok(r.hooks[0]!.envKeys.includes('ifconfig_pool_remote_ip'), 'the rest of the env is kept');
        assert.ok(r.hooks[2]!.envKeys.includes('password'));
        assert.ok(!r.hooks[3]!.envKeys.includes('password'));
        assert.equal(r.token, undefined);
      }
      const d = await c.disconnect();
      assert.equal(d.outcome, 'disconnected');
      // the same per-client context saw the connect's 5 calls (+ CLIENT_DISCONNECT... counted by per-client) and 2 x 4
      assert.ok(
        messages(d.logs).some((m) => /DESTRUCTOR destroy context #2 after 15 calls/.test(m)),
        messages(d.logs).join('\n'),
      );
    },
  );
});

test('renegotiation: a deferred re-auth is waited for again', async () => {
  await withHost({ plugins: [{ path: fixture('auth-defer'), args: ['delay_ms=100'] }] }, async (host) => {
    const c = host.client({ username: 'foo', password: 'bar' });
    assert.equal((await c.connect()).outcome, 'connected');
    const r = renewed(await c.renegotiate());
    assert.equal(r.auth.deferred, true);
    assert.equal(r.auth.controlByte, '1');
    assert.ok(r.auth.polls >= 1);
  });
});

test('renegotiation: a deferred re-auth that expires (hand-window) kills the tunnel: CLIENT_DISCONNECT and the delete run, disconnect calls nothing', async () => {
  await withHost({ plugins: [{ path: fixture('auth-defer'), args: ['delay_ms=1000'] }, { path: fixture('learn-address') }] }, async (host) => {
    const c = host.client({ username: 'foo', password: 'bar' });
    assert.equal((await c.connect()).outcome, 'connected');
    // the plugin decides after 1 s: past the renegotiation's 200 ms window
    const r = await c.renegotiate({ handWindowMs: 200 });
    assert.equal(r.outcome, 'rejected', JSON.stringify(r));
    if (r.outcome !== 'rejected') return;
    assert.equal(r.tunnelKilled, true);
    assert.equal(r.stage, 'auth');
    assert.equal(r.clientSees, 'AUTH_FAILED');
    assert.match(r.reason ?? '', /not decided within hand-window/);
    assert.deepEqual(hookNames(r), ['AUTH_USER_PASS_VERIFY', 'CLIENT_DISCONNECT', 'LEARN_ADDRESS']);
    assert.equal(r.hooks[2]!.argv[0], 'delete');
    const d = await c.disconnect();
    assert.equal(d.outcome, 'disconnected');
    if (d.outcome === 'disconnected') {
      assert.deepEqual(d.hooks, []);
      assert.match(d.endedBy ?? '', /renegotiation 1 failed/);
    }
  });
});

test('renegotiation: a re-auth ERROR kills the tunnel with the reason file, without TLS_FINAL (measured)', async () => {
  await withHost(
    {
      plugins: [
        { path: fixture('auth-nth'), args: ['fail=2'] },
        { path: fixture('recorder'), args: [`out=${join(tmpdir(), 'reneg-rec2.txt')}`] },
      ],
    },
    async (host) => {
      const c = host.client({ username: 'foo', password: 'bar' });
      assert.equal((await c.connect()).outcome, 'connected');
      const r = await c.renegotiate();
      assert.equal(r.outcome, 'rejected', JSON.stringify(r));
      if (r.outcome !== 'rejected') return;
      assert.equal(r.clientSees, 'AUTH_FAILED,re-auth 2 refused');
      assert.deepEqual(hookNames(r), ['TLS_VERIFY', 'TLS_VERIFY', 'AUTH_USER_PASS_VERIFY', 'CLIENT_DISCONNECT', 'LEARN_ADDRESS']);
      await assert.rejects(c.renegotiate(), /cannot renegotiate/);
    },
  );
});

test('renegotiation: a plugin that crashes at the re-auth: outcome crashed naming the call; the worker is gone', async () => {
  const host = await openHost({ plugins: [{ path: fixture('auth-nth'), args: ['fail=2', 'how=segv'] }], callTimeoutMs: 10_000 });
  try {
    const c = host.client({ username: 'foo', password: 'bar' });
    assert.equal((await c.connect()).outcome, 'connected');
    const r = await c.renegotiate();
    assert.equal(r.outcome, 'crashed', JSON.stringify(r));
    if (r.outcome === 'crashed') assert.equal(r.during?.call, 'AUTH_USER_PASS_VERIFY');
    assert.equal((await c.disconnect()).outcome, 'crashed');
    assert.equal(host.workerExited, true);
  } finally {
    await host.close();
  }
});

test('renegotiation of a client the server ended (a newcomer with its common name, no duplicate-cn): refused, saying why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reneg-dup-'));
  try {
    const conf = join(dir, 'server.conf');
    writeFileSync(conf, `plugin ${fixture('per-client')}\n`);
    await withHost({ plugins: [], config: conf }, async (host) => {
      const a = host.client({ username: 'a' });
      assert.equal((await a.connect()).outcome, 'connected');
      assert.equal((await host.client({ username: 'b' }).connect()).outcome, 'connected');
      const r = await a.renegotiate();
      assert.ok(r.outcome === 'load-error' && r.error.kind === 'bad-request', JSON.stringify(r));
      assert.match(r.error.message, /cannot renegotiate: client-2 connected with the same common name 'Test-Client'/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('renegotiation: only a connected client; not before connect', async () => {
  await withHost({ plugins: [{ path: fixture('per-client') }] }, async (host) => {
    const c = host.client({ username: 'foo', password: 'bar' });
    await assert.rejects(c.renegotiate(), /connect\(\) it first/);
  });
});

test('auth-gen-token: a valid token skips the plugins; session_state Authenticated from TLS_FINAL on, the same session_id', async () => {
  const rec = ctxRecorder('session_state,session_id');
  try {
    await withHost({ plugins: [rec.plugin], serverOptions: ['auth-gen-token'] }, async (host) => {
      const c = host.client({ username: 'foo', password: 'bar' });
      assert.equal((await c.connect()).outcome, 'connected');
      const r = renewed(await c.renegotiate());
      assert.deepEqual(hookNames(r), ['TLS_VERIFY', 'TLS_VERIFY', 'TLS_FINAL']);
      assert.deepEqual(r.token, { sessionState: 'Authenticated', pluginsSkipped: true });
    });
    const lines = rec.lines().filter((l) => ['AUTH_USER_PASS_VERIFY', 'TLS_FINAL'].includes(l.hook));
    assert.deepEqual(
      lines.map((l) => `${l.hook} ${l.values.session_state}`),
      ['AUTH_USER_PASS_VERIFY Initial', 'TLS_FINAL Initial', 'TLS_FINAL Authenticated'],
    );
    assert.equal(new Set(lines.map((l) => l.values.session_id)).size, 1);
  } finally {
    rec.remove();
  }
});

test('auth-gen-token external-auth: the plugins get the token as the password and session_state Authenticated', async () => {
  const rec = ctxRecorder('session_state,session_id,password');
  try {
    await withHost({ plugins: [rec.plugin], serverOptions: ['auth-gen-token 0 external-auth'] }, async (host) => {
      const c = host.client({ username: 'foo', password: 'bar' });
      assert.equal((await c.connect()).outcome, 'connected');
      const r = renewed(await c.renegotiate());
      assert.deepEqual(hookNames(r), ['TLS_VERIFY', 'TLS_VERIFY', 'AUTH_USER_PASS_VERIFY', 'TLS_FINAL']);
      assert.deepEqual(r.token, { sessionState: 'Authenticated', pluginsSkipped: false });
    });
    const auths = rec.lines().filter((l) => l.hook === 'AUTH_USER_PASS_VERIFY');
    assert.equal(auths.length, 2);
    assert.equal(auths[0]!.values.password, 'bar');
    assert.equal(auths[1]!.values.session_state, 'Authenticated');
    assert.ok(auths[1]!.values.password!.startsWith(`SESS_ID_AT_${auths[0]!.values.session_id}`), auths[1]!.values.password);
  } finally {
    rec.remove();
  }
});

test('auth-gen-token: an expired token (lifetime 1 s) is refused without a plugin call and kills the tunnel', async () => {
  await withHost({ plugins: [{ path: fixture('per-client') }], serverOptions: ['auth-gen-token 1'] }, async (host) => {
    const c = host.client({ username: 'foo', password: 'bar' });
    assert.equal((await c.connect()).outcome, 'connected');
    await new Promise((r) => setTimeout(r, 1100)); // the token's lifetime, not a timing assertion
    const r = await c.renegotiate();
    assert.equal(r.outcome, 'rejected', JSON.stringify(r));
    if (r.outcome !== 'rejected') return;
    assert.equal(r.clientSees, 'AUTH_FAILED,SESSION: token expired');
    assert.deepEqual(r.token, { sessionState: 'Expired', pluginsSkipped: true });
    assert.deepEqual(hookNames(r), ['TLS_VERIFY', 'TLS_VERIFY', 'CLIENT_DISCONNECT', 'LEARN_ADDRESS']);
  });
});
