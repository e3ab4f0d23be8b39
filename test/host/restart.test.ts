// Server restarts (host.restart SIGHUP/SIGUSR1) and clients that vanish while their connect waits on a deferral,
// against real fixture plugins; the recorder fixture writes down every entry point called, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openHost, type ConnectResult, type PluginHost } from '../../src/index.js';
import { fixture } from '../helpers.js';

/** A recorder chained last, writing to a fresh file; `calls()` reads what it recorded (hook names and tags). */
function recorder() {
  const dir = mkdtempSync(join(tmpdir(), 'restart-test-'));
  const out = join(dir, 'rec.txt');
  return {
    plugin: { path: fixture('recorder'), args: [`out=${out}`] },
    calls: (): string[] =>
      readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [hook, , argv] = l.split('\t');
          return hook === 'LEARN_ADDRESS' ? `LEARN_ADDRESS ${argv!.split(',')[0]}` : hook!;
        }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function withHost(plugins: Array<{ path: string; args?: string[] }>, fn: (h: PluginHost) => Promise<void>): Promise<void> {
  const host = await openHost({ plugins, callTimeoutMs: 10_000 });
  try {
    await fn(host);
  } finally {
    await host.close();
  }
}

/** Connect, and resolve `waiting` once the worker says the client waits on a deferral. */
function connectAndWait(c: ReturnType<PluginHost['client']>, timeoutMs = 60_000) {
  let waiting!: () => void;
  const isWaiting = new Promise<void>((r) => {
    waiting = r;
  });
  const done = c.connect({ timeoutMs, onProgress: () => waiting() });
  return { done, waiting: isWaiting };
}

function outcome(r: ConnectResult): string {
  return r.outcome;
}

/** The calls after the last line equal to MARK (e.g. after the first connect's LEARN_ADDRESS add). */
function after(calls: string[], mark: string): string[] {
  return calls.slice(calls.lastIndexOf(mark) + 1);
}

test('SIGHUP: the connected client gets CLIENT_DISCONNECT, destructor, LEARN_ADDRESS delete; then the plugins close and open again', async () => {
  const rec = recorder();
  try {
    await withHost([rec.plugin], async (host) => {
      const alice = host.client({ username: 'foo', password: 'bar' });
      assert.equal(outcome(await alice.connect()), 'connected');
      const r = await host.restart('SIGHUP');
      assert.equal(r.outcome, 'restarted', JSON.stringify(r));
      if (r.outcome !== 'restarted') return;
      assert.deepEqual(after(rec.calls(), 'LEARN_ADDRESS add'), [
        'CLIENT_DISCONNECT',
        'DESTRUCTOR',
        'LEARN_ADDRESS delete',
        'DESTRUCTOR',
        'CLOSE',
        'OPEN',
        'CONSTRUCTOR',
      ]);
      const p = rec.plugin.path;
      assert.deepEqual(r.calls, [`client_destructor_v1 ${p}`, `close_v1 ${p}`, `open_v3 ${p}`, `client_constructor_v1 ${p}`]);
      assert.deepEqual(
        r.dropped.map((d) => [d.client, d.hooks.map((h) => h.hook)]),
        [['client-1', ['CLIENT_DISCONNECT', 'LEARN_ADDRESS']]],
      );
      // the old Client is ended; disconnect() says by what, and runs nothing more
      const end = await alice.disconnect();
      assert.equal(end.outcome === 'disconnected' && end.endedBy, 'the server restarted (SIGHUP)');
      // the client reconnects as a new client instance, on the reopened plugin
      const again = host.client({ username: 'foo', password: 'bar' });
      assert.equal(outcome(await again.connect()), 'connected');
      const calls = rec.calls();
      assert.deepEqual(calls.slice(calls.lastIndexOf('OPEN') + 1, calls.lastIndexOf('OPEN') + 4), ['CONSTRUCTOR', 'CONSTRUCTOR', 'TLS_VERIFY']);
    });
    // at close, the reconnected client ends, then the reopened plugin closes
    assert.deepEqual(after(rec.calls(), 'LEARN_ADDRESS add'), ['CLIENT_DISCONNECT', 'DESTRUCTOR', 'LEARN_ADDRESS delete', 'DESTRUCTOR', 'CLOSE']);
  } finally {
    rec.remove();
  }
});

test('SIGUSR1: clients dropped as for SIGHUP, the plugins stay open, each generic constructor runs again (the old context leaks)', async () => {
  const rec = recorder();
  try {
    await withHost([rec.plugin], async (host) => {
      assert.equal(outcome(await host.client({ username: 'foo', password: 'bar' }).connect()), 'connected');
      const r = await host.restart('SIGUSR1');
      assert.equal(r.outcome, 'restarted', JSON.stringify(r));
      assert.deepEqual(after(rec.calls(), 'LEARN_ADDRESS add'), ['CLIENT_DISCONNECT', 'DESTRUCTOR', 'LEARN_ADDRESS delete', 'CONSTRUCTOR']);
      assert.equal(outcome(await host.client({ username: 'foo', password: 'bar' }).connect()), 'connected');
    });
    const calls = rec.calls();
    assert.equal(calls.filter((c) => c === 'OPEN').length, 1);
    // at close only the newest generic context is destroyed, as on the real server
    assert.deepEqual(after(calls, 'LEARN_ADDRESS add'), ['CLIENT_DISCONNECT', 'DESTRUCTOR', 'LEARN_ADDRESS delete', 'DESTRUCTOR', 'CLOSE']);
    assert.equal(calls.filter((c) => c === 'CONSTRUCTOR').length, 4, 'generic, client, generic again, client');
    assert.equal(calls.filter((c) => c === 'DESTRUCTOR').length, 3);
  } finally {
    rec.remove();
  }
});

test('a client that vanishes during its deferred auth: connect() says dropped, no CLIENT_DISCONNECT, destructor, nothing left', async () => {
  const rec = recorder();
  try {
    await withHost([{ path: fixture('auth-defer'), args: ['delay_ms=600000'] }, rec.plugin], async (host) => {
      const c = host.client({ username: 'foo', password: 'bar' });
      const { done, waiting } = connectAndWait(c);
      await waiting;
      const end = await c.disconnect();
      assert.equal(end.outcome, 'disconnected', JSON.stringify(end));
      if (end.outcome !== 'disconnected') return;
      assert.deepEqual(end.vanished, { stage: 'auth', leftBehind: [] });
      const r = await done;
      assert.equal(r.outcome, 'dropped', JSON.stringify(r));
      if (r.outcome !== 'dropped') return;
      assert.equal(r.by, 'client');
      assert.equal(r.stage, 'auth');
      assert.deepEqual(after(rec.calls(), 'IPCHANGE'), ['DESTRUCTOR']);
    });
  } finally {
    rec.remove();
  }
});

test('a client that vanishes during a deferred v1 client-connect: the cc and ccr files OpenVPN leaks are reported, and removed', async () => {
  const rec = recorder();
  try {
    await withHost([{ path: fixture('cc-never'), args: ['mode=v1'] }, rec.plugin], async (host) => {
      const c = host.client({ username: 'foo', password: 'bar' });
      const { done, waiting } = connectAndWait(c);
      await waiting;
      const end = await c.disconnect();
      assert.ok(end.outcome === 'disconnected' && end.vanished, JSON.stringify(end));
      const { stage, leftBehind } = end.vanished;
      assert.equal(stage, 'client-connect');
      assert.deepEqual(
        leftBehind.map((f) => /openvpn_(cc|ccr)_[0-9a-f]+\.tmp$/.exec(f)?.[1]),
        ['cc', 'ccr'],
      );
      for (const f of leftBehind) assert.equal(existsSync(f), false, `${f} removed by the host`);
      assert.deepEqual(readdirSync(dirname(leftBehind[0]!)), [], "nothing left in the host's temp dir");
      const r = await done;
      assert.ok(r.outcome === 'dropped' && r.stage === 'client-connect', JSON.stringify(r));
      assert.deepEqual(r.leftBehind, leftBehind);
      const calls = after(rec.calls(), 'IPCHANGE');
      assert.equal(calls.at(-1), 'DESTRUCTOR');
      assert.ok(!calls.includes('CLIENT_DISCONNECT'), calls.join(' '));
    });
  } finally {
    rec.remove();
  }
});

test('a client that vanishes during a deferred v2 client-connect: no CLIENT_DISCONNECT, no file left', async () => {
  const rec = recorder();
  try {
    await withHost([{ path: fixture('cc-never'), args: ['mode=v2'] }, rec.plugin], async (host) => {
      const c = host.client({ username: 'foo', password: 'bar' });
      const { done, waiting } = connectAndWait(c);
      await waiting;
      const end = await c.disconnect();
      assert.ok(end.outcome === 'disconnected', JSON.stringify(end));
      assert.deepEqual(end.vanished, { stage: 'client-connect', leftBehind: [] });
      const r = await done;
      assert.equal(r.outcome, 'dropped');
      // the stage's calls before the client vanished are in its hooks
      assert.ok(!('failure' in r) && r.hooks.some((h) => h.hook === 'CLIENT_CONNECT_V2'), JSON.stringify(r.hooks.map((h) => h.hook)));
      const calls = after(rec.calls(), 'IPCHANGE');
      assert.equal(calls.at(-1), 'DESTRUCTOR');
      assert.ok(!calls.includes('CLIENT_DISCONNECT'), calls.join(' '));
    });
  } finally {
    rec.remove();
  }
});

test('a restart while a client waits on a deferral drops it: no CLIENT_DISCONNECT, its destructor, then the plugins reopen', async () => {
  const rec = recorder();
  try {
    await withHost([{ path: fixture('auth-defer'), args: ['delay_ms=600000'] }, rec.plugin], async (host) => {
      const waiting = host.client({ username: 'foo', password: 'bar', name: 'waiter' });
      const w = connectAndWait(waiting);
      await w.waiting;
      const r = await host.restart('SIGHUP');
      assert.equal(r.outcome, 'restarted', JSON.stringify(r));
      if (r.outcome !== 'restarted') return;
      assert.deepEqual(
        r.dropped.map((d) => [d.client, d.hooks.length, d.vanished?.stage, d.endedBy]),
        [['waiter', 0, 'auth', 'the server restarted (SIGHUP)']],
      );
      const c = await w.done;
      assert.ok(c.outcome === 'dropped' && c.by === 'SIGHUP', JSON.stringify(c));
      assert.deepEqual(after(rec.calls(), 'IPCHANGE'), ['DESTRUCTOR', 'DESTRUCTOR', 'CLOSE', 'OPEN', 'CONSTRUCTOR']);
    });
  } finally {
    rec.remove();
  }
});

test('restart with a signal it does not know is a TypeError', async () => {
  await withHost([{ path: fixture('v3-basic') }], async (host) => {
    await assert.rejects(host.restart('SIGTERM' as 'SIGHUP'), /restart takes 'SIGHUP' or 'SIGUSR1', got SIGTERM/);
  });
});

test('SIGHUP with a plugin that does not open again: load-error, abort_v1 as at OpenVPN exit, no more clients', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'restart-reopen-'));
  const flag = join(dir, 'refuse');
  try {
    await withHost([{ path: fixture('open-fails-if'), args: [`fail_if=${flag}`] }], async (host) => {
      writeFileSync(flag, ''); // from now on the plugin's open fails
      const r = await host.restart('SIGHUP');
      assert.equal(r.outcome, 'load-error', JSON.stringify(r));
      if (r.outcome !== 'load-error') return;
      assert.equal(r.error.kind, 'open-failed');
      const lines = host.logs.map((l) => l.message);
      assert.deepEqual(
        lines.filter((l) => /^(open|close|refusing|abort)/.test(l)),
        ['open', 'close', `refusing to open: ${flag} exists`, 'abort handle=null'],
      );
      const later = await host.client({ username: 'foo', password: 'bar' }).connect();
      assert.equal(later.outcome, 'load-error');
      assert.match(JSON.stringify(later), /OpenVPN exited/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a client made before a restart but not yet connected is ended by it; connecting it later says so in one line', async () => {
  await withHost([{ path: fixture('v3-basic') }], async (host) => {
    const early = host.client({ username: 'foo', password: 'bar', name: 'early' });
    const r = await host.restart('SIGUSR1');
    assert.ok(r.outcome === 'restarted' && r.dropped.map((d) => d.client).join() === 'early', JSON.stringify(r));
    const c = await early.connect();
    assert.equal(c.outcome, 'load-error');
    if (c.outcome !== 'load-error') return;
    assert.equal(c.error.message, 'client early was ended (the server restarted (SIGUSR1)) before it connected: make a new client');
  });
});
