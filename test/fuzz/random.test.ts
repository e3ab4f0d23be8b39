// The fuzzer's random generator: a run's numbers depend only on the seed and the run's number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/fuzz/random.js';
import { randomPlan } from '../../src/fuzz/plan.js';

test('the same seed and run give the same plan; another seed or run gives another', () => {
  const plan = (seed: number, run: number) => JSON.stringify(randomPlan(Random.forRun(seed, run)));
  assert.equal(plan(1, 5), plan(1, 5));
  assert.notEqual(plan(1, 5), plan(2, 5));
  assert.notEqual(plan(1, 5), plan(1, 6));
  const r = new Random(3);
  const xs = Array.from({ length: 1000 }, () => r.int(10));
  assert.ok(xs.every((x) => x >= 0 && x < 10));
  assert.equal(new Set(xs).size, 10, 'every value drawn');
});
