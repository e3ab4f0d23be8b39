// `connect --vanish-after S` and `run` with a restart, as a user runs them: clients vanishing mid-deferral, server restarts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, fixture } from '../helpers.js';

const TMP = mkdtempSync(join(tmpdir(), 'ovph-vanish-test-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built: run 'make build' first`);
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, TMPDIR: TMP }, timeout: 60_000 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr });
    });
  });
}

test('connect --vanish-after during a deferred v1 client-connect: DROPPED, the cc/ccr files OpenVPN leaks listed, none left, exit 0', async () => {
  const r = await cli(['connect', fixture('cc-never'), 'mode=v1', '--username', 'foo', '--password', 'bar', '--vanish-after', '0.3']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^DROPPED at client-connect after \d+ ms: the client vanished while its connect waited on a deferral$/m);
  assert.match(r.stdout, /no CLIENT_DISCONNECT/);
  assert.match(r.stdout, /files OpenVPN would leave behind \(removed by the host\):\n {2}\S+openvpn_cc_[0-9a-f]+\.tmp\n {2}\S+openvpn_ccr_[0-9a-f]+\.tmp/);
  assert.deepEqual(readdirSync(TMP), [], 'the host removed its temp dir and the files');
});

test('connect --vanish-after --json during a deferred auth: outcome dropped at auth, nothing left behind', async () => {
  const r = await cli(['connect', fixture('auth-defer'), 'delay_ms=600000', '--username', 'foo', '--password', 'bar', '--vanish-after', '0.3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { outcome: string; stage: string; by: string; disconnect: { vanished: unknown } };
  assert.deepEqual([j.outcome, j.stage, j.by], ['dropped', 'auth', 'client']);
  assert.deepEqual(j.disconnect.vanished, { stage: 'auth', leftBehind: [] });
});

test('connect --vanish-after that comes after the connect finished changes nothing', async () => {
  const r = await cli(['connect', fixture('v3-basic'), '--username', 'foo', '--password', 'bar', '--vanish-after', '30']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^CONNECTED as /m);
});

test('connect --stage client-connect refuses --vanish-after (a client of the stage alone cannot vanish): one line, exit 2', async () => {
  const r = await cli(['connect', fixture('cc-never'), '--stage', 'client-connect', '--vanish-after', '1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--vanish-after: not used by --stage client-connect/);
});

test('connect --vanish-after with a bad value: one line, exit 2', async () => {
  const r = await cli(['connect', fixture('v3-basic'), '--vanish-after', 'soon']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--vanish-after <seconds>' argument 'soon' is invalid/);
  assert.equal(r.stderr.includes('    at '), false, 'no stack trace');
});

test('run a scenario with restart: SIGUSR1: the header says the restart and its calls, each client restart/reconnect/disconnect; JUnit has it', async () => {
  const file = join(TMP, 'restart.yaml');
  const junit = join(TMP, 'restart.xml');
  writeFileSync(
    file,
    `name: restart\nplugins: [${fixture('per-client')}]\nrestart: SIGUSR1\nclients:\n  - { name: alice, username: foo, password: bar, expect: { outcome: connected } }\n`,
  );
  try {
    const r = await cli(['run', file, '--junit', junit]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ the server restarted \(SIGUSR1\) after every connect: plugin calls: client_constructor_v1 per-client\.so \(again/);
    assert.match(r.stdout, /^ {2}restart {4}the server restarted \(SIGUSR1\): CLIENT_DISCONNECT, LEARN_ADDRESS/m);
    assert.match(r.stdout, /^ {2}reconnect {2}connected as 10\.29\.41\.2/m);
    assert.match(readFileSync(junit, 'utf8'), /<testcase classname="restart" name="restart the server \(SIGUSR1\)"/);
  } finally {
    rmSync(file, { force: true });
    rmSync(junit, { force: true });
  }
});
