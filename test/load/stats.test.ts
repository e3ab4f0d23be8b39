// Pure load statistics: nearest-rank percentiles, distributions, outcome tallies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distribution, percentile, tally } from '../../src/load/stats.js';

test('percentile: nearest rank', () => {
  const v = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(v, 50), 50);
  assert.equal(percentile(v, 90), 90);
  assert.equal(percentile(v, 99), 99);
  assert.equal(percentile(v, 100), 100);
  assert.equal(percentile([7], 50), 7);
  assert.equal(percentile([], 50), undefined);
});

test('distribution: sorts, rounds, and says count; empty gives nulls', () => {
  assert.deepEqual(distribution([3, 1, 2, 10]), { count: 4, p50: 2, p90: 10, p99: 10, max: 10, mean: 4 });
  assert.deepEqual(distribution([]), { count: 0, p50: null, p90: null, p99: null, max: null, mean: null });
  assert.equal(distribution([1.23456]).p50, 1.23);
});

test('tally: every outcome present, unknown ones added', () => {
  assert.deepEqual(tally(['connected', 'connected', 'rejected', 'load-error']), {
    connected: 2,
    rejected: 1,
    timeout: 0,
    fatal: 0,
    crashed: 0,
    hung: 0,
    'load-error': 1,
  });
});
