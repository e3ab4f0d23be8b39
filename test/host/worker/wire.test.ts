// The caller's end of the worker's message channel: JSON lines however they are chunked, garbage reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Wire } from '../../../src/host/worker/wire.js';

function fakeSocket(): Socket & EventEmitter {
  const s = new EventEmitter() as Socket & EventEmitter;
  Object.assign(s, { setEncoding: () => s, destroyed: false });
  return s;
}

test('a message that arrives in thousands of chunks is one message; lines in one chunk are each a message', () => {
  const socket = fakeSocket();
  const wire = new Wire(socket);
  const got: unknown[] = [];
  const garbage: string[] = [];
  wire.on('message', (m) => got.push(m));
  wire.on('garbage', (g) => garbage.push(g));
  const big = `${JSON.stringify({ id: 1, result: { config: 'push "x"\n'.repeat(100_000) } })}\n`;
  for (let i = 0; i < big.length; i += 97) socket.emit('data', big.slice(i, i + 97));
  socket.emit('data', '{"id":2}\n{"id":3}\nnot json\n{"id":');
  socket.emit('data', '4}\n');
  assert.equal(got.length, 4);
  assert.equal((got[0] as { result: { config: string } }).result.config.length, 'push "x"\n'.length * 100_000);
  assert.deepEqual(got.slice(1), [{ id: 2 }, { id: 3 }, { id: 4 }]);
  assert.deepEqual(garbage, ['not json']);
});
