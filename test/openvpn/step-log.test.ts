// The client-connect steps are kept compact: a re-check repeating the step before it keeps only its times, yet the
// steps come back in full, each with its own times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StepLog } from '../../src/openvpn/step-log.js';
import type { Step } from '../../src/openvpn/client-connect.js';

const deferV2 = (ms: number): Omit<Step, 't'> => ({
  handler: 'plugin-v2',
  hook: 'CLIENT_CONNECT_DEFER_V2',
  calls: [{ plugin: 'a.so', returnCode: 2, returnName: 'DEFERRED', ms: ms / 2 }],
  status: 2,
  result: 'deferred',
  note: undefined,
  ms,
});

test('1,000 identical deferred re-checks keep one record, and come back as 1,000 steps with their own times', () => {
  const log = new StepLog<Step>();
  const first: Omit<Step, 't'> = { ...deferV2(1), hook: 'CLIENT_CONNECT_V2' };
  log.add(first, 0);
  for (let i = 1; i <= 1000; i++) log.add(deferV2(i), i * 1100);
  const done: Omit<Step, 't'> = { ...deferV2(3), calls: [{ plugin: 'a.so', returnCode: 0, returnName: 'SUCCESS', ms: 1.5 }], status: 0, result: 'succeeded' };
  log.add(done, 1001 * 1100);
  assert.equal(log.records, 3, 'CLIENT_CONNECT_V2, one DEFER_V2 with its repeats, the SUCCESS');
  const steps = log.toArray();
  assert.equal(steps.length, 1002);
  assert.deepEqual(steps[0], { ...first, t: 0 });
  for (let i = 1; i <= 1000; i++) assert.deepEqual(steps[i], { ...deferV2(i), t: i * 1100 }, `re-check ${i}`);
  assert.deepEqual(steps[1001], { ...done, t: 1001 * 1100 });
  assert.deepEqual(Object.keys(steps[500]!), Object.keys(steps[1]!), 'the same keys in the same order (the same JSON)');
});

test('a re-check that differs in anything but its times is a record of its own', () => {
  const log = new StepLog<Step>();
  log.add(deferV2(1), 0);
  log.add({ ...deferV2(1), note: 'other' }, 1);
  log.add({ ...deferV2(1), calls: [{ plugin: 'b.so', returnCode: 2, returnName: 'DEFERRED', ms: 0 }] }, 2);
  log.add({ ...deferV2(1), deferredFile: '"2"' }, 3);
  assert.equal(log.records, 4);
  assert.equal(log.toArray().length, 4);
});
