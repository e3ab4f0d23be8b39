// The load command and runLoad: many clients through their whole life, with a report and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runLoad } from '../../src/load/run.js';
import { CLI, ROOT, fixture } from '../helpers.js';

const run = promisify(execFile);
const cli = (args: string[]) =>
  run(process.execPath, [CLI, 'load', ...args], { cwd: ROOT }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

test('runLoad: every client deferred and connected; concurrency bounds the clients in progress', async () => {
  const r = await runLoad({ plugins: [{ path: fixture('cc-v2-defer'), args: ['polls=2'] }], clients: 60, concurrency: 15 });
  if (r.outcome !== 'completed') assert.fail(JSON.stringify(r));
  assert.deepEqual(r.clients, { requested: 60, started: 60, finished: 60 });
  assert.equal(r.outcomes.connected, 60);
  assert.equal(r.deferred.clientConnect, 60);
  assert.equal(r.polls.clientConnect.max, 2);
  assert.ok(r.worker.peakInFlight <= 15 && r.worker.peakInFlight > 1, `peak ${r.worker.peakInFlight}`);
  assert.equal(r.connectMs.count, 60);
  assert.ok(r.worker.rssPeakMb! > 0 && r.worker.cpuSeconds! >= 0);
  // the per-client figures bench/many-deferred.ts reports: present, finite, consistent with the run
  const p = r.perClient;
  assert.ok(Number.isFinite(p.setupMs) && p.setupMs! > 0 && p.setupMs! * 60 <= r.wallMs, `setup ${p.setupMs} ms`);
  assert.ok(p.peakDeferred >= 1 && p.peakDeferred <= r.worker.peakInFlight, `peak deferred ${p.peakDeferred}`);
  assert.ok(Number.isFinite(p.rssKbPerDeferredClient), `rss ${p.rssKbPerDeferredClient}`);
  assert.ok(p.rechecks <= 60 * 2, `re-checks ${p.rechecks}: at most 2 per client`);
  assert.ok(p.waitMs <= r.wallMs);
  if (p.cpuUsPerRecheck !== null) assert.ok(Number.isFinite(p.cpuUsPerRecheck) && p.cpuUsPerRecheck >= 0);
});

test('runLoad: many clients deferred at once give every per-client figure (setup, RSS per deferred client, CPU per re-check)', {
  timeout: 180_000,
}, async () => {
  const r = await runLoad({
    plugins: [{ path: fixture('cc-v2-defer'), args: ['polls=4'] }],
    clients: 300,
    concurrency: 300,
    connect: { pollIntervalMs: 500 },
  });
  if (r.outcome !== 'completed') assert.fail(JSON.stringify(r));
  assert.equal(r.outcomes.connected, 300);
  const p = r.perClient;
  assert.ok(p.setupMs! > 0 && p.setupMs! * 300 <= r.wallMs, `setup ${p.setupMs} ms x 300 within ${r.wallMs} ms`);
  assert.ok(p.peakDeferred > 1 && p.peakDeferred <= 300, `peak deferred ${p.peakDeferred}`);
  assert.ok(Number.isFinite(p.rssKbPerDeferredClient));
  assert.ok(p.waitMs > 0 && p.rechecks > 0, `waited ${p.waitMs} ms, ${p.rechecks} re-checks`);
  assert.ok(p.rechecks <= 300 * 4, `at most the ${300 * 4} DEFER_V2 calls made`);
  assert.ok(Number.isFinite(p.cpuUsPerRecheck) && p.cpuUsPerRecheck! >= 0, `cpu ${p.cpuUsPerRecheck}`);
});

test('runLoad: arrival rate spreads the starts; a blocking hook is found as the longest call', async () => {
  const r = await runLoad({
    plugins: [{ path: fixture('auth-defer'), args: ['delay_ms=1'] }],
    clients: 6,
    concurrency: 6,
    arrivalRate: 20,
    client: { username: 'foo', password: 'bar', env: { AUTH_BLOCK_MS: '120' } },
  });
  if (r.outcome !== 'completed') assert.fail(JSON.stringify(r));
  assert.equal(r.outcomes.connected, 6);
  assert.ok(r.wallMs >= 250, `6 clients at 20/s take at least 250 ms (took ${r.wallMs})`);
  assert.equal(r.longestHook?.hook, 'AUTH_USER_PASS_VERIFY');
  assert.equal(r.blockingCalls, 6);
});

test('CLI load: report text, --json shape, exit codes 0 / 1 / 4 / 5 / 2', async () => {
  const ok = await cli([fixture('cc-v2-defer'), 'polls=1', '--clients', '20', '--concurrency', '5']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^20 clients in /);
  assert.match(ok.stdout, /^outcomes {5}connected 20, rejected 0, timeout 0$/m);
  assert.match(ok.stdout, /^connect {6}p50 [\d.]+ ms {2}p90 /m);
  assert.match(ok.stdout, /^worker {7}RSS [\d.]+ MB at start/m);
  assert.match(
    ok.stdout,
    /^per client {3}setup [\d.]+ ms, worker RSS (-?[\d.]+ KiB per deferred client \(\d+ at once\)|- \(no client deferred\)), worker CPU /m,
  );
  const json = await cli([fixture('cc-v2-noreg'), '--clients', '5', '--json']);
  assert.equal(json.code, 1);
  const r = JSON.parse(json.stdout);
  assert.equal(r.outcome, 'completed');
  assert.equal(r.outcomes.rejected, 5);
  for (const k of ['connectMs', 'polls', 'longestHook', 'blockingCalls', 'worker', 'perClient', 'wallMs', 'clientsPerSecond']) assert.ok(k in r, k);
  for (const k of ['setupMs', 'rssKbPerDeferredClient', 'peakDeferred', 'cpuUsPerRecheck', 'rechecks', 'waitMs']) assert.ok(k in r.perClient, k);
  assert.ok(r.perClient.setupMs > 0 && r.perClient.peakDeferred === 0, 'cc-v2-noreg rejects without deferring');
  const crash = await cli([fixture('fault-signal'), 'where=hook', 'how=crash', 'auth=1', 'tls=1', '--clients', '5']);
  assert.equal(crash.code, 4, crash.stdout + crash.stderr);
  assert.equal((await cli(['/nonexistent.so'])).code, 5);
  assert.equal((await cli([fixture('v3-basic'), '--clients', '0'])).code, 2);
});
