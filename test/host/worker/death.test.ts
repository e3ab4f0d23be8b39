// Why a worker is gone (classifyDeath, pure): a crash record wins over channels lost on the way out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyDeath } from '../../../src/host/worker/death.js';

const lost = new Set(['its log pipe', 'its IPC channel']);

test('channels lost with no crash record: a plugin closed descriptors it did not open', () => {
  const d = classifyDeath({ exitCode: null, signal: 'SIGKILL', lost, lostDuring: 'client-life-connect' });
  assert.match(d.cause ?? '', /a plugin closed file descriptors it did not open/);
});

test("channels lost as a plugin's own thread crashed between calls: the crash, not closed descriptors", () => {
  const d = classifyDeath({
    exitCode: null,
    signal: 'SIGSEGV',
    crash: { plugin: -1, type: -1, signal: 11, frames: [{ module: '/x/bug-late-result.so', offset: 0x123e, symbol: 'answer', symbolOffset: 0x1e }] },
    lost,
    lostDuring: 'client-life-connect',
  });
  assert.equal(d.reason, 'crashed');
  assert.equal(d.cause, undefined, 'the channels closed because the worker died');
  if (d.reason === 'crashed') assert.equal(d.signal, 'SIGSEGV');
});

test('channels lost and an abort between plugin calls: libuv found its descriptors closed, a plugin closed them', () => {
  const d = classifyDeath({
    exitCode: null,
    signal: 'SIGABRT',
    crash: { plugin: -1, type: -1, signal: 6, frames: [] },
    lost,
    lostDuring: 'call CLIENT_CONNECT_V2',
  });
  assert.match(d.cause ?? '', /a plugin closed file descriptors it did not open/);
});
