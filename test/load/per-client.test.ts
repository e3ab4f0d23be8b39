// Per-client costs of a load run from made-up time lines: setup per client, RSS per deferred client, CPU per re-check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { perClientFigures, type WorkerSample } from '../../src/load/per-client.js';

const samples = (points: Array<[number, number, number]>): WorkerSample[] => points.map(([t, cpuMs, rssKb]) => ({ t, cpuMs, rssKb }));

test('all clients at once: setup = time until all are deferred / N; CPU per re-check from the waiting samples only', () => {
  // 4 clients start at 0, deferred at 10..40, all end at 1000 after 10 re-checks each
  const spans = [10, 20, 30, 40].map((d) => ({ start: 0, deferredAt: d, end: 1000, polls: 10 }));
  const f = perClientFigures(
    spans,
    samples([
      [0, 0, 1000],
      [50, 30, 1400], // setup still running in [0, 40]: not a waiting interval
      [550, 40, 1400],
      [950, 48, 1400],
      [1050, 60, 1400], // the clients end in it: not a waiting interval
    ]),
    1000,
  );
  assert.equal(f.setupMs, 10); // 40 ms until all 4 are deferred, / 4
  assert.equal(f.peakDeferred, 4);
  assert.equal(f.rssKbPerDeferredClient, 100); // (1400 - 1000) / 4
  // waiting 50..950: 18 ms CPU; re-checks: 4 clients x 10 polls x 900 ms / ~970 ms of deferral each
  const rechecks = [10, 20, 30, 40].reduce((sum, d) => sum + (10 * 900) / (1000 - d), 0);
  assert.equal(f.rechecks, Math.round(rechecks));
  assert.equal(f.cpuUsPerRecheck, Math.round((18_000 / rechecks) * 10) / 10);
  assert.equal(f.waitMs, 900);
});

test('sequential clients: setup is the sum of their setups / N; without deferrals there is no RSS or CPU figure', () => {
  const spans = [
    { start: 0, deferredAt: null, end: 5, polls: 0 },
    { start: 10, deferredAt: null, end: 13, polls: 0 },
    { start: 12, deferredAt: null, end: 16, polls: 0 },
  ];
  const f = perClientFigures(
    spans,
    samples([
      [0, 0, 100],
      [20, 5, 120],
    ]),
    100,
  );
  assert.equal(f.setupMs, 3.667); // [0,5] + [10,16] = 11 ms of setup / 3 clients, rounded to 0.001
  assert.equal(f.peakDeferred, 0);
  assert.equal(f.rssKbPerDeferredClient, null);
  assert.equal(f.cpuUsPerRecheck, null);
  assert.deepEqual(perClientFigures([], [], null), {
    setupMs: null,
    peakDeferred: 0,
    rssKbPerDeferredClient: null,
    cpuUsPerRecheck: null,
    rechecks: 0,
    waitMs: 0,
  });
});
