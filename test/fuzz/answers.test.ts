// The fuzzer as the outside party (--answer-deferrals): what OpenVPN reads of the bytes it writes (only the first
// byte; auth and client-connect read unknown bytes differently), when an undecided deferral is an expected outcome,
// and plans that draw answers reproducibly and write them into valid scenarios.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomAnswers, undecidedExpected, verdictOf } from '../../src/fuzz/answers.js';
import { randomPlan } from '../../src/fuzz/plan.js';
import { Random } from '../../src/fuzz/random.js';
import { scenarioText, type FuzzTarget } from '../../src/fuzz/scenario-text.js';
import { parseScenario } from '../../src/scenario/schema.js';

const target: FuzzTarget = { plugins: [{ path: '/x/a.so', args: [] }], callTimeoutMs: 5000, timeoutMs: 10_000, maxBlockingMs: 1000 };

test('what OpenVPN reads: the first byte only; auth_control_file keeps anything else pending, the client-connect file fails it', () => {
  const cases: Array<[string, string, string]> = [
    ['1', 'accepted', 'accepted'],
    ['0', 'rejected', 'rejected'],
    ['1\n', 'accepted', 'accepted'],
    ['0junk', 'rejected', 'rejected'],
    ['10', 'accepted', 'accepted'],
    ['2', 'pending', 'pending'],
    ['', 'pending', 'pending'],
    ['\n', 'pending', 'rejected'],
    ['\xff1', 'pending', 'rejected'],
    [' 1', 'pending', 'rejected'],
  ];
  for (const [bytes, auth, cc] of cases) {
    assert.equal(verdictOf('auth', bytes), auth, `auth ${JSON.stringify(bytes)}`);
    assert.equal(verdictOf('client-connect', bytes), cc, `client-connect ${JSON.stringify(bytes)}`);
  }
});

test('an undecided deferral is expected with a shortened deadline, or when the fuzzer answered that stage with nothing deciding in time', () => {
  assert.equal(undecidedExpected('auth', undefined, false), false, 'the plugin alone must decide');
  assert.equal(undecidedExpected('auth', undefined, true), true);
  assert.equal(undecidedExpected('auth', [{ stage: 'auth', at: 'early', write: '1' }], false), false);
  assert.equal(undecidedExpected('auth', [{ stage: 'auth', at: 'late', write: '1' }], false), true, 'too late');
  assert.equal(undecidedExpected('auth', [{ stage: 'auth', at: 'mid', write: '\n' }], false), true, 'a newline leaves auth pending');
  assert.equal(undecidedExpected('client-connect', [{ stage: 'client-connect', at: 'mid', write: '\n' }], false), false, 'but fails a client-connect');
  assert.equal(
    undecidedExpected(
      'auth',
      [
        { stage: 'auth', at: 'early', write: '2' },
        { stage: 'auth', at: 'mid', write: '0' },
      ],
      false,
    ),
    false,
    'the second write decides',
  );
  assert.equal(undecidedExpected('client-connect', [{ stage: 'auth', at: 'late', write: '' }], false), false, 'another stage');
});

test('answers are drawn from the seed: every moment and write, second writes the opposite answer, and only with the option', () => {
  const all = Array.from({ length: 300 }, (_, run) => randomAnswers(Random.forRun(5, run)) ?? []).flat();
  for (const at of ['early', 'mid', 'late'])
    assert.ok(
      all.some((a) => a.at === at),
      at,
    );
  for (const w of ['1', '0', '1\n', '0junk', '2', '', '\n'])
    assert.ok(
      all.some((a) => a.write === w),
      JSON.stringify(w),
    );
  assert.ok(
    all.some((a) => a.write.length > 0 && [...a.write].some((c) => c.charCodeAt(0) > 0x7e)),
    'random bytes',
  );
  assert.ok(all.some((a) => a.stage === 'client-connect'));
  for (let run = 0; run < 50; run++) {
    assert.deepEqual(randomPlan(Random.forRun(9, run), undefined, true), randomPlan(Random.forRun(9, run), undefined, true));
    const plain = randomPlan(Random.forRun(9, run));
    assert.ok(plain.clients.every((c) => c.answers === undefined));
    // the option adds answers, and changes nothing else of the plan
    const answered = randomPlan(Random.forRun(9, run), undefined, true);
    assert.deepEqual({ ...answered, clients: answered.clients.map(({ answers: _a, ...c }) => c) }, plain);
    const twice = (randomAnswers(Random.forRun(9, run)) ?? []).filter((a, i, xs) => xs.findIndex((b) => b.stage === a.stage) !== i);
    for (const second of twice) assert.match(second.write, /^[01]$/);
  }
});

test('plans shorten the deadline in some runs; the scenario carries it, the answers, and expects a decision only where one is due', () => {
  const plans = Array.from({ length: 200 }, (_, run) => randomPlan(Random.forRun(2, run), undefined, true));
  assert.ok(plans.some((p) => p.deadlineMs !== undefined) && plans.some((p) => p.deadlineMs === undefined));
  for (const p of plans) {
    const s = parseScenario(scenarioText(target, p), 'fuzz.yaml');
    assert.equal(s.host.handWindowMs, p.deadlineMs ?? 10_000);
    assert.equal(s.host.timeoutMs, p.deadlineMs ?? 10_000);
    p.clients.forEach((c, i) => {
      assert.deepEqual(s.clients[i]!.answers, c.answers ?? []);
      const stays = p.deadlineMs !== undefined || undecidedExpected('auth', c.answers, false) || undecidedExpected('client-connect', c.answers, false);
      assert.equal(s.clients[i]!.expect.decided, stays ? undefined : true);
    });
  }
});
