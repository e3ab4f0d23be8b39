// Fuzz plans: reproducible from seed and run; some clients renegotiate, some vanish, some runs restart the server; every
// plan (drawn or mutated) is a scenario the runner accepts, with the steps it planned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mutatePlan, randomPlan, type FuzzPlan } from '../../src/fuzz/plan.js';
import { Random } from '../../src/fuzz/random.js';
import { scenarioText, type FuzzTarget } from '../../src/fuzz/scenario-text.js';
import { parseScenario } from '../../src/scenario/schema.js';

const target: FuzzTarget = { plugins: [{ path: '/x/a.so', args: [] }], callTimeoutMs: 5000, timeoutMs: 10_000, maxBlockingMs: 1000 };

test('the same seed and run give the same plan', () => {
  for (let run = 0; run < 20; run++) assert.deepEqual(randomPlan(Random.forRun(7, run)), randomPlan(Random.forRun(7, run)));
  assert.notDeepEqual(randomPlan(Random.forRun(7, 0)), randomPlan(Random.forRun(8, 0)));
});

test('plans use renegotiations, vanishing clients and restarts, and every one is a valid scenario', () => {
  const plans: FuzzPlan[] = [];
  for (let run = 0; run < 300; run++) {
    const r = Random.forRun(1, run);
    const p = randomPlan(r);
    plans.push(p, mutatePlan(p, r));
  }
  const clients = plans.flatMap((p) => p.clients);
  assert.ok(clients.some((c) => (c.renegotiations ?? 0) === 2));
  assert.ok(clients.some((c) => c.vanish));
  assert.ok(plans.some((p) => p.restart === 'SIGHUP') && plans.some((p) => p.restart === 'SIGUSR1'));
  for (const p of plans) {
    if (p.restart)
      assert.ok(
        p.clients.every((c) => c.vanish === undefined && c.renegotiations === undefined),
        'a restart runs default steps',
      );
    const s = parseScenario(scenarioText(target, p), 'fuzz.yaml');
    assert.equal(s.restart, p.restart);
    p.clients.forEach((c, i) => {
      const steps = s.clients[i]!.steps;
      if (c.vanish) assert.deepEqual(steps, ['connect', 'vanish']);
      else assert.equal(steps.filter((x) => x === 'renegotiate').length, c.renegotiations ?? 0);
    });
  }
});
