// memcheck on real plugins under real valgrind: each memory bug of the bug fixtures is reported against the plugin
// and hook that made it; a clean fixture and Debian's down-root and auth-pam plugins give a clean report. The library
// is imported from dist/: the worker then runs compiled JavaScript (under valgrind, tsx's start-up alone takes ~40 s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MemcheckFinding } from '../../src/host/memcheck/report.js';
import { PLUGIN_LIBDIR } from '../../src/openvpn/constants.js';
import { envForHook } from '../../src/openvpn/server-env.js';
import { ROOT, fixture } from '../helpers.js';

const { openHost } = (await import(join(ROOT, 'dist', 'index.js'))) as typeof import('../../src/index.js');

/** One valgrind run at a time (each takes 15-30 s of the machine's CPU). */
const serial = { concurrency: 1, timeout: 300_000 };

const brief = (f: MemcheckFinding) => `${f.kind} ${f.during?.call ?? f.when} ${f.during?.plugin ?? ''} #${f.during?.client ?? '-'} at ${f.where}`;

test('each bug in a chain of the three bug fixtures is reported against its plugin and hook, with its plugin frame', serial, async () => {
  const chain = ['bug-heap-overread', 'bug-leak', 'bug-use-after-free'].map((n) => ({ path: fixture(n) }));
  const host = await openHost({ plugins: chain, memcheck: true });
  assert.equal(host.memcheck as unknown, undefined, 'no report while the worker runs');
  for (let i = 0; i < 2; i++) {
    const c = host.client();
    assert.equal((await c.connect()).outcome, 'connected');
    assert.equal((await c.disconnect()).outcome, 'disconnected');
  }
  assert.equal(await host.close(), undefined);
  const r = host.memcheck;
  assert.ok(r, 'a report after close');
  const all = r.findings.map(brief).join('\n');
  assert.equal(r.clean, false);
  assert.ok(r.ignored > 0, "koffi's own findings are counted as ignored, not shown");
  // every finding has its frame in one of the three plugins, and is told with the call it happened in
  for (const f of r.findings) assert.match(f.where, /\(bug-(heap-overread|leak|use-after-free)\.c:\d+\)$/, all);

  // valgrind shows an error with the same stack once (later ones only counted), so not every client's is listed
  const overreads = r.findings.filter((f) => f.where.includes('bug-heap-overread.c'));
  assert.ok(overreads.length >= 1, all);
  for (const f of overreads) {
    assert.equal(f.kind, 'InvalidRead', all);
    assert.deepEqual({ ...f.during, client: undefined }, { plugin: chain[0]!.path, call: 'TLS_FINAL', client: undefined });
    assert.match(f.aux[0]?.what ?? '', /bytes after a block of size 11 alloc'd/);
  }
  assert.equal(overreads[0]!.during?.client, 0);

  const leaks = r.findings.filter((f) => f.where.includes('bug-leak.c'));
  assert.deepEqual(
    leaks.map((f) => [f.kind, f.during, f.when, f.bytes]),
    [0, 1].map((client) => ['Leak_DefinitelyLost', { plugin: chain[1]!.path, call: 'CLIENT_CONNECT_V2', client }, 'call', 76]),
    all,
  );
  assert.deepEqual(
    r.leaks.map((l) => [l.during?.call, l.bytes]),
    [
      ['CLIENT_CONNECT_V2', 76],
      ['CLIENT_CONNECT_V2', 76],
    ],
  );

  const uaf = r.findings.filter((f) => f.where.includes('bug-use-after-free.c'));
  assert.ok(uaf.length >= 1, all);
  for (const f of uaf) {
    assert.equal(f.kind, 'InvalidRead', all);
    assert.equal(f.during?.plugin, chain[2]!.path);
    assert.equal(f.during?.call, 'LEARN_ADDRESS');
    assert.match(f.aux[0]?.what ?? '', /inside a block of size \d+ free'd/);
  }
  assert.equal(uaf[0]!.during?.client, 0);
});

test('a clean fixture through two client lives gives a clean report (Node/V8/koffi findings only counted)', serial, async () => {
  const host = await openHost({ plugins: [{ path: fixture('per-client') }], memcheck: true });
  for (let i = 0; i < 2; i++) {
    const c = host.client({ username: 'alice', password: 'x' });
    assert.equal((await c.connect()).outcome, 'connected');
    await c.disconnect();
  }
  assert.equal(await host.close(), undefined);
  assert.deepEqual(host.memcheck && { clean: host.memcheck.clean, findings: host.memcheck.findings.map(brief) }, { clean: true, findings: [] });
  assert.ok(host.memcheck!.ignored > 0);
});

test("Debian's down-root (UP forks its root helper, DOWN runs the command) and auth-pam (PAM permit) are clean", serial, async () => {
  if (process.getuid?.() !== 0) assert.fail('this test writes a PAM service to /etc/pam.d and needs root');
  const service = `ovpn-plugin-host-test-memcheck-${process.pid}`;
  writeFileSync(join('/etc/pam.d', service), 'auth required pam_permit.so\naccount required pam_permit.so\n', { mode: 0o644 });
  try {
    const host = await openHost({
      plugins: [
        { path: join(PLUGIN_LIBDIR, 'openvpn-plugin-down-root.so'), args: ['/bin/true'] },
        { path: join(PLUGIN_LIBDIR, 'openvpn-plugin-auth-pam.so'), args: [service] },
      ],
      memcheck: true,
    });
    const up = envForHook('UP');
    const upResult = await host.call('UP', { argv: up.argv, env: up.env.toEnvp(), perClient: false });
    assert.equal(upResult.outcome === 'returned' && upResult.returnName, 'SUCCESS');
    const c = host.client({ username: 'alice', password: 'alice-secret' });
    assert.equal((await c.connect()).outcome, 'connected');
    await c.disconnect();
    const down = envForHook('DOWN');
    const downResult = await host.call('DOWN', { argv: down.argv, env: down.env.toEnvp(), perClient: false });
    assert.equal(downResult.outcome === 'returned' && downResult.returnName, 'SUCCESS');
    assert.equal(await host.close(), undefined);
    const r = host.memcheck;
    assert.ok(r);
    assert.deepEqual(r.findings.map(brief), []);
    assert.equal(r.clean, true);
  } finally {
    rmSync(join('/etc/pam.d', service), { force: true });
  }
});

test('memcheck without valgrind on PATH: a load-error (setup) naming what to install', serial, async () => {
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    await assert.rejects(openHost({ plugins: [{ path: fixture('per-client') }], memcheck: true }), (err: Error & { failure?: { outcome: string } }) => {
      assert.equal(err.failure?.outcome, 'load-error');
      assert.match(err.message, /^memcheck needs valgrind, which is not on PATH: install it \(Debian: apt-get install valgrind\)$/);
      return true;
    });
  } finally {
    process.env.PATH = path;
  }
});
