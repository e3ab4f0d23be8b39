// DeferralWait ends at once when its client's connection is dropped (the abort signal), long before its next re-check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeferralWait } from '../../src/worker/deferral-wait.js';
import { ConnectionDropped } from '../../src/worker/dropped.js';

test('an abort during a nap ends the wait with the abort reason, without another check', async () => {
  const dropping = new AbortController();
  let checks = 0;
  const wait = new DeferralWait({ deadline: performance.now() + 3_600_000, pollIntervalMs: 2_000, signal: dropping.signal });
  const waiting = wait.until(() => {
    checks++;
    return undefined;
  }, true);
  setImmediate(() => dropping.abort(new ConnectionDropped('client')));
  await assert.rejects(waiting, (err: unknown) => err instanceof ConnectionDropped && err.by === 'client');
  assert.equal(checks, 1, 'only the first check ran');
});

test('a signal aborted before the wait starts: no check at all', async () => {
  const dropping = new AbortController();
  dropping.abort(new ConnectionDropped('SIGHUP'));
  let checks = 0;
  const wait = new DeferralWait({ deadline: performance.now() + 3_600_000, pollIntervalMs: 2_000, signal: dropping.signal });
  await assert.rejects(
    wait.until(() => {
      checks++;
      return 'decided';
    }, true),
    (err: unknown) => err instanceof ConnectionDropped && err.by === 'SIGHUP',
  );
  assert.equal(checks, 0);
});

test("a waiting client's re-checks re-use one timer of the shared scheduler (nothing allocated per re-check)", async () => {
  const { recheck } = await import('../../src/worker/recheck-scheduler.js');
  const timers = new Set<unknown>();
  const schedule = recheck.schedule.bind(recheck);
  recheck.schedule = (ms, fire, reuse) => {
    const t = schedule(ms, fire, reuse);
    timers.add(t);
    return t;
  };
  try {
    let checks = 0;
    const wait = new DeferralWait({ deadline: performance.now() + 3_600_000, pollIntervalMs: 1 });
    const r = await wait.until(() => (++checks === 20 ? 'decided' : undefined), true);
    assert.equal(r, 'decided');
    assert.equal(checks, 20);
    assert.equal(timers.size, 1, 'one timer for 19 naps');
  } finally {
    recheck.schedule = schedule;
  }
});

test('wake() during a nap re-checks once, at once; a second wake() before that check adds nothing', async () => {
  let checks = 0;
  const wait = new DeferralWait({ deadline: performance.now() + 3_600_000, pollIntervalMs: 3_600_000 });
  const waiting = wait.until(() => (++checks === 2 ? 'decided' : undefined), true);
  wait.wake();
  wait.wake();
  assert.equal(await waiting, 'decided');
  assert.equal(checks, 2);
});
