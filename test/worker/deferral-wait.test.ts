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
