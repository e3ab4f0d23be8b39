// fuzz finds the crashes the bug fixtures ship (a stack buffer filled from the username, a NULL dereference on a
// missing IV_PLAT, state shared by two clients whose auths overlap) within a few runs of a fixed seed, minimises each,
// and the scenario it writes replays the same crash through `run` (exit 4). A clean plugin gives no finding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { fileStem, fuzz, type FuzzFinding } from '../../src/fuzz/fuzz.js';
import { CLI, fixture } from '../helpers.js';

const run = promisify(execFile);

async function replay(file: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [CLI, 'run', file]);
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

async function findOne(name: string, expect: RegExp, check: (f: FuzzFinding, scenario: Record<string, unknown>) => void): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'ovph-fuzz-'));
  try {
    const r = await fuzz({ plugins: [{ path: fixture(name) }], runs: 20, seed: 1, outDir: out, stopOnFailure: true, minimiseRuns: 40 });
    assert.equal(r.outcome, 'done');
    if (r.outcome !== 'done') return;
    assert.equal(r.findings.length, 1, `one finding in ${r.runs} runs`);
    const f = r.findings[0]!;
    assert.match(f.signature, expect);
    assert.ok(f.size.after.bytes <= f.size.before.bytes);
    check(f, parse(readFileSync(f.file!, 'utf8')) as Record<string, unknown>);
    const again = await replay(f.file!);
    assert.equal(again.code, 4, again.out);
    // the same crash: "crashed with SIG... in HOOK of /path/to/plugin.so at function+0x..."
    const [, signal, where, at] = /^crashed (\S+) in (\S+) of \S+ at (\S+)$/.exec(f.signature)!;
    assert.ok(again.out.includes(`crashed with ${signal} in ${where} of ${fixture(name)} at ${at}`), again.out);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

type Clients = Array<Record<string, unknown>>;

test('fuzz: a stack buffer overflowed by a long username (SIGABRT, minimised to the shortest crashing username)', { timeout: 120_000 }, async () => {
  await findOne('bug-stack-username', /^crashed SIGABRT in AUTH_USER_PASS_VERIFY of bug-stack-username\.so at greet\+0x[0-9a-f]+$/, (_f, s) => {
    const clients = s.clients as Clients;
    assert.equal(clients.length, 1);
    assert.equal(clients[0]!.username, 'A'.repeat(58).slice(0, (clients[0]!.username as string).length));
    assert.equal((clients[0]!.username as string).length, 58, '"hello " + 58 bytes + NUL no longer fits 64 bytes');
  });
});

test('fuzz: a NULL dereference when the client sends no IV_PLAT', { timeout: 120_000 }, async () => {
  await findOne('bug-missing-env', /^crashed SIGSEGV in CLIENT_CONNECT_V2 of bug-missing-env\.so at is_windows\+0x[0-9a-f]+$/, (_f, s) => {
    const c = (s.clients as Clients)[0]!;
    assert.equal(c.replacePeerInfo, true);
    assert.equal((c.peerInfo as Record<string, string>).IV_PLAT, undefined);
  });
});

test('fuzz: state shared between two clients whose deferred auths overlap', { timeout: 120_000 }, async () => {
  await findOne('bug-interleave', /^crashed SIGSEGV in CLIENT_CONNECT_V2 of bug-interleave\.so at take_current\+0x[0-9a-f]+$/, (_f, s) => {
    // two clients are enough; under heavy load a two-client try may miss the overlap and the minimiser keeps three
    assert.ok((s.clients as Clients).length >= 2, 'it takes two clients');
    assert.equal(s.sequential, false, 'at once');
  });
});

test('fuzz: state kept across a SIGHUP restart (close, open again) crashes the reconnect; the restart stays in the replay', { timeout: 120_000 }, async () => {
  await findOne('bug-reopen', /^crashed SIGSEGV in CLIENT_CONNECT_V2 of bug-reopen\.so at realm_length\+0x[0-9a-f]+$/, (f, s) => {
    assert.equal(s.restart, 'SIGHUP', 'SIGUSR1 keeps the plugins open: only SIGHUP finds it');
    assert.equal((s.clients as Clients).length, 1);
    assert.match(f.summary, /^client-1 reconnect: /);
  });
});

test('fuzz: two different crashes in one hook (same signal) are two findings, told apart by their crash sites', { timeout: 120_000 }, async () => {
  const r = await fuzz({ plugins: [{ path: fixture('bug-two-sites') }], runs: 12, seed: 3, minimiseRuns: 4 });
  assert.equal(r.outcome, 'done');
  if (r.outcome !== 'done') return;
  const signatures = r.findings.map((f) => f.signature).sort();
  assert.equal(signatures.length, 2, signatures.join('\n'));
  assert.match(signatures[0]!, /^crashed SIGSEGV in AUTH_USER_PASS_VERIFY of bug-two-sites\.so at initial_of\+0x[0-9a-f]+$/);
  assert.match(signatures[1]!, /^crashed SIGSEGV in AUTH_USER_PASS_VERIFY of bug-two-sites\.so at remember_password\+0x[0-9a-f]+$/);
  assert.notEqual(fileStem(signatures[0]!), fileStem(signatures[1]!));
});

test('fuzz --fuzz-args: an overflow on a long argument is found and minimised; arguments the plugin refuses are no finding', { timeout: 120_000 }, async () => {
  const plugins = [{ path: fixture('bug-args'), args: ['prefix=vpn', 'mode=strict'] }];
  const r = await fuzz({ plugins, runs: 20, seed: 1, fuzzArgs: true, minimiseRuns: 30 });
  assert.equal(r.outcome, 'done', 'a run whose arguments the plugin refuses does not end the session as a load-error');
  if (r.outcome !== 'done') return;
  assert.deepEqual(
    r.findings.map((f) => f.signature),
    [r.findings[0]?.signature.match(/^crashed SIGABRT in open of bug-args\.so at set_prefix\+0x[0-9a-f]+$/)?.[0]],
  );
  const args = (parse(r.findings[0]!.scenario) as { plugins: Array<{ args: string[] }> }).plugins[0]!.args;
  assert.deepEqual(args, [`prefix=${args[0]!.slice('prefix='.length)}`, 'mode=strict']);
  assert.equal(args[0]!.length - 'prefix='.length, 64, 'the shortest prefix that overflows 64 bytes');
  // without --fuzz-args the same session finds nothing: the clients' inputs never reach the bug
  const plain = await fuzz({ plugins, runs: 20, seed: 1, minimiseRuns: 0 });
  assert.equal(plain.outcome === 'done' && plain.findings.length, 0);
});

test('fuzz: a clean plugin gives no finding; the CLI says so with exit 0', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'ovph-fuzz-'));
  try {
    const r = await run(process.execPath, [CLI, 'fuzz', fixture('auth-defer'), 'delay_ms=5', '--runs', '6', '--seed', '3', '--out', out]);
    assert.match(r.stdout, /^6 runs in .* seed 3, \d+ distinct signals reached\nno failure found\n$/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('fuzz: a helper process the plugin leaves running after close is a finding; its scenario replays it (exit 1)', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'fuzz-left-'));
  try {
    const r = await fuzz({
      plugins: [{ path: fixture('fault-escape'), args: ['where=hook', 'how=setsid'] }],
      runs: 3,
      seed: 1,
      outDir: out,
      stopOnFailure: true,
      minimiseRuns: 4,
    });
    assert.equal(r.outcome, 'done');
    if (r.outcome !== 'done') return;
    assert.equal(r.findings.length, 1);
    assert.equal(r.findings[0]!.signature, 'left running after close: <a fork() of the worker without exec>');
    const again = await replay(r.findings[0]!.file!);
    assert.equal(again.code, 1, again.out);
    assert.match(again.out, /process\(es\) left running after close/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('fuzz: a file the plugin leaves in the server temp dir is a finding; its scenario replays it (exit 1)', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'fuzz-files-'));
  try {
    const r = await fuzz({ plugins: [{ path: fixture('bug-tmp-file') }], runs: 30, seed: 1, outDir: out, stopOnFailure: true, minimiseRuns: 20 });
    assert.equal(r.outcome, 'done');
    if (r.outcome !== 'done') return;
    assert.equal(r.findings.length, 1, `one finding in ${r.runs} runs`);
    const f = r.findings[0]!;
    assert.equal(f.signature, 'left files after close: openvpn_acf_X.tmp.tmp');
    const s = parse(readFileSync(f.file!, 'utf8')) as { clients: Clients };
    assert.equal(s.clients.length, 1);
    assert.ok(!s.clients[0]!.password, 'minimised to no password or an empty one: that leaves the file');
    const again = await replay(f.file!);
    assert.equal(again.code, 1, again.out);
    assert.match(again.out, /1 file\(s\) left in the temp dir after close/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
