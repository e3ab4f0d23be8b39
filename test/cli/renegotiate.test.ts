// connect --renegotiate N / --reneg-sec as a user runs them (node dist/cli.cjs): text, --json, exit codes, usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, fixture } from '../helpers.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const TMP = mkdtempSync(join(tmpdir(), 'ovph-cli-reneg-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));

function cli(args: string[]): Promise<Run> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built: run 'make build' first`);
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, TMPDIR: TMP }, timeout: 60_000 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr });
    });
  });
}

test('connect --renegotiate 2: each renegotiation reported (deferred re-auth), exit 0', async () => {
  const r = await cli(['connect', fixture('auth-defer'), 'delay_ms=50', '--username', 'foo', '--password', 'bar', '--renegotiate', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^CONNECTED as /);
  assert.match(r.stdout, /RENEGOTIATION 1: renewed in \d+ ms\nauth: deferred, \d+ reads of auth_control_file, decided by '1'/);
  assert.match(r.stdout, /RENEGOTIATION 2: renewed/);
});

test('connect --renegotiate --json: "renegotiations" with each one\'s hooks; a re-auth ERROR kills the tunnel: exit 1', async () => {
  const r = await cli(['connect', fixture('auth-nth'), 'fail=3', '--plugin', fixture('learn-address'), '--username', 'foo', '--renegotiate', '5', '--json']);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout) as {
    outcome: string;
    renegotiations: Array<{ outcome: string; renegotiation: number; tunnelKilled?: boolean; clientSees?: string; hooks: Array<{ hook: string }> }>;
    disconnect: { hooks: unknown[]; endedBy?: string };
    logs: Array<{ phase: string; message: string }>;
  };
  assert.equal(out.outcome, 'connected');
  assert.deepEqual(
    out.renegotiations.map((x) => [x.renegotiation, x.outcome]),
    [
      [1, 'renewed'],
      [2, 'rejected'],
    ],
    'no renegotiation after the tunnel was killed',
  );
  const killed = out.renegotiations[1]!;
  assert.equal(killed.tunnelKilled, true);
  assert.equal(killed.clientSees, 'AUTH_FAILED,re-auth 3 refused');
  assert.deepEqual(
    killed.hooks.map((h) => h.hook),
    ['AUTH_USER_PASS_VERIFY', 'CLIENT_DISCONNECT', 'LEARN_ADDRESS'],
  );
  assert.deepEqual(out.disconnect.hooks, []);
  assert.match(out.disconnect.endedBy ?? '', /renegotiation 2 failed/);
  assert.ok(out.logs.some((l) => l.phase === 'renegotiate' && /call 3 ERROR/.test(l.message)));
});

test('connect --reneg-sec 1 with auth-gen-token: the token is valid at +1 s (plugins skipped), expired at +2 s (as reneg-sec 8 at +8/+16 s on a real server)', async () => {
  const r = await cli(['connect', fixture('per-client'), '--server-option', 'auth-gen-token', '--username', 'foo', '--renegotiate', '2', '--reneg-sec', '1']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /RENEGOTIATION 1: renewed.*\nauth-gen-token: session_state Authenticated, the plugins were not called/);
  assert.match(r.stdout, /RENEGOTIATION 2: REJECTED at auth, the client sees AUTH_FAILED,SESSION: token expired: the tunnel was killed/);
});

test("connect --renegotiate with --config's reneg-sec: timed, and it narrows the deferred auth window (min(hand-window, reneg-sec/2))", async () => {
  const conf = join(TMP, 'server.conf');
  writeFileSync(conf, `plugin ${fixture('auth-defer')} delay_ms=1500\nreneg-sec 2\n`);
  // the auth decides after 1.5 s, past reneg-sec/2 = 1 s: already the connect is refused (so no renegotiation)
  const r = await cli(['connect', '--config', conf, '--username', 'foo', '--password', 'bar', '--renegotiate', '1']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^REJECTED at auth/);
  assert.doesNotMatch(r.stdout, /RENEGOTIATION/);
});

test("connect --renegotiate takes --config's reneg-sec as its timer: with auth-gen-token the 2nd renegotiation's token has expired", async () => {
  const conf = join(TMP, 'token.conf');
  writeFileSync(conf, `plugin ${fixture('per-client')}\nauth-gen-token\nreneg-sec 1\n`);
  const r = await cli(['connect', '--config', conf, '--username', 'foo', '--renegotiate', '2']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /RENEGOTIATION 1: renewed/);
  assert.match(r.stdout, /RENEGOTIATION 2: REJECTED at auth, the client sees AUTH_FAILED,SESSION: token expired/);
});

test('connect: --reneg-sec without --renegotiate, --renegotiate 0, --renegotiate with --stage client-connect: one line, exit 2', async () => {
  for (const args of [
    ['--reneg-sec', '3'],
    ['--renegotiate', '0'],
    ['--renegotiate', '1', '--stage', 'client-connect'],
  ]) {
    const r = await cli(['connect', fixture('per-client'), ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /--reneg-sec needs --renegotiate|--renegotiate/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('connect --renegotiate --reneg-sec: Ctrl-C while waiting for the next renegotiation ends at once: exit 130, nothing left', async () => {
  const tmp = mkdtempSync(join(TMP, 'sigint-'));
  const child = spawn(process.execPath, [CLI, 'connect', fixture('per-client'), '--username', 'foo', '--renegotiate', '3', '--reneg-sec', '600', '-v'], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: tmp },
  });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    // -v logs the wait: connected, now waiting 600 s for the first renegotiation
    if (!sent && stderr.includes('renegotiation 1 of 3 in 600 s')) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted \(SIGINT\): stopping the plugin\n/);
  assert.doesNotMatch(stderr, /the host (is|was) killed/, 'no failure line after the interruption');
  assert.deepEqual(readdirSync(tmp), [], 'no temp dir left');
});
